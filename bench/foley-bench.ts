/**
 * @module Benchmark of the procedural engine (issue 5). On a generated 10 s 1280×720 24 fps clip:
 * the whole job's wall time divided by the ffmpeg floor measured in the same run (decoding the clip
 * at the analysis size to null, plus a stream-copy remux of a WAV of the same length); also the
 * real-time factor and peak RSS for a 10 s and a 120 s clip. Each job runs in a fresh child process
 * (bench/job-child.ts) so its RSS is its own. Medians of 5 runs, interleaved, because the machine
 * may be shared. `bench/run.ts` calls `runFoleyBench`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { resolveMediaBinaries } from '../src/media/binaries.js';
import { analysisScaleFilter, analysisSize } from '../src/media/frames.js';
import { encodeWavFloat32 } from '../src/media/wav.js';
import { makeLavfiClip } from './clips.js';
import type { ChildReport } from './job-child.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./job-child.js', import.meta.url));
const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** A 1280×720 24 fps clip: a test pattern with a box that jumps every half second. */
async function makeClip(ffmpeg: string, out: string, seconds: number): Promise<void> {
  await makeLavfiClip(ffmpeg, out, {
    inputs: [`testsrc2=s=1280x720:r=24:d=${seconds}`, `color=c=white:s=120x120:r=24:d=${seconds}`],
    filter: "[0:v][1:v]overlay=x='100+150*mod(floor(2*t),7)':y=500:eval=frame[v]",
  });
}

async function job(video: string, format: string, runs = 1): Promise<ChildReport> {
  // The engine alone (vision: false): the trained models' cost is the "vision" section's.
  const { stdout } = await run(process.execPath, [CHILD, video, format, 'footsteps', String(runs), 'false'], { maxBuffer: 1 << 24 });
  const report = JSON.parse(stdout.trim().split('\n').pop() as string) as ChildReport;
  if (report.error) throw new Error(`bench job failed: ${report.error}`);
  return report;
}

export async function runFoleyBench(log: (line: string) => void): Promise<void> {
  const { ffmpeg } = resolveMediaBinaries({ searchPath: process.env.PATH });
  const dir = await mkdtemp(join(tmpdir(), 'foley-bench-'));
  try {
    const clip10 = join(dir, 'clip10.mp4');
    const clip120 = join(dir, 'clip120.mp4');
    await makeClip(ffmpeg, clip10, 10);
    await makeClip(ffmpeg, clip120, 120);
    const size = analysisSize({ width: 1280, height: 720, rotation: 0 });
    const wav = join(dir, 'ten.wav');
    await writeFile(wav, encodeWavFloat32([new Float32Array(480_000), new Float32Array(480_000)], 48_000));

    const floor: number[] = [];
    const wavJob: number[] = [];
    const mp4Job: number[] = [];
    const warmJob: number[] = [];
    let rss10 = 0;
    for (let i = 0; i < RUNS; i++) {
      const decode = await timed(() =>
        run(ffmpeg, [
          '-v',
          'error',
          '-i',
          clip10,
          '-map',
          '0:v:0',
          '-vsync',
          'passthrough',
          '-vf',
          `${analysisScaleFilter(size.width)},format=yuv444p`,
          '-f',
          'null',
          '-',
        ]),
      );
      const remux = await timed(() => run(ffmpeg, ['-v', 'error', '-y', '-i', wav, '-c', 'copy', '-f', 'wav', join(dir, 'copy.wav')]));
      floor.push(decode + remux);
      const w = await job(clip10, 'wav');
      wavJob.push(w.wallMs);
      rss10 = Math.max(rss10, w.maxRssKb);
      mp4Job.push((await job(clip10, 'mp4')).wallMs);
      // Steady state: jobs 4–6 of one process, as on a worker that has served jobs before (its
      // synthesis thread kept, the engine compiled, the JavaScript around it optimised).
      const many = await job(clip10, 'wav', 6);
      warmJob.push(median((many.allWallMs ?? [many.wallMs]).slice(3)));
    }
    const long = await job(clip120, 'wav');
    const f = median(floor);
    const w = median(wavJob);
    const m = median(mp4Job);
    const warm = median(warmJob);
    const date = new Date().toISOString().slice(0, 10);
    log(
      `Procedural engine — ${date}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ` +
        `Node ${process.version}, medians of ${RUNS}`,
    );
    log('| Measure | Value |');
    log('|---|---|');
    log(`| ffmpeg floor, 10 s 1280×720 24 fps (decode at ${size.width}×${size.height} to null + WAV stream copy) | ${f.toFixed(0)} ms |`);
    log(`| Whole job, WAV out, first job of a fresh process | ${w.toFixed(0)} ms = **${(w / f).toFixed(2)}× the floor** |`);
    log(
      `| Whole job, WAV out, steady state (jobs 4–6 of one process) | ` +
        `${warm.toFixed(0)} ms = **${(warm / f).toFixed(2)}× the floor** |`,
    );
    log(`| Whole job, MP4 out (adds AAC encoding and the MP4 mux) | ${m.toFixed(0)} ms = ${(m / f).toFixed(2)}× the floor |`);
    log(`| Real-time factor, 10 s clip (job time / clip length) | ${(w / 10_000).toFixed(3)} |`);
    log(`| Real-time factor, 120 s clip | ${(long.wallMs / 120_000).toFixed(3)} |`);
    log(`| Peak RSS, 10 s clip | ${(rss10 / 1024).toFixed(0)} MiB |`);
    log(`| Peak RSS, 120 s clip | ${(long.maxRssKb / 1024).toFixed(0)} MiB |`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
