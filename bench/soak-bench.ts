/**
 * @module Soak: the worker serving jobs through its local API for a few minutes, as a busy endpoint
 * does. Foley jobs on the bundled clip (`runsync`, WAV as base64: the result is kept by the API
 * until its TTL) back to back; RSS and open file descriptors of the process at the start, the
 * middle and the end. Leaks show as a climb between middle and end; a bounded cache or pool
 * shows as a climb from start to middle that then stops.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { createHandler } from '../src/dispatch/handler.js';
import { resolveMediaBinaries } from '../src/media/binaries.js';
import { runLocalApi } from '../src/runtime/run-api.js';
import type { BenchTable } from './section.js';

/** Seconds of soak (SOAK_S overrides: the bench is a tool, not the worker). */
const SECONDS = Number(process.env.SOAK_S ?? 180);

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return Number.NaN;
  }
}

export async function runSoakBench(): Promise<(BenchTable | string)[]> {
  const root = await mkdtemp(join(tmpdir(), 'soak-bench-'));
  const config = loadConfig({ OUTPUT_DIR: join(root, 'out'), WORK_DIR: root, PATH: process.env.PATH ?? '' }, [], root);
  const bins = resolveMediaBinaries({ searchPath: process.env.PATH });
  const handler = createHandler({ config, binaries: () => bins });
  const shutdown = new AbortController();
  let onUrl!: (url: string) => void;
  const listening = new Promise<string>((r) => (onUrl = r));
  const done = runLocalApi({
    handler,
    log: pino({ level: 'silent' }),
    host: '127.0.0.1',
    port: 0,
    concurrency: 1,
    graceMs: 5_000,
    shutdown: shutdown.signal,
    onListening: onUrl,
    streamHoldMs: 200,
  });
  const url = await listening;
  const samples: Array<{ at: string; jobs: number; rssMb: number; fds: number }> = [];
  const sample = (at: string, jobs: number): void => {
    samples.push({ at, jobs, rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20), fds: openFds() });
  };
  let jobs = 0;
  let failed = 0;
  const t0 = performance.now();
  try {
    // One job first so the start sample is of a worker that has served (threads, models loaded).
    const job = async (): Promise<void> => {
      const res = await fetch(`${url}/v2/local/runsync?wait=60000`, {
        method: 'POST',
        body: JSON.stringify({
          input: { video_path: 'footsteps.mp4', prompt: 'footsteps', output_format: 'wav', delivery: 'base64', seed: jobs },
        }),
      });
      const body = (await res.json()) as { status: string };
      jobs++;
      if (body.status !== 'COMPLETED') failed++;
    };
    await job();
    sample('start (after the first job)', jobs);
    let middleTaken = false;
    while (performance.now() - t0 < SECONDS * 1000) {
      await job();
      if (!middleTaken && performance.now() - t0 >= (SECONDS * 1000) / 2) {
        middleTaken = true;
        sample('middle', jobs);
      }
    }
    sample('end', jobs);
  } finally {
    shutdown.abort();
    await done;
    await rm(root, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  return [
    {
      title:
        'Soak: Foley jobs (bundled 6 s clip, WAV as base64, vision on) ' +
        `back to back through the local API for ${Math.round(seconds)} s`,
      columns: ['when', 'jobs done', 'RSS MiB', 'open fds'],
      rows: samples.map((s) => [s.at, s.jobs, s.rssMb, s.fds]),
      note:
        `${jobs} jobs, ${failed} not COMPLETED, ${(jobs / seconds).toFixed(2)} jobs/s. ` +
        'Results stay in the API for LOCAL_API_RESULT_TTL_S (bounded to 500 results / 64 MiB).',
    },
  ];
}
