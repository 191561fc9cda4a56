/**
 * @module A child-process entry that runs one Foley job the way the worker does (real handler,
 * real ffmpeg) and prints one JSON line: wall time, peak RSS (getrusage) and RSS sampled every
 * 100 ms. Used by the benchmark and by the flat-memory test, so the measurement is of a fresh
 * process and nothing else.
 *
 * Usage: node dist/bench/job-child.js <video> <output_format> [prompt] [runs] [vision]
 * (`vision`: "true" or "false", the payload's field; absent: the payload's default.)
 * With runs > 1 the same job runs again in the same process, as on a worker that has served jobs
 * before: `wallMs` is the last run's, `firstWallMs` the first's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { resolveMediaBinaries } from '../src/media/binaries.js';
import { createHandler } from '../src/dispatch/handler.js';
import { runJob } from '../src/runtime/run-job.js';
import { cpuInference } from '../src/inference/worker-inference.js';
import { warmDefaultSessions } from '../src/tasks/warm-sessions.js';

export interface ChildReport {
  wallMs: number;
  /** Opening the default sessions before the first job, as the worker does at start-up (not in `wallMs`). */
  warmMs?: number;
  /** The first run's wall time, when there were several. */
  firstWallMs?: number;
  /** Every run's wall time, in order. */
  allWallMs?: number[];
  /** Peak resident set of the whole process (KiB), as getrusage reports it. */
  maxRssKb: number;
  /** RSS (MiB) every 100 ms, from start to end. */
  rssMb: number[];
  output?: unknown;
  error?: string;
}

async function main(): Promise<void> {
  const [video, format = 'wav', prompt = 'footsteps', runsArg = '1', visionArg] = process.argv.slice(2);
  const vision = visionArg === undefined ? {} : { vision: visionArg === 'true' };
  const runs = Math.max(1, Number(runsArg) || 1);
  if (!video) throw new TypeError('usage: job-child <video> <output_format> [prompt]');
  const root = await mkdtemp(join(tmpdir(), 'foley-bench-'));
  const rssMb: number[] = [];
  const sampler = setInterval(() => rssMb.push(Math.round(process.memoryUsage.rss() / 2 ** 20)), 100);
  try {
    const config = loadConfig(
      { VOLUME_DIR: dirname(video), OUTPUT_DIR: join(root, 'out'), WORK_DIR: root, PATH: process.env.PATH ?? '' },
      [],
      root,
    );
    const bins = resolveMediaBinaries({ searchPath: process.env.PATH });
    // As the worker starts (handler.ts): the default sessions are opened before the first job.
    const deps = { config, binaries: () => bins, inference: cpuInference({ config }) };
    const tWarm = performance.now();
    await warmDefaultSessions(deps, pino({ level: 'silent' }));
    const warmMs = performance.now() - tWarm;
    const handler = createHandler(deps);
    const ctx = {
      id: 'bench',
      mode: 'test' as const,
      signal: new AbortController().signal,
      log: pino({ level: 'silent' }),
      progress: () => {},
    };
    let firstWallMs: number | undefined;
    let wallMs = 0;
    const allWallMs: number[] = [];
    let result: Awaited<ReturnType<typeof runJob>> = { output: null };
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      result = await runJob({
        handler,
        job: { id: 'bench', input: { video_path: video.split('/').pop(), output_format: format, prompt, seed: 1, ...vision } },
        ctx,
      });
      wallMs = performance.now() - t0;
      firstWallMs ??= wallMs;
      allWallMs.push(wallMs);
    }
    clearInterval(sampler);
    rssMb.push(Math.round(process.memoryUsage.rss() / 2 ** 20));
    const report: ChildReport = {
      wallMs,
      warmMs,
      ...(runs > 1 && firstWallMs !== undefined ? { firstWallMs, allWallMs } : {}),
      maxRssKb: process.resourceUsage().maxRSS,
      rssMb,
      ...result,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    clearInterval(sampler);
    await rm(root, { recursive: true, force: true });
  }
}

await main();
