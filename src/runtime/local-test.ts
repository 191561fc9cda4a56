/**
 * @module Local test mode (runpod-python's convention): with no RunPod environment and no
 * `--rp_serve_api`, run one job from `--test_input '<json>'` or else `./test_input.json`, print the
 * result JSON on stdout and report success through the exit code.
 */
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';
import { WorkerError } from '../errors.js';
import type { Logger } from 'pino';
import { outputMismatches } from './output-matches.js';
import { runJob } from './run-job.js';
import type { Handler } from './types.js';

const TestInputSchema = z.object({ id: z.string().min(1).optional(), input: z.unknown() }).loose();

export interface LocalTestOptions {
  handler: Handler;
  log: Logger;
  /** JSON text given with --test_input; when absent, `<cwd>/test_input.json` is read. */
  testInput: string | undefined;
  /**
   * JSON text given with --test_output: the run fails (exit 1) when the output differs. Only the keys
   * it gives are compared (each must deep-equal the output's), so timings and the like can be left out.
   */
  testOutput?: string | undefined;
  cwd: string;
  signal: AbortSignal;
  /** Where the result JSON goes (stdout in production). */
  write: (line: string) => void;
}

async function readTestInput(testInput: string | undefined, cwd: string): Promise<unknown> {
  const source =
    testInput ??
    (await readFile(resolve(cwd, 'test_input.json'), 'utf8').catch((cause: unknown) => {
      throw new WorkerError('INVALID_INPUT', 'no --test_input given and no readable test_input.json in the working directory', { cause });
    }));
  try {
    return JSON.parse(source);
  } catch (cause) {
    throw new WorkerError('INVALID_INPUT', `test input is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

/** Returns the process exit code: 0 when the job completed (and matched --test_output), else 1. */
export async function runLocalTest(opts: LocalTestOptions): Promise<number> {
  const raw = await readTestInput(opts.testInput, opts.cwd);
  const parsed = TestInputSchema.safeParse(raw);
  if (!parsed.success || parsed.data.input === undefined) {
    throw new WorkerError('INVALID_INPUT', 'test input must be an object with an "input" field: {"input": {...}}');
  }
  const id = parsed.data.id ?? `local-${randomUUID().slice(0, 8)}`;
  const log = opts.log.child({ jobId: id });
  const result = await runJob({
    handler: opts.handler,
    job: { id, input: parsed.data.input },
    ctx: { id, mode: 'test', signal: opts.signal, log, progress: (update) => log.debug({ progress: update }, 'progress') },
  });
  if ('error' in result) {
    opts.write(JSON.stringify({ id, status: 'FAILED', error: result.error }));
    return 1;
  }
  opts.write(JSON.stringify({ id, status: 'COMPLETED', output: result.output }));
  if (opts.testOutput !== undefined) {
    let expected: unknown;
    try {
      expected = JSON.parse(opts.testOutput);
    } catch (cause) {
      throw new WorkerError('INVALID_INPUT', `--test_output is not valid JSON: ${(cause as Error).message}`, { cause });
    }
    const keys = outputMismatches(expected, result.output);
    if (keys.length > 0) {
      log.error({ keys, expected }, 'output differs from --test_output');
      return 1;
    }
  }
  return 0;
}
