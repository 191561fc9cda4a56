/**
 * @module Picks the run mode and runs it: platform (RUNPOD_WEBHOOK_GET_JOB set), local API
 * (--rp_serve_api), or local test mode (one job from --test_input / test_input.json).
 */
import type { Config } from '../config.js';
import type { Logger } from 'pino';
import { runLocalTest } from './local-test.js';
import type { Handler, RunMode } from './types.js';

export interface StartOptions {
  handler: Handler;
  config: Readonly<Config>;
  log: Logger;
  cwd: string;
}

export function chooseMode(config: Readonly<Config>): RunMode {
  if (config.runpod.jobTakeUrl !== undefined) return 'platform';
  if (config.flags.rp_serve_api) return 'api';
  return 'test';
}

/** Runs the worker until it is done; resolves to the process exit code. */
export async function startWorker({ handler, config, log, cwd }: StartOptions): Promise<number> {
  const mode = chooseMode(config);
  if (mode !== 'test') {
    log.fatal({ mode }, 'this build runs local test mode only; the platform loop and local API come with the runtime issue');
    return 1;
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
