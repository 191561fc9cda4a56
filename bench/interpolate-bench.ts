/**
 * @module Benchmark of `task: "interpolate"` (issue 12): output frames per second of the whole
 * pipeline (decode → engine → H.264 encode with the task's CRF and preset) on a 720p real clip
 * (vtest.avi, 3 s at 10 fps, scaled to 1280×720), for ffmpeg's minterpolate and for the ONNX
 * path with the stand-in graph (a blend by timestep with RIFE's inputs and outputs, on a session
 * thread like a job's). The stand-in costs next to nothing, so its row is the ONNX path's
 * overhead floor: padding, tensor packing, the thread hop, cropping and encoding; a real RIFE
 * model adds its own inference time on top.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { tensor } from '../src/inference/ort.js';
import { openSessionThread } from '../src/inference/session-thread.js';
import { resolveMediaBinaries } from '../src/media/binaries.js';
import { RifeInterpolator, detectTimestepShape } from '../src/pipelines/interpolate/rife-model.js';
import { toRate } from '../src/pipelines/interpolate/schedule.js';
import { interpolateVideo } from '../src/pipelines/interpolate/video.js';
import { INTERPOLATE_CRF, INTERPOLATE_PRESET } from '../src/tasks/interpolate/task.js';
import { rifeBlend } from '../test/helpers/onnx-fixtures.js';
import type { BenchTable } from './section.js';
import { OPENCV_DATA } from './sr-footage.js';

const run = promisify(execFile);
const W = 1280;
const H = 720;

export async function runInterpolateBench(): Promise<(BenchTable | string)[]> {
  const { ffmpeg } = resolveMediaBinaries({ searchPath: process.env.PATH ?? '' });
  const dir = await mkdtemp(join(tmpdir(), 'interp-bench-'));
  try {
    const clip = join(dir, 'street720.mp4');
    await run(ffmpeg, [
      '-v',
      'error',
      '-y',
      '-i',
      join(OPENCV_DATA, 'vtest.avi'),
      '-t',
      '3',
      '-vf',
      `scale=${W}:${H}`,
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '16',
      clip,
    ]);
    const model = join(dir, 'rife-standin.onnx');
    await writeFile(model, rifeBlend('scalar'));
    const session = await openSessionThread({ model, ep: 'auto', log: pino({ level: 'silent' }), tensor });
    const timestep = await detectTimestepShape(session);
    const rows: (string | number)[][] = [];
    const cases: Array<{ engine: 'ffmpeg' | 'onnx'; factor: number; batch?: number }> = [
      { engine: 'ffmpeg', factor: 2 },
      { engine: 'ffmpeg', factor: 4 },
      { engine: 'onnx', factor: 2, batch: 1 },
      { engine: 'onnx', factor: 4, batch: 1 },
      { engine: 'onnx', factor: 4, batch: 3 },
    ];
    for (const c of cases) {
      const rife =
        c.engine === 'onnx' ? new RifeInterpolator(session, { width: W, height: H, timestep, maxBatch: c.batch ?? 1 }) : undefined;
      const r = await interpolateVideo({
        ffmpeg,
        input: clip,
        width: W,
        height: H,
        rateIn: toRate('10'),
        rateOut: toRate(String(10 * c.factor)),
        engine: rife ? { kind: 'rife', model: rife } : { kind: 'minterpolate' },
        crf: INTERPOLATE_CRF,
        preset: INTERPOLATE_PRESET,
        audio: 'none',
        output: join(dir, `out-${c.engine}-${c.factor}-${c.batch ?? 0}.mp4`),
        timeoutMs: 600_000,
      });
      rows.push([
        c.engine === 'ffmpeg' ? 'ffmpeg minterpolate (mci, aobmc, bidir)' : `ONNX stand-in, batch ${c.batch}`,
        `×${c.factor}`,
        r.sourceFrames,
        r.frames,
        (r.wallMs / 1000).toFixed(1),
        (r.frames / (r.wallMs / 1000)).toFixed(1),
        rife ? (r.modelMs / Math.max(1, r.modelRuns)).toFixed(0) : '–',
      ]);
    }
    // The session-thread hop alone, side by side: one 720p pair's tensors copied to the thread
    // (the default) or moved (`transfer`, as the interpolator hands its batches over).
    const hop: (string | number)[][] = [];
    const medians: Record<string, number> = {};
    const plane = 3 * Math.ceil(H / 32) * 32 * W;
    for (let round = 0; round < 2; round++) {
      for (const transfer of [false, true]) {
        const ms: number[] = [];
        for (let i = 0; i < 15; i++) {
          const feeds = {
            img0: tensor('float32', new Float32Array(plane).fill(0.3), [1, 3, Math.ceil(H / 32) * 32, W]),
            img1: tensor('float32', new Float32Array(plane).fill(0.6), [1, 3, Math.ceil(H / 32) * 32, W]),
            timestep: tensor('float32', Float32Array.of(0.5), [1, 1, 1, 1]),
          };
          const t = performance.now();
          await session.run(feeds, { transfer });
          ms.push(performance.now() - t);
        }
        ms.sort((a, b) => a - b);
        medians[`${round}-${transfer}`] = ms[7] as number;
      }
      const copied = medians[`${round}-false`] as number;
      const moved = medians[`${round}-true`] as number;
      hop.push([round + 1, copied.toFixed(1), moved.toFixed(1), (copied / moved).toFixed(2)]);
    }
    await session.release();
    return [
      {
        title:
          `The session-thread hop alone: session.run of the stand-in on one 720p pair ` +
          `(inputs padded to ${W}×${Math.ceil(H / 32) * 32}), median of 15`,
        columns: ['round', 'inputs copied, ms', 'inputs moved, ms', 'copied / moved'],
        rows: hop,
      },
      {
        title:
          `720p (${W}×${H}) real footage, 3 s at 10 fps, ` +
          `whole pipeline (decode → engine → x264 CRF ${INTERPOLATE_CRF} ${INTERPOLATE_PRESET})`,
        columns: ['engine', 'factor', 'source frames', 'output frames', 'wall s', 'output frames/s', 'ms per session.run'],
        rows,
        note:
          'The stand-in graph is a blend by timestep with RIFE 4.x inputs and outputs: ' +
          "its rows are the ONNX path's overhead floor (padding to 32, packing, the session thread, cropping, encoding), not RIFE's speed.",
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
