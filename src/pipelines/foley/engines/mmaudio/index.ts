/**
 * @module The learned engine: MMAudio (hkchengrex/MMAudio, CVPR 2025) from its original
 * checkpoints, one engine per network (`mmaudio-small-16k` … `mmaudio-large-44k-v2`). Available
 * when every file the network reads is on the volume (FOLEY_ENGINE fetches them at start-up, or
 * MODELS lists them); loading converts them into the volume's graph cache once and opens the
 * seven sessions as one bundle; a graph in the cache that will not open is converted again.
 * The weights are CC BY-NC 4.0 (MMAudio) and a research licence (DFN5B CLIP): the operator chooses
 * them by naming the engine, and every result and /health say so.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../../../../config.js';
import type { MmaudioVariant } from '../../../../convert/mmaudio-dit/index.js';
import { MMAUDIO_ENGINE_NAMES, type MmaudioEngineName, mmaudioFiles, mmaudioVariantId } from '../../../../models/engine-files.js';
import type { ModelRegistry } from '../../../../models/registry.js';
import { conversionInputs, loadFailed, openBundle, sourcesOf } from '../learned/load.js';
import { ClipTokenizer } from '../../../../text/clip-tokenizer.js';
import type { EngineDeps, FoleyEngine, LoadedEngine } from '../engine.js';
import { type EnsureGraphsOptions, ensureMmaudioGraphs, discardMmaudioComponent, type MmaudioComponent } from './graphs.js';
import { DEFAULT_CFG, DEFAULT_STEPS, renderMmaudio } from './render.js';
import type { MmaudioRuntime } from './types.js';

/** What every MMAudio result and /health say about the weights. */
export const MMAUDIO_LICENCE =
  'MMAudio weights: CC BY-NC 4.0 (non-commercial); DFN5B CLIP: Apple research licence; BigVGAN-v2: MIT. Chosen by the operator.';

const SESSION_COMPONENT = {
  clipImage: ['clip-image', 'model'],
  clipText: ['clip-text', 'model'],
  synchformer: ['synchformer', 'model'],
  conditions: ['dit', 'conditions'],
  flow: ['dit', 'flow'],
  vae: ['vae', 'model'],
  vocoder: ['vocoder', 'model'],
} as const satisfies Record<keyof MmaudioRuntime['sessions'], readonly [MmaudioComponent, string]>;

async function loadTokenizer(): Promise<ClipTokenizer> {
  return ClipTokenizer.fromBpeGz(await readFile(join(packageRoot(), 'assets', 'clip', 'bpe_simple_vocab_16e6.txt.gz')));
}

function ensureOptions(
  name: MmaudioEngineName,
  o: { registry: ModelRegistry | undefined; models: EngineDeps['config']['models'] },
): EnsureGraphsOptions {
  return {
    variant: mmaudioVariantId(name) as MmaudioVariant,
    ...conversionInputs(name, { files: mmaudioFiles(name), registry: o.registry, models: o.models }),
  };
}

/**
 * A network's graphs into the volume's cache ahead of any job (`--convert-models` with
 * FOLEY_ENGINE): what a worker's first load would convert, component by component.
 */
export async function convertMmaudioAhead(
  name: MmaudioEngineName,
  o: { registry: ModelRegistry; models: EngineDeps['config']['models']; onComponent: NonNullable<EnsureGraphsOptions['onComponent']> },
): Promise<void> {
  await ensureMmaudioGraphs({ ...ensureOptions(name, o), onComponent: o.onComponent });
}

async function load(name: MmaudioEngineName, deps: EngineDeps): Promise<LoadedEngine> {
  const ensure = ensureOptions(name, { registry: deps.models?.registry, models: deps.config.models });
  const models = deps.models!;
  const set = await ensureMmaudioGraphs(ensure).catch((e: unknown) => {
    throw loadFailed(name, 'its weights could not be converted', e);
  });
  const sessions = await openBundle({
    name,
    cache: models.sessions,
    components: set.components,
    layout: SESSION_COMPONENT,
    reconvert: async (component) => {
      await discardMmaudioComponent(ensure, component);
      return (await ensureMmaudioGraphs(ensure)).components;
    },
  });
  const rt: MmaudioRuntime = {
    engine: name,
    sessions,
    facts: set.facts,
    tokenizer: await loadTokenizer(),
    ffmpeg: deps.binaries().ffmpeg,
    flowBatch: 2,
  };
  return {
    async render(request, job) {
      const settings = { steps: request.sampling?.steps ?? DEFAULT_STEPS, cfgStrength: request.sampling?.cfgStrength ?? DEFAULT_CFG };
      const out = await renderMmaudio(rt, request, job, settings);
      return { ...out, fields: { ...out.fields, licence: MMAUDIO_LICENCE } };
    },
  };
}

function mmaudioEngine(name: MmaudioEngineName): FoleyEngine {
  return {
    name,
    description: `MMAudio ${mmaudioVariantId(name)}: learned video-to-audio (flow matching), from the original weights`,
    models: [...new Set(mmaudioFiles(name).map((f) => f.repo))],
    licence: MMAUDIO_LICENCE,
    available(deps) {
      const s = sourcesOf(name, { files: mmaudioFiles(name), registry: deps.models?.registry });
      return typeof s === 'string' ? s : true;
    },
    load: (deps) => load(name, deps),
  };
}

/** Every MMAudio network, best first. */
export const MMAUDIO_ENGINES: readonly FoleyEngine[] = [...MMAUDIO_ENGINE_NAMES].reverse().map(mmaudioEngine);
