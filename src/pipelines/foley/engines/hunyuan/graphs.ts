/**
 * @module HunyuanVideo-Foley's graphs, converted from the original files on the volume into the
 * volume's graph cache the first time a worker needs them (engines/learned/components.ts): the
 * SigLIP2 vision tower, the CLAP text tower, Synchformer (the same cache entry as MMAudio's: the
 * file is byte-identical), the DiT's conditions and flow graphs (with the learned empty visual
 * features beside them) and the DAC-VAE decoder. The Tencent Hunyuan Community License asks for a
 * Notice with the weights: it is written into the DiT's cache folder, next to the converted graphs.
 */
import { CLAP_TEXT_CONVERTER_VERSION, convertClapTextModel } from '../../../../convert/clap-text/index.js';
import { convertDacVaeDecoder, DAC_VAE_CONVERTER_VERSION, dacVaeHop } from '../../../../convert/dac-vae/index.js';
import { convertHvfDit, HVF_CONFIG, HVF_DIT_CONVERTER_VERSION, type HvfVariant } from '../../../../convert/hvf-dit/index.js';
import type { PrecisionChoice } from '../../../../convert/onnx-graph.js';
import { convertSiglip2VisionModel, SIGLIP2_VISION_CONVERTER_VERSION } from '../../../../convert/siglip2-vision/index.js';
import type { EngineFile } from '../../../../models/engine-files.js';
import {
  type CacheSettings,
  type ComponentGraphs,
  type ComponentPlan,
  discardComponent,
  ensureComponents,
  graphFiles,
  need as needFile,
  type SourceFile,
  type Sources,
  sourceLabel,
  synchformerPlan,
  withWeights,
} from '../learned/components.js';

export const HVF_COMPONENTS = ['siglip2', 'clap-text', 'synchformer', 'dit', 'vae'] as const;
export type HvfComponent = (typeof HVF_COMPONENTS)[number];

/** Written beside the converted DiT, as the licence asks of whoever redistributes the weights' derivatives. */
export const HVF_NOTICE = `HunyuanVideo-Foley is licensed under the Tencent Hunyuan Community License Agreement,
Copyright (C) 2025 THL A29 Limited, a Tencent company. All rights reserved.
The graphs in this folder are converted from its weights (tencent/HunyuanVideo-Foley) by foley-worker.
The licence does not apply in the European Union, the United Kingdom and South Korea, and it forbids
using the outputs to train other models. See the LICENSE and NOTICE files of tencent/HunyuanVideo-Foley.
`;

export interface HvfGraphOptions extends CacheSettings {
  variant: HvfVariant;
  /** LEARNED_PRECISION: how the DiT's flow graph stores its weights (`auto`: fp16 for XXL). Part of the cache key. */
  precision: PrecisionChoice;
  sources: Sources;
  onComponent?: ((c: { component: HvfComponent; hit: boolean; convertMs: number }) => void) | undefined;
}

/** Sizes and learned vectors the engine runs with. */
export interface HvfFacts {
  sampleRate: number;
  /** Audio samples per latent frame (the DAC's hop: 960 at 48 kHz, 50 Hz). */
  samplesPerLatent: number;
  /** The graphs take any window up to this long (s): each window's lengths and tables come with it. */
  maxWindowS: number;
  /** The DiT's attention head size (the RoPE tables' width). */
  headSize: number;
  latent: { channels: number };
  clip: { dim: number; image: number };
  sync: { dim: number; image: number; segmentFrames: number };
  text: { dim: number };
  empty: { clip: number[]; sync: number[] };
}

export interface HvfGraphSet {
  components: Record<HvfComponent, ComponentGraphs>;
  facts: HvfFacts;
}

function plans(o: HvfGraphOptions): Record<HvfComponent, ComponentPlan> {
  const need = (role: EngineFile['role']): SourceFile => needFile(o.sources, role, 'HunyuanVideo-Foley');
  const siglip = need('siglip');
  const clap = need('clap');
  const dit = need('dit');
  const vae = need('vae');
  return {
    siglip2: {
      name: 'siglip2-vision',
      version: SIGLIP2_VISION_CONVERTER_VERSION,
      files: [siglip],
      options: {},
      graphs: ['model'],
      convert: () =>
        withWeights(siglip, async (weights) => {
          const c = await convertSiglip2VisionModel({ weights, source: sourceLabel(siglip) });
          return { files: graphFiles('model', c), meta: { image: c.dims.grid * c.dims.patch } };
        }),
    },
    'clap-text': {
      name: 'clap-text',
      version: CLAP_TEXT_CONVERTER_VERSION,
      files: [clap],
      options: {},
      graphs: ['model'],
      convert: () =>
        withWeights(clap, async (weights) => ({
          files: graphFiles('model', await convertClapTextModel({ weights, source: sourceLabel(clap) })),
        })),
    },
    synchformer: synchformerPlan(need('synchformer')),
    dit: {
      name: `hvf-dit-${o.variant}`,
      version: HVF_DIT_CONVERTER_VERSION,
      files: [dit],
      options: { variant: o.variant, precision: o.precision },
      graphs: ['conditions', 'flow'],
      convert: () =>
        withWeights(dit, async (weights) => {
          const c = await convertHvfDit({
            weights,
            variant: o.variant,
            precision: o.precision,
            sequence: 'dynamic',
            source: sourceLabel(dit),
          });
          return {
            files: {
              ...graphFiles('conditions', c.conditions),
              ...graphFiles('flow', c.flow),
              'NOTICE.txt': new TextEncoder().encode(HVF_NOTICE),
            },
            meta: {
              sequence: c.sequence,
              dims: c.dims,
              precision: c.precision,
              empty: { clip: Array.from(c.empty.clip), sync: Array.from(c.empty.sync) },
            },
          };
        }),
    },
    vae: {
      name: 'hvf-dac-vae',
      version: DAC_VAE_CONVERTER_VERSION,
      files: [vae],
      options: {},
      graphs: ['model'],
      convert: () =>
        withWeights(vae, async (weights) => {
          const c = await convertDacVaeDecoder({ weights, source: sourceLabel(vae) });
          return { files: graphFiles('model', c), meta: { hop: dacVaeHop(c.dims), sampleRate: c.dims.sampleRate } };
        }),
    },
  };
}

export async function discardHvfComponent(o: HvfGraphOptions, component: HvfComponent): Promise<void> {
  await discardComponent(plans(o)[component], o.root);
}

/** Every component from the cache, or converted into it; then the facts the runner needs. */
export async function ensureHvfGraphs(o: HvfGraphOptions): Promise<HvfGraphSet> {
  const components = await ensureComponents(plans(o), { ...o, order: HVF_COMPONENTS });
  const dit = components.dit.cached.meta as {
    dims: { latentDim: number; clipDim: number; syncDim: number; textDim: number; headSize: number };
    empty: HvfFacts['empty'];
  };
  const vae = components.vae.cached.meta as { hop: number; sampleRate: number };
  const sync = components.synchformer.cached.meta as { image: number; frames: number };
  const siglip = components.siglip2.cached.meta as { image: number };
  return {
    components,
    facts: {
      sampleRate: vae.sampleRate,
      samplesPerLatent: vae.hop,
      maxWindowS: HVF_CONFIG.maxDuration,
      headSize: dit.dims.headSize,
      latent: { channels: dit.dims.latentDim },
      clip: { dim: dit.dims.clipDim, image: siglip.image },
      sync: { dim: dit.dims.syncDim, image: sync.image, segmentFrames: sync.frames },
      text: { dim: dit.dims.textDim },
      empty: dit.empty,
    },
  };
}
