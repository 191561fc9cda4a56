/**
 * @module Picks the run mode and runs it: the local API (--rp_serve_api), local test mode (one job
 * from --test_input / test_input.json), or platform mode (RUNPOD_WEBHOOK_GET_JOB set). The order is
 * runpod-python's (`serverless.start`): --rp_serve_api wins, then an explicit --test_input, then the
 * platform. Platform and API modes shut down gracefully on the first SIGTERM/SIGINT (jobs in
 * progress finish within SHUTDOWN_GRACE_S and their results are posted) and at once on the second
 * (removing the scratch of the jobs in flight first). Every mode starts by sweeping the scratch that
 * killed workers left in WORK_DIR.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import type { Logger } from 'pino';
import { packageRoot, type Config } from '../config.js';
import { removeJobScratchSync, sweepStaleScratch } from '../util/scratch.js';
import type { StaticPage } from './local-api.js';
import { runLocalTest } from './local-test.js';
import { runLocalApi } from './run-api.js';
import { runPlatform } from './run-platform.js';
import { registerShutdown } from './shutdown.js';
import type { ConcurrencyModifier, Handler, RunMode } from './types.js';

export interface StartOptions {
  handler: Handler;
  config: Readonly<Config>;
  log: Logger;
  cwd: string;
  /** Platform mode: adjusts RUNPOD_CONCURRENCY before each job-take (runpod-python's concurrency_modifier). */
  concurrencyModifier?: ConcurrencyModifier;
  /** What the worker is (hardware tier, models…), shown by the local API's /health. */
  describeWorker?: () => unknown;
  /** The payload's JSON Schema for the local API's `/schema.json`. */
  payloadSchema?: () => unknown;
  /** Pages the local API serves at fixed paths (the playground), read when the API starts. */
  pages?: () => ReadonlyMap<string, StaticPage> | undefined;
}

export function chooseMode(config: Readonly<Config>): RunMode {
  if (config.flags.rp_serve_api) return 'api';
  if (config.flags.test_input !== undefined) return 'test';
  if (config.runpod.jobTakeUrl !== undefined) return 'platform';
  return 'test';
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Graceful shutdown on the first signal (aborts the returned signal); exit at once on the second. */
function shutdownSignal(log: Logger): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const release = registerShutdown({
    log,
    onGraceful: (sig) => controller.abort(new Error(`received ${sig}`)),
    onForce: (sig) => {
      // Die of the signal itself (the default action: shells read 128 + its number) rather than
      // process.exit: exit tears down worker threads, and one inside onnxruntime-node's session
      // creation then throws from native code, aborting the process (measured). The kernel's
      // default action runs no teardown at all.
      release();
      // No teardown runs after this, so the scratch of the jobs in flight goes now, synchronously.
      removeJobScratchSync();
      process.kill(process.pid, sig);
      // Should the default action be held off (a signal the platform ignores), exit anyway.
      setTimeout(() => process.exit(128 + (constants.signals[sig] ?? 15)), 1000).unref();
    },
  });
  return { signal: controller.signal, release };
}

/** Runs the worker until it is done; resolves to the process exit code. */
export async function startWorker({
  handler,
  config,
  log,
  cwd,
  concurrencyModifier,
  describeWorker,
  payloadSchema,
  pages,
}: StartOptions): Promise<number> {
  const mode = chooseMode(config);
  // What a killed worker (kill -9, out of memory) left in WORK_DIR: only its own, never a live one's.
  await sweepStaleScratch(config.workDir, log);
  if (mode === 'platform') {
    const { signal, release } = shutdownSignal(log);
    try {
      const { runpod } = config;
      return await runPlatform({
        handler,
        log,
        urls: { jobTake: runpod.jobTakeUrl ?? '', jobDone: runpod.jobDoneUrl, jobStream: runpod.jobStreamUrl, ping: runpod.pingUrl },
        apiKey: runpod.apiKey,
        podId: runpod.podId,
        pingIntervalMs: runpod.pingIntervalMs,
        concurrency: runpod.concurrency,
        concurrencyModifier,
        maxResultBytes: config.runtime.maxResultBytes,
        graceMs: config.runtime.shutdownGraceMs,
        shutdown: signal,
        version: packageVersion(),
      });
    } finally {
      release();
    }
  }
  if (mode === 'api') {
    const { signal, release } = shutdownSignal(log);
    try {
      return await runLocalApi({
        handler,
        describeWorker,
        payloadSchema,
        pages,
        log,
        host: config.flags.rp_api_host,
        port: config.flags.rp_api_port,
        concurrency: config.flags.rp_api_concurrency,
        apiKey: config.runtime.localApiKey,
        maxQueue: config.runtime.localApiMaxQueue,
        resultTtlMs: config.runtime.localApiResultTtlMs,
        graceMs: config.runtime.shutdownGraceMs,
        shutdown: signal,
      });
    } finally {
      release();
    }
  }
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runLocalTest({
      handler,
      log,
      testInput: config.flags.test_input,
      testOutput: config.flags.test_output,
      cwd,
      signal: controller.signal,
      write: (line) => process.stdout.write(`${line}\n`),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
