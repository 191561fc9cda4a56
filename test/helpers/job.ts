/** Build a real Foley handler and job context for tests, over temp directories. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { type WorkerModels, warmUpModels } from '../../src/inference/warm-up.js';
import type { WorkerInference } from '../../src/inference/worker-inference.js';
import { createHandler } from '../../src/dispatch/handler.js';
import type { Handler, JobContext, RunMode } from '../../src/runtime/types.js';
import { runJob } from '../../src/runtime/run-job.js';
import type { JobResult } from '../../src/runtime/types.js';
import { binaries, SHARED_MEDIA } from './media.js';
import { copyStandIns, STAND_IN_NAMES } from './stand-ins.js';

export interface TestWorker {
  config: Readonly<Config>;
  handler: Handler;
  root: string;
  /** Runs one job like the runtime does; `progress` collects the updates. */
  run(
    input: unknown,
    opts?: { id?: string; mode?: RunMode; signal?: AbortSignal; onProgress?: (u: unknown) => void },
  ): Promise<JobResult & { progress: unknown[] }>;
  close(): Promise<void>;
}

/**
 * A worker over a fresh temp root. The volume (`<root>/volume`) holds the generated stand-ins for
 * the clips of ../shared/media under their names (test/helpers/stand-ins.ts), so it works on any
 * machine; `volume: 'temp'` asks for an empty one that the test fills, and `'shared'` for the real
 * ../shared/media (only in tests that skip when HAS_SHARED_MEDIA is false). `models` builds the
 * warm-up's models from the worker's config (e.g. warmUpModels over a fake Hub); `inference`, the
 * hardware and session cache the handler's tasks share (default warm-up's, else a CPU stand-in).
 */
export async function createTestWorker(
  env: Record<string, string> = {},
  volume: 'stand-ins' | 'shared' | 'temp' = 'stand-ins',
  extra: { models?: (config: Readonly<Config>) => Promise<WorkerModels>; inference?: (config: Readonly<Config>) => WorkerInference } = {},
): Promise<TestWorker> {
  const root = await mkdtemp(join(tmpdir(), 'foley-test-'));
  const volumeDir = volume === 'shared' ? SHARED_MEDIA : join(root, 'volume');
  if (volume !== 'shared') await mkdir(volumeDir, { recursive: true });
  if (volume === 'stand-ins') await copyStandIns(volumeDir, STAND_IN_NAMES);
  const config = loadConfig(
    { VOLUME_DIR: volumeDir, OUTPUT_DIR: join(root, 'output'), WORK_DIR: root, PATH: process.env.PATH ?? '', ...env },
    [],
    root,
  );
  const models = extra.models ? await extra.models(config) : undefined;
  const handler = createHandler({ config, binaries, models, inference: extra.inference?.(config) });
  let n = 0;
  return {
    config,
    handler,
    root,
    async run(input, opts = {}) {
      const id = opts.id ?? `test-${++n}`;
      const progress: unknown[] = [];
      const ctx: JobContext = {
        id,
        mode: opts.mode ?? 'test',
        signal: opts.signal ?? new AbortController().signal,
        log: pino({ level: 'silent' }),
        progress: (u) => {
          progress.push(u);
          opts.onProgress?.(u);
        },
      };
      const result = await runJob({ handler, job: { id, input }, ctx });
      return { ...result, progress };
    },
    close: () => rm(root, { recursive: true, force: true }),
  };
}

/** The parsed output of a completed job; fails the test with the job's error otherwise. */
export function outputOf(result: JobResult): Record<string, unknown> {
  if ('error' in result) throw new Error(`job failed: ${result.error}`);
  return result.output as Record<string, unknown>;
}

export function errorOf(result: JobResult): { code: string; message: string; details?: unknown } {
  if (!('error' in result)) throw new Error(`job unexpectedly succeeded: ${JSON.stringify(result.output).slice(0, 300)}`);
  return JSON.parse(result.error) as { code: string; message: string; details?: unknown };
}

/**
 * A worker that serves the learned engine `engine` (FOLEY_ENGINE) from a stand-in Hub at `hub`, its
 * Hub cache and graph cache under `volume` (so workers on one volume share them), its models warmed
 * up as at start-up unless `models` says otherwise.
 */
export function learnedEngineWorker(o: {
  hub: string;
  volume: string;
  engine: string;
  env?: Record<string, string>;
  models?: (config: Readonly<Config>) => Promise<WorkerModels>;
}): Promise<TestWorker> {
  const env = {
    HF_ENDPOINT: o.hub,
    FOLEY_ENGINE: o.engine,
    HF_HUB_CACHE: join(o.volume, 'hub'),
    ENGINE_GRAPHS_DIR: join(o.volume, 'graphs'),
  };
  return createTestWorker({ ...env, ...o.env }, 'stand-ins', {
    models: o.models ?? ((config) => warmUpModels({ config, log: pino({ level: 'silent' }) })),
  });
}
