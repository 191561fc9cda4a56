/**
 * @module How a learned engine finds its files and opens its graphs: each file the network reads
 * must be on this worker's volume (file by file: one Hub repo may hold every variant), the
 * converted graphs open as one session bundle, and a cached graph that will not open is converted
 * again once. Failures become MODEL_LOAD_FAILED naming the engine (a refused pickle stays
 * MODEL_UNSAFE, an abort CANCELLED).
 */
import { isWorkerError, WorkerError } from '../../../../errors.js';
import type { SessionCache } from '../../../../inference/sessions.js';
import type { Session } from '../../../../inference/ort.js';
import type { SessionOptions } from '../../../../inference/types.js';
import type { EngineFile } from '../../../../models/engine-files.js';
import type { ModelRegistry } from '../../../../models/registry.js';
import type { ModelsConfig } from '../../../../models/options.js';
import type { CacheSettings, ComponentGraphs, Sources } from './components.js';

/** The network's files on this worker's volume, or why they are not all there. */
export function sourcesOf(name: string, o: { files: readonly EngineFile[]; registry: ModelRegistry | undefined }): Sources | string {
  if (!o.registry) return `engine "${name}" needs its weights, and this worker's models did not load at start-up`;
  const out: Sources = {};
  for (const f of o.files) {
    try {
      const local = o.registry.file(f.repo, f.path);
      out[f.role] = { ...f, local: local.local, sha256: local.sha256 ?? local.blob };
    } catch (e) {
      if (!isWorkerError(e)) throw e;
      return `engine "${name}" needs ${f.repo}/${f.path}, not on this worker: set FOLEY_ENGINE=${name} (or add it to MODELS)`;
    }
  }
  return out;
}

/**
 * What every learned engine's conversion starts from: the network's files on the volume
 * (MODEL_NOT_AVAILABLE naming the engine when one is missing), where and under which lock the
 * graphs are cached, and LEARNED_PRECISION.
 */
export function conversionInputs(
  name: string,
  o: {
    files: readonly EngineFile[];
    registry: ModelRegistry | undefined;
    models: Pick<ModelsConfig, 'learnedPrecision' | 'graphsDir' | 'lockStaleMs' | 'lockWaitMs'>;
  },
): Pick<CacheSettings, 'root' | 'lock'> & { sources: Sources; precision: ModelsConfig['learnedPrecision'] } {
  const sources = sourcesOf(name, o);
  if (typeof sources === 'string') throw new WorkerError('MODEL_NOT_AVAILABLE', sources, { details: { engine: name } });
  return {
    precision: o.models.learnedPrecision,
    sources,
    root: o.models.graphsDir,
    lock: { staleMs: o.models.lockStaleMs, waitMs: o.models.lockWaitMs },
  };
}

export function loadFailed(name: string, what: string, cause: unknown): WorkerError {
  if (isWorkerError(cause) && (cause.code === 'MODEL_UNSAFE' || cause.code === 'CANCELLED' || cause.code === 'MODEL_LOCK_TIMEOUT'))
    return cause;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new WorkerError('MODEL_LOAD_FAILED', `engine "${name}": ${what}: ${why}`, { cause, details: { engine: name } });
}

/**
 * Whether a component's graphs keep weights in fp16 (LEARNED_PRECISION): those open with ORT's graph
 * optimizers off, because at load they widen every Cast of an fp16 weight into an fp32 copy —
 * measured on XL's flow graph: 5.4 GiB of fp16 weights became 11.3 GiB of anonymous memory. Off,
 * the weights stay fp16 (memory-mapped from the volume on the CPU) and a batch-2 step is ~7% slower
 * on this CPU (17.6–18.9 s against 16.5–17.4 s).
 */
function storedInHalf(c: ComponentGraphs): boolean {
  return (c.cached.meta as { precision?: string } | undefined)?.precision === 'fp16';
}

/**
 * Opens the engine's sessions (session name → [component, graph]) as one bundle in the worker's
 * cache; a graph that will not open is discarded and converted again once (`reconvert`).
 */
export async function openBundle<S extends string, C extends string>(o: {
  name: string;
  cache: SessionCache;
  components: Record<C, ComponentGraphs>;
  layout: Readonly<Record<S, readonly [C, string]>>;
  reconvert: (component: C) => Promise<Record<C, ComponentGraphs>>;
  /** The bundle's key in the cache. @default `foley:<name>` */
  key?: string;
}): Promise<Record<S, Session>> {
  const sessions = {} as Record<S, { model: string; options?: SessionOptions; reopen(e: unknown): Promise<string> }>;
  for (const [key, [component, graph]] of Object.entries(o.layout) as [S, readonly [C, string]][]) {
    sessions[key] = {
      model: o.components[component].graphs[graph]!,
      ...(storedInHalf(o.components[component]) ? { options: { graphOptimizationLevel: 'disabled' } } : {}),
      // A cached graph that will not open (a damaged volume) is converted again, once.
      reopen: async () => (await o.reconvert(component))[component].graphs[graph]!,
    };
  }
  const bundle = await o.cache
    .bundle(o.key ?? `foley:${o.name}`, {
      sessions,
      loadError: (session, e) => loadFailed(o.name, `its ${session} graph would not load`, e),
    })
    .catch((e: unknown) => {
      throw loadFailed(o.name, 'its graphs would not load', e);
    });
  return bundle.sessions;
}
