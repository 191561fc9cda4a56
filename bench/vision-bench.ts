/**
 * @module Benchmark of the Foley task's trained senses (issue 11), measured in one run:
 *
 * 1. Per-frame cost of each model on this machine, as the job runs them (one intra-op thread on
 *    the CPU tier, on a session thread): detection of a 720p frame at the detector's input size,
 *    pose per person crop, voice activity per second of audio.
 * 2. Foley job time on 10 s 1280×720 24 fps clips with the models off (`vision: false`), on as a
 *    CPU worker runs them by default (detection once a second), and with `pose: true`; the ratio
 *    to the motion-only job is the cost of seeing. Jobs run warm (models loaded, as on a serving
 *    worker), interleaved, medians of `ROUNDS`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { createHandler } from '../src/dispatch/handler.js';
import { resolveMediaBinaries } from '../src/media/binaries.js';
import { analysisScaleFilter } from '../src/media/frames.js';
import { encodeWavFloat32 } from '../src/media/wav.js';
import { detectSpeech } from '../src/pipelines/foley/speech/detect.js';
import { openVadSession } from '../src/pipelines/foley/speech/model.js';
import { runJob } from '../src/runtime/run-job.js';
import { SAMPLING } from '../src/tasks/foley/senses.js';
import { loadVisionModels } from '../src/vision/models.js';
import type { RgbImage } from '../src/vision/types.js';
import { makeLavfiClip } from './clips.js';
import { quantile, type BenchTable } from './section.js';
import { OPENCV_DATA } from './sr-footage.js';

const run = promisify(execFile);
const ROUNDS = 5;
const SHARED_BBB = new URL('../../../shared/media/big_buck_bunny_0_30.webm', import.meta.url).pathname;

const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);

async function rgbFrame({
  ffmpeg,
  file,
  atS,
  width,
  height,
}: {
  ffmpeg: string;
  file: string;
  atS: number;
  width: number;
  height: number;
}): Promise<RgbImage> {
  const { stdout } = await run(
    ffmpeg,
    [
      '-v',
      'error',
      '-ss',
      String(atS),
      '-i',
      file,
      '-frames:v',
      '1',
      '-vf',
      `scale=${width}:${height}`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    {
      encoding: 'buffer',
      maxBuffer: 64 << 20,
    },
  );
  return { width, height, data: new Uint8Array(stdout) };
}

async function modelCosts(ffmpeg: string, dir: string, street: string, speech: string): Promise<BenchTable> {
  const log = pino({ level: 'silent' });
  const models = await loadVisionModels({ cacheDir: join(dir, 'converted'), ep: 'cpu', gpuPresent: false, log, threads: 1 });
  const rows: (string | number)[][] = [];
  try {
    const size = models.detectorInput(1280, 720);
    const frame = await rgbFrame({ ffmpeg, file: street, atS: 2, width: size.width, height: size.height });
    const big = await rgbFrame({ ffmpeg, file: street, atS: 2, width: 512, height: 288 });
    const times = async (n: number, fn: () => Promise<unknown>): Promise<number[]> => {
      await fn();
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await fn();
        out.push(performance.now() - t);
      }
      return out;
    };
    const det = await times(20, () => models.detect([frame]));
    rows.push([`detection (CenterNet), one 720p frame at ${size.width}×${size.height}`, f1(quantile(det, 0.5)), f1(quantile(det, 0.9))]);
    const people = (await models.detect([big]))[0]!
      .filter((d) => d.label === 'person')
      .slice(0, 4)
      .map((d) => d.box);
    const one = await times(20, () => models.pose(big, people.slice(0, 1)));
    rows.push(['pose (MoveNet), one person', f1(quantile(one, 0.5)), f1(quantile(one, 0.9))]);
    const four = await times(10, () => models.pose(big, people));
    rows.push([
      `pose, ${people.length} people in one run (per person)`,
      f1(quantile(four, 0.5) / people.length),
      f1(quantile(four, 0.9) / people.length),
    ]);
  } finally {
    await models.close();
  }
  const vad = await openVadSession({ ep: 'cpu', log });
  try {
    const per: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await detectSpeech({ ffmpeg, file: speech, vad, timeoutMs: 60_000 });
      per.push(r.modelMs / r.seconds);
    }
    rows.push(['voice activity (Silero), per second of audio', f1(quantile(per, 0.5)), f1(quantile(per, 0.9))]);
  } finally {
    await vad.release();
  }
  return {
    title: 'Model cost on this CPU (one intra-op thread, as a CPU worker runs them)',
    columns: ['model', 'median ms', 'p90 ms'],
    rows,
    note: 'Detection and pose run on a session thread (the hop is included); the VAD runs on the main thread, one 32 ms window per call.',
  };
}

type Variant = 'off' | 'detect' | 'pose';
const VARIANTS: Record<Variant, object> = { off: { vision: false }, detect: { vision: true }, pose: { vision: true, pose: true } };

/** A worker's handler (CPU provider) and a job context, as the local API runs jobs. */
function benchWorker(dir: string): { handler: ReturnType<typeof createHandler>; ctx: Parameters<typeof runJob>[0]['ctx'] } {
  const config = loadConfig(
    {
      VOLUME_DIR: dir,
      OUTPUT_DIR: join(dir, 'out'),
      WORK_DIR: dir,
      CONVERTED_MODELS_DIR: join(dir, 'converted'),
      EXECUTION_PROVIDER: 'cpu',
      PATH: process.env.PATH ?? '',
    },
    [],
    dir,
  );
  const bins = resolveMediaBinaries({ searchPath: process.env.PATH });
  const handler = createHandler({ config, binaries: () => bins });
  const ctx = {
    id: 'bench',
    mode: 'test' as const,
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
    progress: () => {},
  };
  return { handler, ctx };
}

async function jobTimes(dir: string, clips: Array<{ name: string; file: string }>): Promise<BenchTable> {
  const { handler, ctx } = benchWorker(dir);
  const rows: (string | number)[][] = [];
  for (const clip of clips) {
    const ms: Record<Variant, number[]> = { off: [], detect: [], pose: [] };
    const model: Record<Variant, number[]> = { off: [], detect: [], pose: [] };
    let events: Record<Variant, unknown> = { off: 0, detect: 0, pose: 0 };
    for (let round = 0; round <= ROUNDS; round++) {
      for (const v of Object.keys(VARIANTS) as Variant[]) {
        const t = performance.now();
        const res = await runJob({
          handler,
          job: { id: `b-${round}-${v}`, input: { video_path: clip.file, output_format: 'wav', delivery: 'path', seed: 1, ...VARIANTS[v] } },
          ctx,
        });
        const wall = performance.now() - t;
        if ('error' in res) throw new Error(`bench job failed: ${res.error}`);
        // Round 0 warms up: models loaded and converted, the synthesis thread started.
        if (round === 0) continue;
        const out = res.output as { timings_ms: Record<string, number>; events: number; steps_from: string; preset: string };
        ms[v].push(wall);
        model[v].push((out.timings_ms.detect_model ?? 0) + (out.timings_ms.pose_model ?? 0) + (out.timings_ms.speech_model ?? 0));
        events = { ...events, [v]: `${out.events} (${out.steps_from}, ${out.preset})` };
      }
    }
    const off = quantile(ms.off, 0.5);
    for (const v of Object.keys(VARIANTS) as Variant[]) {
      const m = quantile(ms[v], 0.5);
      rows.push([
        clip.name,
        v === 'off' ? 'vision: false' : v === 'detect' ? 'vision (CPU default: pose for walkers)' : 'vision + pose: true',
        Math.round(m),
        `${f2(m / off)}×`,
        Math.round(quantile(model[v], 0.5)),
        String(events[v]),
      ]);
    }
  }
  return {
    title: `Foley job time with and without the models (10 s 1280×720 24 fps, WAV out, warm, medians of ${ROUNDS} interleaved rounds)`,
    columns: ['clip', 'job', 'job ms', 'ratio to vision: false', 'model ms (in job)', 'events (steps from, preset)'],
    rows,
    note:
      `Sampling on the CPU tier: detection every ${SAMPLING.cpu.detect.detectEveryS} s at width ${SAMPLING.cpu.detect.width}; ` +
      `with pose, frames every ${SAMPLING.cpu.pose.everyS} s at width ${SAMPLING.cpu.pose.width}. ` +
      'Model time overlaps the decode (the models run on their own thread); the ratio is what a user waits. ' +
      'Speech detection runs only where the probe finds an audio track (these clips have none).',
  };
}

const BUDGET_RUNS = 3;
const BUDGET_ROUNDS = 3;

/**
 * Issue 26's budget: the default payload (`pose: "auto"`) on a warm CPU worker, as job time over
 * the ffmpeg floor of the same clip (decode at the analysis size to null + stream copy of a 10 s
 * WAV: bench/foley-bench.ts's floor), on a street with walkers and on a clip with nobody in it.
 * Each run is the median of `BUDGET_ROUNDS` rounds, each a floor then a job per clip, so the
 * ratios of a run share the machine's moment.
 */
async function poseBudget(dir: string, clips: { street: string; empty: string }): Promise<BenchTable> {
  const { ffmpeg } = resolveMediaBinaries({ searchPath: process.env.PATH });
  const { handler, ctx } = benchWorker(dir);
  const wav = join(dir, 'ten.wav');
  await writeFile(wav, encodeWavFloat32([new Float32Array(480_000), new Float32Array(480_000)], 48_000));
  const floor = async (file: string): Promise<number> => {
    const t = performance.now();
    const vf = `${analysisScaleFilter(64)},format=yuv444p`;
    await run(ffmpeg, ['-v', 'error', '-i', join(dir, file), '-map', '0:v:0', '-vsync', 'passthrough', '-vf', vf, '-f', 'null', '-']);
    await run(ffmpeg, ['-v', 'error', '-y', '-i', wav, '-c', 'copy', '-f', 'wav', join(dir, 'copy.wav')]);
    return performance.now() - t;
  };
  const job = async (file: string, extra: object = {}): Promise<{ ms: number; feet: number; poseMs: number; stepsFrom: string }> => {
    const t = performance.now();
    const input = { video_path: file, output_format: 'wav', delivery: 'path', seed: 1, ...extra };
    const res = await runJob({ handler, job: { id: 'budget', input }, ctx });
    const ms = performance.now() - t;
    if ('error' in res) throw new Error(`bench job failed: ${res.error}`);
    const out = res.output as { timings_ms: Record<string, number>; events_from: string[]; steps_from: string };
    const feet = out.events_from.filter((f) => f === 'foot').length;
    return { ms, feet, poseMs: out.timings_ms.pose_model ?? 0, stepsFrom: out.steps_from };
  };
  // Warm: models loaded, the synthesis thread started, the JavaScript compiled (second job onwards).
  await job(clips.street);
  await job(clips.empty);
  type Cell = { floor: number[]; job: number[]; off: number[]; last?: Awaited<ReturnType<typeof job>> };
  const rows: (string | number)[][] = [];
  for (let r = 0; r < BUDGET_RUNS; r++) {
    const cells: Record<'street' | 'empty', Cell> = { street: { floor: [], job: [], off: [] }, empty: { floor: [], job: [], off: [] } };
    for (let round = 0; round < BUDGET_ROUNDS; round++) {
      for (const k of ['street', 'empty'] as const) {
        cells[k].floor.push(await floor(clips[k]));
        const j = await job(clips[k]);
        cells[k].job.push(j.ms);
        cells[k].last = j;
        // The same job without pose: what pose adds is the difference.
        cells[k].off.push((await job(clips[k], { pose: false })).ms);
      }
    }
    const cols = (k: 'street' | 'empty'): (string | number)[] => {
      const f = quantile(cells[k].floor, 0.5);
      const m = quantile(cells[k].job, 0.5);
      const last = cells[k].last!;
      return [
        Math.round(f),
        Math.round(m),
        `**${f2(m / f)}×**`,
        `${f2(quantile(cells[k].off, 0.5) / f)}×`,
        `${last.feet} (${last.stepsFrom})`,
        Math.round(last.poseMs),
      ];
    };
    rows.push([String.fromCharCode(65 + r), ...cols('street'), ...cols('empty')]);
  }
  const clipCols = (name: string): string[] => [`${name}: floor ms`, 'job ms', 'ratio', '`pose: false`', 'steps (from)', 'pose model ms'];
  return {
    title:
      `The default payload (\`pose: "auto"\`) on a warm CPU worker against the ffmpeg floor, ` +
      `${BUDGET_RUNS} runs (each the median of ${BUDGET_ROUNDS} interleaved rounds), WAV out`,
    columns: ['run', ...clipCols('street'), ...clipCols('nobody')],
    rows,
    note:
      'Street: vtest.avi at 1280×720 24 fps, 10 s (walkers throughout). Nobody: the Foley bench pattern (10 s 1280×720 24 fps). ' +
      '`pose: false`: the same job with pose off, same rounds. Budget (issue 26): street ≤ 1.6×, nobody ≤ 1.05×.',
  };
}

export async function runVisionBench(): Promise<(BenchTable | string)[]> {
  const { ffmpeg } = resolveMediaBinaries({ searchPath: process.env.PATH });
  const dir = await mkdtemp(join(tmpdir(), 'vision-bench-'));
  try {
    const street = join(dir, 'street720.mp4');
    // The street scene (people walking) at 720p 24 fps, 10 s.
    await run(ffmpeg, [
      '-v',
      'error',
      '-y',
      '-i',
      join(OPENCV_DATA, 'vtest.avi'),
      '-t',
      '10',
      '-vf',
      'scale=1280:720,fps=24',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      street,
    ]);
    const pattern = join(dir, 'pattern720.mp4');
    await makeLavfiClip(ffmpeg, pattern, {
      inputs: ['testsrc2=s=1280x720:r=24:d=10', 'color=c=white:s=120x120:r=24:d=10'],
      filter: "[0:v][1:v]overlay=x='100+150*mod(floor(2*t),7)':y=500:eval=frame[v]",
    });
    const speech = join(dir, 'speech.mp4');
    await run('espeak-ng', [
      '-w',
      join(dir, 'speech.wav'),
      'The quick brown fox jumps over the lazy dog. Please close the door when you leave the room tonight, and mind the step.',
    ]);
    await run(ffmpeg, ['-v', 'error', '-y', '-i', join(dir, 'speech.wav'), '-af', 'apad=whole_len=480000', '-c:a', 'aac', speech]);
    const clips = [
      { name: 'street (vtest.avi at 720p)', file: 'street720.mp4' },
      { name: 'the Foley bench pattern', file: 'pattern720.mp4' },
    ];
    if (existsSync(SHARED_BBB)) {
      await run(ffmpeg, [
        '-v',
        'error',
        '-y',
        '-i',
        SHARED_BBB,
        '-t',
        '10',
        '-an',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-pix_fmt',
        'yuv420p',
        join(dir, 'bbb720.mp4'),
      ]);
      clips.push({ name: 'Big Buck Bunny 0–10 s', file: 'bbb720.mp4' });
    }
    const budget = await poseBudget(dir, { street: 'street720.mp4', empty: 'pattern720.mp4' });
    if (process.env.VISION_BENCH_BUDGET_ONLY) return [budget];
    return [budget, await modelCosts(ffmpeg, dir, street, speech), await jobTimes(dir, clips)];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
