/**
 * @module Benchmark of `task: "upscale"` (issue 10), three tables measured in one run:
 *
 * 1. Quality: every embedded model at every scale on real footage (bench/sr-footage.ts), PSNR and
 *    SSIM against the original next to bicubic's, and sharpness; plus the model's bare speed on
 *    those tiles (output megapixels per second of `session.run`).
 * 2. Throughput: 360p → 720p jobs through the real handler on a real clip (vtest.avi resized to
 *    640×360): frames/s and output megapixels/s of the whole job, for each embedded model.
 * 3. Overhead: the job's time over the time of the bare `session.run` calls for the same tiles of
 *    the same frames (a main-thread session, nothing else running). Decode, tiling, blending and
 *    encode hide behind inference when this is near 1.
 *
 * Jobs run warm (the second job on a worker that has its session), as a serving worker runs them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { EMBEDDED_SR_MODELS, loadEmbeddedSrModel, type EmbeddedSrModelName } from '../src/convert/esrgan.js';
import { createOrtRuntime } from '../src/inference/ort.js';
import { createHandler } from '../src/dispatch/handler.js';
import { resolveMediaBinaries } from '../src/media/binaries.js';
import { decodeRgbFrames } from '../src/media/rgb-frames.js';
import { FrameUpscaler, srModelFromSession } from '../src/pipelines/upscale/frame-upscaler.js';
import { runJob } from '../src/runtime/run-job.js';
import { FRAME_PAD, TILE_BY_TIER, TILE_OVERLAP } from '../src/tasks/upscale/task.js';
import type { BenchTable } from './section.js';
import { OPENCV_DATA, realFootage, scoreSr, srSamples, type SrSample } from './sr-footage.js';

const run = promisify(execFile);
const SCALES = [2, 3, 4, 8] as const;
/** Frames per throughput job: enough for a steady rate, few enough for a 2-core CPU. */
const JOB_FRAMES: Record<EmbeddedSrModelName, number> = { 'esrgan-slim': 24, 'esrgan-medium': 12, 'esrgan-thick': 3 };

const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);
const f3 = (x: number): string => x.toFixed(3);

async function quality(cacheDir: string, ffmpeg: string): Promise<BenchTable> {
  const footage = realFootage();
  if (footage.length === 0) throw new Error(`no real footage: install opencv-doc (${OPENCV_DATA})`);
  const runtime = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });
  const rows: (string | number)[][] = [];
  for (const scale of SCALES) {
    const samples: SrSample[] = [];
    for (const source of footage) samples.push(...(await srSamples(ffmpeg, source, { scale, width: 192, height: 144 })));
    for (const name of Object.keys(EMBEDDED_SR_MODELS) as EmbeddedSrModelName[]) {
      const session = await runtime.createSession((await loadEmbeddedSrModel(name, scale, { cacheDir })).path);
      try {
        const raw = await scoreSr(srModelFromSession(session, { scale, maxBatch: 1 }), samples, {
          tile: TILE_BY_TIER.cpu,
          overlap: TILE_OVERLAP,
        });
        const s = await scoreSr(srModelFromSession(session, { scale, maxBatch: 1 }), samples, {
          tile: TILE_BY_TIER.cpu,
          overlap: TILE_OVERLAP,
          colorFix: true,
          pad: FRAME_PAD,
        });
        const outMp = (samples.length * 192 * 144) / 1e6;
        const signed = (x: number): string => `${x >= 0 ? '+' : ''}${f2(x)}`;
        rows.push([
          name,
          `×${scale}`,
          f2(raw.psnrModel),
          f2(s.psnrModel),
          f2(s.psnrBicubic),
          signed(s.psnrModel - s.psnrBicubic),
          f3(s.ssimModel),
          f3(s.ssimBicubic),
          `${f1(s.sharpModel)} / ${f1(s.sharpBicubic)} / ${f1(s.sharpOriginal)}`,
          f2(outMp / (s.modelMs / 1000)),
        ]);
      } finally {
        await session.release();
      }
    }
    process.stderr.write(`upscale quality ×${scale} done (${samples.length} samples)\n`);
  }
  return {
    title: `Quality on real footage (${footage.map((f) => f.name).join(', ')}): 192×144 crops shrunk ×s with bicubic, then upscaled ×s`,
    columns: [
      'model',
      'scale',
      'PSNR raw dB',
      'PSNR dB',
      'bicubic dB',
      'Δ dB',
      'SSIM',
      'bicubic SSIM',
      'sharpness model / bicubic / original',
      'bare MP/s out',
    ],
    rows,
    note:
      `"raw": the model's own output; every other column: as a job runs it, ` +
      `with the colour fix (color_fix: true) and ${FRAME_PAD} mirrored pixels around the frame. ` +
      `Means over ${footage.length} sources. ` +
      'PSNR over RGB; SSIM on luma (11×11 Gaussian, σ 1.5); sharpness = variance of the luma Laplacian. ' +
      '"bare MP/s out": output megapixels per second of session.run alone on these small frames (one 2-core CPU).',
  };
}

interface JobFigures {
  frames: number;
  wallMs: number;
  bareMs: number;
  inferenceMs: number;
}

/** A warm 360p → 720p job through the handler, and the bare session.run time for its tiles. */
async function jobAndBare({
  name,
  root,
  clip,
  frames,
  ffmpeg,
  cacheDir,
}: {
  name: EmbeddedSrModelName;
  root: string;
  clip: string;
  frames: number;
  ffmpeg: string;
  cacheDir: string;
}): Promise<JobFigures> {
  const config = loadConfig(
    {
      VOLUME_DIR: root,
      OUTPUT_DIR: join(root, 'out'),
      WORK_DIR: root,
      CONVERTED_MODELS_DIR: cacheDir,
      PATH: process.env.PATH ?? '',
      EXECUTION_PROVIDER: 'cpu',
    },
    [],
    root,
  );
  const binaries = resolveMediaBinaries({ searchPath: process.env.PATH });
  const handler = createHandler({ config, binaries: () => binaries });
  const ctx = (id: string) => ({
    id,
    mode: 'test' as const,
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
    progress: () => undefined,
  });
  const input = { task: 'upscale', video_path: clip, scale: 2, model: name, delivery: 'path' };
  // The first job converts and loads the model; the second is what a warm worker does.
  await runJob({ handler, job: { id: 'warm', input: { ...input, duration: 0.2 } }, ctx: ctx('warm') });
  const r = await runJob({ handler, job: { id: 'timed', input }, ctx: ctx('timed') });
  if ('error' in r) throw new Error(`bench job failed: ${r.error}`);
  const out = r.output as { frames: number; timings_ms: Record<string, number> };
  if (out.frames !== frames) throw new Error(`expected ${frames} frames, got ${out.frames}`);

  // The same frames, the same tiles, the same model: only session.run is timed.
  const session = await createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' }).createSession(
    (await loadEmbeddedSrModel(name, 2, { cacheDir })).path,
  );
  try {
    const upscaler = new FrameUpscaler({
      model: srModelFromSession(session, { scale: 2, maxBatch: 1 }),
      width: 640,
      height: 360,
      tile: TILE_BY_TIER.cpu,
      overlap: TILE_OVERLAP,
      colorFix: true,
      pad: FRAME_PAD,
    });
    for await (const rgb of decodeRgbFrames({ ffmpeg, file: join(root, clip), width: 640, height: 360, timeoutMs: 600_000 }))
      await upscaler.upscaleFrame(rgb);
    return { frames, wallMs: out.timings_ms.total ?? NaN, bareMs: upscaler.modelMs, inferenceMs: out.timings_ms.inference ?? NaN };
  } finally {
    await session.release();
  }
}

export async function runUpscaleBench(): Promise<(BenchTable | string)[]> {
  const { ffmpeg } = resolveMediaBinaries({ searchPath: process.env.PATH });
  const dir = await mkdtemp(join(tmpdir(), 'upscale-bench-'));
  try {
    const cacheDir = join(dir, 'converted');
    const tables: (BenchTable | string)[] = [await quality(cacheDir, ffmpeg)];

    const throughput: (string | number)[][] = [];
    const overhead: (string | number)[][] = [];
    for (const name of Object.keys(EMBEDDED_SR_MODELS) as EmbeddedSrModelName[]) {
      const frames = JOB_FRAMES[name];
      const clip = `vtest-${frames}.mp4`;
      await run(ffmpeg, [
        '-v',
        'error',
        '-y',
        '-i',
        join(OPENCV_DATA, 'vtest.avi'),
        '-vf',
        'scale=640:360:flags=lanczos',
        '-frames:v',
        String(frames),
        '-c:v',
        'libx264',
        '-crf',
        '14',
        '-pix_fmt',
        'yuv420p',
        join(dir, clip),
      ]);
      const j = await jobAndBare({ name, root: dir, clip, frames, ffmpeg, cacheDir });
      const seconds = j.wallMs / 1000;
      throughput.push([name, frames, f1(seconds), f3(frames / seconds), f3((frames * 1280 * 720) / 1e6 / seconds)]);
      overhead.push([name, Math.round(j.wallMs), Math.round(j.inferenceMs), Math.round(j.bareMs), `${f3(j.wallMs / j.bareMs)}×`]);
      process.stderr.write(`upscale job ${name}: ${frames} frames in ${f1(seconds)} s\n`);
    }
    const tiling = `tile ${TILE_BY_TIER.cpu}, overlap ${TILE_OVERLAP}`;
    tables.push(
      {
        title: `Throughput: 360p → 720p (×2) jobs through the handler, warm, CPU tier (${tiling})`,
        columns: ['model', 'frames', 'job s', 'frames/s', 'output MP/s'],
        rows: throughput,
        note:
          'The clip: vtest.avi (opencv-doc) resized to 640×360, H.264. ' +
          'Job time is timings_ms.total: probe, decode, inference, encode, verify, deliver.',
      },
      {
        title: 'Overhead: job time over the bare session.run time for the same tiles',
        columns: ['model', 'job ms', 'inference ms (in job)', 'bare session.run ms', 'job / bare'],
        rows: overhead,
        note: 'Bare: the same frames and tiles through a main-thread session, timing only session.run. Target ≤ 1.15×.',
      },
    );
    return tables;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
