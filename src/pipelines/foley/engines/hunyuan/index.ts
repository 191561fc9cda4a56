/**
 * @module The second learned engine: HunyuanVideo-Foley (tencent/HunyuanVideo-Foley), the model
 * the original RunPod deployments run in a Python pod, here from its original files without
 * Python: `hunyuan-foley-xl` (12 + 24 blocks) and `hunyuan-foley-xxl` (18 + 36, bf16). Available
 * when every file the network reads is on the volume (FOLEY_ENGINE fetches them at start-up);
 * loading converts them into the volume's graph cache once (Synchformer's entry is MMAudio's) and
 * opens the six sessions as one bundle (or, under LEARNED_MEMORY=sequential, each phase's when the
 * job reaches it, released after). Its licence is the Tencent Hunyuan Community License: not
 * valid in the EU, the UK and South Korea, a Notice travels with the weights (written next to the
 * converted graphs), and the outputs must not train other models.
 */
import { readFile } from 'node:fs/promises';
import type { HvfVariant } from '../../../../convert/hvf-dit/index.js';
import { HVF_ENGINE_NAMES, type HvfEngineName, hvfFiles } from '../../../../models/engine-files.js';
import type { ModelRegistry } from '../../../../models/registry.js';
import { RobertaTokenizer } from '../../../../text/roberta-tokenizer.js';
import type { EngineDeps, FoleyEngine, LoadedEngine } from '../engine.js';
import { conversionInputs, loadFailed, openBundle, sourcesOf } from '../learned/load.js';
import { discardHvfComponent, ensureHvfGraphs, type HvfComponent, type HvfGraphOptions } from './graphs.js';
import {
  HVF_DEFAULT_CFG,
  HVF_DEFAULT_STEPS,
  HVF_PHASES,
  type HvfPhase,
  type HvfPhases,
  type HvfRuntime,
  type HvfSessionName,
  renderHvf,
} from './render.js';

export const HVF_LICENCE =
  'HunyuanVideo-Foley weights: Tencent Hunyuan Community License (not valid in the EU, UK, South Korea; outputs must not train ' +
  'other models; Notice kept with the converted graphs); SigLIP2: Apache-2.0; CLAP: Apache-2.0. Chosen by the operator.';

const SESSION_COMPONENT = {
  siglip2: ['siglip2', 'model'],
  clapText: ['clap-text', 'model'],
  synchformer: ['synchformer', 'model'],
  conditions: ['dit', 'conditions'],
  flow: ['dit', 'flow'],
  vae: ['vae', 'model'],
} as const satisfies Record<HvfSessionName, readonly [HvfComponent, string]>;

/** The phases' sessions: all open from the load (resident), or each phase's opened and released around it (sequential). */
function phaseSessions(o: {
  name: HvfEngineName;
  deps: EngineDeps;
  options: HvfGraphOptions;
  components: Awaited<ReturnType<typeof ensureHvfGraphs>>['components'];
}): { phases: HvfPhases; ready: Promise<unknown> } {
  const cache = o.deps.models!.sessions;
  const open = (phase: HvfPhase | 'all') => {
    const names: readonly HvfSessionName[] = phase === 'all' ? (Object.keys(SESSION_COMPONENT) as HvfSessionName[]) : HVF_PHASES[phase];
    const layout = Object.fromEntries(names.map((n) => [n, SESSION_COMPONENT[n]])) as Record<
      HvfSessionName,
      readonly [HvfComponent, string]
    >;
    return openBundle({
      name: o.name,
      key: phase === 'all' ? `foley:${o.name}` : `foley:${o.name}:${phase}`,
      cache,
      components: o.components,
      layout,
      reconvert: async (component) => {
        await discardHvfComponent(o.options, component);
        return (await ensureHvfGraphs(o.options)).components;
      },
    });
  };
  if (o.deps.config.models.learnedMemory === 'sequential') {
    return {
      ready: Promise.resolve(),
      phases: {
        open: (phase) => open(phase) as never,
        close: (phase) => cache.release(`foley:${o.name}:${phase}`),
      },
    };
  }
  const all = open('all');
  return { ready: all, phases: { open: async () => (await all) as never, close: async () => undefined } };
}

function graphOptions(
  name: HvfEngineName,
  o: { registry: ModelRegistry | undefined; models: EngineDeps['config']['models'] },
): HvfGraphOptions {
  return {
    variant: name.slice('hunyuan-foley-'.length) as HvfVariant,
    ...conversionInputs(name, { files: hvfFiles(name), registry: o.registry, models: o.models }),
  };
}

/** A network's graphs into the volume's cache ahead of any job (`--convert-models` with FOLEY_ENGINE). */
export async function convertHvfAhead(
  name: HvfEngineName,
  o: { registry: ModelRegistry; models: EngineDeps['config']['models']; onComponent: NonNullable<HvfGraphOptions['onComponent']> },
): Promise<void> {
  await ensureHvfGraphs({ ...graphOptions(name, o), onComponent: o.onComponent });
}

async function load(name: HvfEngineName, deps: EngineDeps): Promise<LoadedEngine> {
  const options = graphOptions(name, { registry: deps.models?.registry, models: deps.config.models });
  const set = await ensureHvfGraphs(options).catch((e: unknown) => {
    throw loadFailed(name, 'its weights could not be converted', e);
  });
  const { phases, ready } = phaseSessions({ name, deps, options, components: set.components });
  await ready;
  const vocab = options.sources['clap-vocab']!;
  const merges = options.sources['clap-merges']!;
  const tokenizer = RobertaTokenizer.fromVocabMerges(await readFile(vocab.local, 'utf8'), await readFile(merges.local, 'utf8'));
  const rt: HvfRuntime = { engine: name, phases, facts: set.facts, tokenizer, ffmpeg: deps.binaries().ffmpeg, flowBatch: 2 };
  return {
    async render(request, job) {
      const settings = {
        steps: request.sampling?.steps ?? HVF_DEFAULT_STEPS,
        cfgStrength: request.sampling?.cfgStrength ?? HVF_DEFAULT_CFG,
      };
      const out = await renderHvf(rt, request, job, settings);
      return { ...out, fields: { ...out.fields, licence: HVF_LICENCE } };
    },
  };
}

function hvfEngine(name: HvfEngineName): FoleyEngine {
  return {
    name,
    description: `HunyuanVideo-Foley ${name.slice('hunyuan-foley-'.length).toUpperCase()}: learned video-to-audio at 48 kHz`,
    models: [...new Set(hvfFiles(name).map((f) => f.repo))],
    licence: HVF_LICENCE,
    available(deps) {
      const s = sourcesOf(name, { files: hvfFiles(name), registry: deps.models?.registry });
      return typeof s === 'string' ? s : true;
    },
    load: (deps) => load(name, deps),
  };
}

/** Both networks, the larger first. */
export const HVF_ENGINES: readonly FoleyEngine[] = [...HVF_ENGINE_NAMES].reverse().map(hvfEngine);
