/**
 * @module Entry points for the worker: `prepareModels` (warm-up before taking jobs) and
 * `runDownloadModelsCommand` (`--download-models` / `--verify-models`: populate or check the volume, then
 * exit). They turn the models' options (options.ts, filled by config.ts) into ensure options, log progress
 * at a readable rate, and never log the token.
 */
import type { Logger } from 'pino';
import { toJobErrorBody } from '../errors.js';
import { ensureModels, type DownloadProgress, type EnsureOptions } from './ensure.js';
import type { ModelsConfig } from './options.js';
import { ModelRegistry } from './registry.js';

export interface PrepareOptions {
  /** The worker's configuration, of which only the models' part is read. */
  config: Readonly<{ models: ModelsConfig }>;
  log: Logger;
  signal?: AbortSignal;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Also forwarded progress (e.g. a job's progress hook). */
  onProgress?: (p: DownloadProgress) => void;
  /** Re-hash present files (what --verify-models does). */
  verify?: boolean;
  /** Minimum time between two progress log lines. @default 5000 */
  logEveryMs?: number;
}

/** Progress to the log: the first and last event of a repo, and at most one line per interval between. */
export function progressLogger(log: Logger, everyMs: number, now: () => number = () => performance.now()): (p: DownloadProgress) => void {
  let last = -Infinity;
  return (p) => {
    const t = now();
    const end = p.bytes === p.total && p.filesDone === p.filesTotal;
    if (!end && t - last < everyMs) return;
    last = t;
    log.info(
      {
        repo: p.repo,
        bytes: p.bytes,
        total: p.total,
        files: `${p.filesDone}/${p.filesTotal}`,
        percent: p.total ? Math.floor((p.bytes / p.total) * 100) : 100,
      },
      'model download progress',
    );
  };
}

export function ensureOptionsFrom(o: PrepareOptions): EnsureOptions {
  const m = o.config.models;
  const logProgress = progressLogger(o.log, o.logEveryMs ?? 5000);
  return {
    cacheDir: m.hubCache,
    hub: { hubUrl: m.endpoint, accessToken: m.token, fetch: o.fetch ?? globalThis.fetch },
    log: o.log,
    offline: m.offline,
    verify: o.verify ?? false,
    lockStaleMs: m.lockStaleMs,
    lockWaitMs: m.lockWaitMs,
    concurrency: m.concurrency,
    parts: m.parts,
    retries: m.retries,
    stallMs: m.stallMs,
    ...(o.signal ? { signal: o.signal } : {}),
    onProgress: (p) => {
      logProgress(p);
      o.onProgress?.(p);
    },
  };
}

/**
 * Ensure every repo in MODELS is on the volume. Call once at worker start, before taking jobs in
 * platform mode; keep the registry for the handler. Throws a coded error (MODEL_*) on failure.
 */
export async function prepareModels(o: PrepareOptions): Promise<ModelRegistry> {
  const specs = o.config.models.specs;
  if (specs.length === 0) return new ModelRegistry([]);
  const t0 = performance.now();
  const repos = await ensureModels(specs, ensureOptionsFrom(o));
  o.log.info(
    {
      ms: Math.round(performance.now() - t0),
      models: repos.map((r) => ({ repo: r.repo, revision: r.revision, commit: r.commit, files: r.files.length, source: r.source })),
    },
    'models ready',
  );
  return new ModelRegistry(repos);
}

/** `--download-models` / `--verify-models`: resolves to the process exit code (0 ok, 1 failed). */
export async function runDownloadModelsCommand(o: PrepareOptions & { verify: boolean }): Promise<number> {
  const { verify } = o;
  if (o.config.models.specs.length === 0) {
    o.log.warn('MODELS is empty: nothing to download (set MODELS=org/repo[@revision][:glob,glob],...)');
    return 0;
  }
  try {
    const registry = await prepareModels(o);
    o.log.info(
      { cache: o.config.models.hubCache, models: registry.list(), verified: verify },
      verify ? 'models verified' : 'models downloaded',
    );
    return 0;
  } catch (e) {
    o.log.error({ err: e, error: toJobErrorBody(e) }, verify ? 'model verification failed' : 'model download failed');
    return 1;
  }
}
