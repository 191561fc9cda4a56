/**
 * @module Small helpers for runtime tests: a silent logger, a CPU-busy wait in short slices, and
 * platform mode started against a fake RunPod with test-sized timings.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { runPlatform, type RunPlatformOptions } from '../../src/runtime/run-platform.js';
import type { Handler } from '../../src/runtime/types.js';
import type { FakeRunpod } from './fake-runpod.js';

export function silentLog(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/** Keeps the CPU busy for `ms`, in slices of `sliceMs` with a turn of the event loop between. */
export async function busyFor(ms: number, sliceMs = 10): Promise<number> {
  const end = performance.now() + ms;
  let spins = 0;
  while (performance.now() < end) {
    const sliceEnd = Math.min(end, performance.now() + sliceMs);
    while (performance.now() < sliceEnd) spins++;
    await yieldToLoop();
  }
  return spins;
}

export interface StartedPlatform {
  /** Starts the graceful shutdown and resolves to runPlatform's exit code. */
  stop(): Promise<number>;
}

export function startPlatformAgainst(fake: FakeRunpod, handler: Handler, extra: Partial<RunPlatformOptions> = {}): StartedPlatform {
  const shutdown = new AbortController();
  const done = runPlatform({
    handler,
    log: silentLog(),
    urls: fake.urls,
    apiKey: fake.apiKey,
    podId: fake.podId,
    pingIntervalMs: 1_000,
    concurrency: 1,
    graceMs: 5_000,
    shutdown: shutdown.signal,
    version: 'test',
    client: { postBackoff: { baseMs: 20, maxMs: 50 }, longPollTimeoutMs: 5_000 },
    loop: { errorBackoff: { baseMs: 20, maxMs: 100 }, rateLimitedMs: 50, minPollMs: 20 },
    ...extra,
  });
  return {
    stop() {
      shutdown.abort();
      return done;
    },
  };
}
