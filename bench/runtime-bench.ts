/**
 * @module Runtime benchmark: (1) platform-mode overhead per job with a no-op handler, from the job
 * becoming available on a loopback fake RunPod job API to its result arriving at job-done; (2) local
 * API throughput (POST /run → COMPLETED) at concurrency 1 and 4, with a no-op handler and with a
 * handler that waits 10 ms (I/O-bound work, where concurrency pays).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import { runLocalApi } from '../src/runtime/run-api.js';
import { runPlatform } from '../src/runtime/run-platform.js';
import type { Handler } from '../src/runtime/types.js';
import { startFakeRunpod, type Recorded } from '../test/helpers/fake-runpod.js';
import { quantile, type BenchSection, type BenchTable } from './section.js';

const log = pino({ level: 'silent' });
const fmt = (ms: number): string => ms.toFixed(2);

async function platformOverhead(jobs: number, warmup: number): Promise<BenchTable> {
  const fake = await startFakeRunpod({ holdMs: 30_000 });
  const shutdown = new AbortController();
  const done = runPlatform({
    handler: () => Promise.resolve({ ok: true }),
    log,
    urls: fake.urls,
    apiKey: fake.apiKey,
    podId: fake.podId,
    pingIntervalMs: 10_000,
    concurrency: 1,
    graceMs: 1_000,
    shutdown: shutdown.signal,
    version: 'bench',
  });
  const samples: number[] = [];
  try {
    for (let i = 0; i < warmup + jobs; i++) {
      const id = `bench-${i}`;
      const arrived = new Promise<Recorded>((resolve) => {
        fake.onAnswered = (rec) => {
          if (rec.kind === 'done' && rec.path.endsWith(`/${id}`)) resolve(rec);
        };
      });
      // Let the worker's next long-poll reach the fake first, as on the platform.
      await delay(1);
      const t0 = performance.now();
      fake.enqueue({ id, input: { i } });
      await arrived;
      if (i >= warmup) samples.push(performance.now() - t0);
    }
  } finally {
    shutdown.abort();
    await done;
    await fake.close();
  }
  return {
    title: 'Platform mode: job available → result received at job-done (no-op handler, loopback fake API, concurrency 1)',
    columns: ['jobs', 'p50 ms', 'p95 ms', 'max ms'],
    rows: [[jobs, fmt(quantile(samples, 0.5)), fmt(quantile(samples, 0.95)), fmt(Math.max(...samples))]],
  };
}

async function localApiThroughput(concurrency: number, handler: Handler, jobs: number): Promise<number> {
  const shutdown = new AbortController();
  let onUrl!: (u: string) => void;
  const listening = new Promise<string>((r) => (onUrl = r));
  const done = runLocalApi({
    handler,
    log,
    host: '127.0.0.1',
    port: 0,
    concurrency,
    graceMs: 1_000,
    shutdown: shutdown.signal,
    onListening: onUrl,
    maxQueue: jobs,
  });
  const url = await listening;
  try {
    const t0 = performance.now();
    // 16 client connections submit and then wait on /status-sync, like many callers of one endpoint.
    let next = 0;
    const client = async (): Promise<void> => {
      while (next < jobs) {
        const n = next++;
        const run = (await (await fetch(`${url}/run`, { method: 'POST', body: JSON.stringify({ input: { n } }) })).json()) as {
          id: string;
        };
        const final = (await (await fetch(`${url}/status-sync/${run.id}?wait=60000`)).json()) as { status: string };
        if (final.status !== 'COMPLETED') throw new Error(`job ${run.id} ended ${final.status}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, client));
    return jobs / ((performance.now() - t0) / 1000);
  } finally {
    shutdown.abort();
    await done;
  }
}

export const runtimeBench: BenchSection = {
  name: 'runtime',
  title: 'Runtime',
  async run() {
    const overhead = await platformOverhead(500, 50);
    const noop: Handler = () => Promise.resolve({ ok: true });
    const io10: Handler = async () => {
      await delay(10);
      return { ok: true };
    };
    const rows: (string | number)[][] = [];
    for (const [label, handler, jobs] of [
      ['no-op', noop, 2_000],
      ['waits 10 ms', io10, 800],
    ] as const) {
      await localApiThroughput(1, handler, 100); // warm-up
      const c1 = await localApiThroughput(1, handler, jobs);
      const c4 = await localApiThroughput(4, handler, jobs);
      rows.push([label, jobs, c1.toFixed(0), c4.toFixed(0)]);
    }
    return [
      overhead,
      {
        title: 'Local API throughput: POST /run → COMPLETED via GET /status-sync, 16 client connections',
        columns: ['handler', 'jobs', 'jobs/s at concurrency 1', 'jobs/s at concurrency 4'],
        rows,
      },
    ];
  },
};
