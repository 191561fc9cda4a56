/**
 * @module What every learned engine does with its components: each is converted from its original
 * file(s) on the volume into the volume's graph cache (src/convert/graph-cache.ts) once, keyed by
 * the sources' sha256, the converter's version and its options, and found there by every later
 * start; sources are opened one at a time and closed after, so a conversion holds one component's
 * weights in memory. A component converted by one engine with the same sources, converter and
 * options (Synchformer: MMAudio's and HunyuanVideo-Foley's file is the same) is one cache entry.
 */
import { join } from 'node:path';
import { type CachedGraph, cachedGraph, discardGraph, type GraphFiles, graphKey } from '../../../../convert/graph-cache.js';
import type { ExternalData } from '../../../../convert/onnx-graph.js';
import { WorkerError } from '../../../../errors.js';
import type { EngineFile } from '../../../../models/engine-files.js';
import { convertSynchformerModel, SYNCHFORMER_CONVERTER_VERSION } from '../../../../convert/synchformer/index.js';
import { openWeights, type WeightsFile } from '../../../../models/weights/index.js';

/** A file of the engine on the volume: where it is, and its content hash (the store's blob name). */
export interface SourceFile extends EngineFile {
  local: string;
  sha256: string;
}

export type Sources = Partial<Record<EngineFile['role'], SourceFile>>;

/** How one component is converted, and what identifies the conversion. */
export interface ComponentPlan {
  /** The cache folder's name: the component, or a name shared by engines that convert the same file alike. */
  name: string;
  version: string;
  files: SourceFile[];
  options: Record<string, unknown>;
  /** The graphs it writes (`<graph>.onnx`). */
  graphs: string[];
  convert(): Promise<GraphFiles>;
}

/** One component's cache entry, and the graph files in it. */
export interface ComponentGraphs {
  cached: CachedGraph;
  /** Graph name → `.onnx` path. */
  graphs: Record<string, string>;
}

export interface CacheSettings {
  root: string;
  lock: { staleMs: number; waitMs: number };
  signal?: AbortSignal | undefined;
}

/** The source playing `role`, or MODEL_NOT_AVAILABLE naming the engine. */
export function need(sources: Sources, role: EngineFile['role'], engine: string): SourceFile {
  const f = sources[role];
  if (!f)
    throw new WorkerError('MODEL_NOT_AVAILABLE', `${engine} needs its ${role} file, which is not on this worker`, { details: { role } });
  return f;
}

/** Opens a source, runs `use`, and closes it whatever happens. */
export async function withWeights<T>(file: SourceFile, use: (w: WeightsFile) => Promise<T>): Promise<T> {
  const weights = await openWeights(file.local);
  try {
    return await use(weights);
  } finally {
    await weights.close();
  }
}

/** A graph with its external data, as files for the cache. */
export function graphFiles(name: string, g: { model: Uint8Array; data?: ExternalData | undefined }): GraphFiles['files'] {
  return { [`${name}.onnx`]: g.model, ...(g.data ? { [g.data.location]: g.data.chunks } : {}) };
}

/** Where a file came from, for a graph's metadata. */
export const sourceLabel = (f: SourceFile): string => `${f.repo}/${f.path}`;

/** The cache entry of a component: its folder's name and key. */
export function componentEntry(plan: ComponentPlan, root: string): { root: string; name: string; key: string } {
  const key = graphKey({ version: plan.version, options: plan.options, sources: plan.files.map((f) => f.sha256) });
  return { root, name: plan.name, key };
}

/** Removes a component's cached graphs (one that would not load), so the next ensure converts it again. */
export async function discardComponent(plan: ComponentPlan, root: string): Promise<void> {
  await discardGraph(componentEntry(plan, root));
}

/** Every component from the cache, or converted into it, in order. */
export async function ensureComponents<C extends string>(
  plans: Readonly<Record<C, ComponentPlan>>,
  o: CacheSettings & { order: readonly C[]; onComponent?: ((c: { component: C; hit: boolean; convertMs: number }) => void) | undefined },
): Promise<Record<C, ComponentGraphs>> {
  const out = {} as Record<C, ComponentGraphs>;
  for (const component of o.order) {
    o.signal?.throwIfAborted();
    const p = plans[component];
    const cached = await cachedGraph({
      ...componentEntry(p, o.root),
      convert: p.convert,
      lock: o.lock,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    o.onComponent?.({ component, hit: cached.hit, convertMs: cached.convertMs });
    out[component] = { cached, graphs: Object.fromEntries(p.graphs.map((g) => [g, join(cached.dir, `${g}.onnx`)])) };
  }
  return out;
}

/** Synchformer's plan: the same file, converter and options for every engine that reads it, so one cache entry. */
export function synchformerPlan(file: SourceFile): ComponentPlan {
  return {
    name: 'synchformer',
    version: SYNCHFORMER_CONVERTER_VERSION,
    files: [file],
    options: {},
    graphs: ['model'],
    convert: () =>
      withWeights(file, async (weights) => {
        const c = await convertSynchformerModel({ weights, source: sourceLabel(file) });
        return { files: { 'model.onnx': c.model }, meta: { image: c.dims.image, frames: c.dims.frames, width: c.dims.width } };
      }),
  };
}
