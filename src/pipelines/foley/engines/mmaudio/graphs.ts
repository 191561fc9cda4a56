/**
 * @module MMAudio's seven graphs, converted from the original checkpoints on the volume into the
 * volume's graph cache (src/convert/graph-cache.ts) the first time a worker needs them, and found
 * there by every later start: the CLIP image and text towers, Synchformer, the MM-DiT's conditions
 * and flow graphs (with the learned empty features and the latent statistics beside them), the VAE
 * decoder and the vocoder. Each component is its own cache entry keyed by its sources' sha256 and
 * its converter's version, so two networks that share a file (every variant reads the same CLIP
 * and Synchformer) convert it once. Sources are opened one at a time and closed after: a
 * conversion holds one component's weights in memory, never the whole set.
 */
import { readFile } from 'node:fs/promises';
import { BIGVGAN_CONVERTER_VERSION, bigVganHop, convertBigVgan, parseBigVganConfig } from '../../../../convert/bigvgan/index.js';
import { CLIP_IMAGE_CONVERTER_VERSION, convertClipImageModel } from '../../../../convert/clip-image/index.js';
import { CLIP_TEXT_CONVERTER_VERSION, convertClipTextModel } from '../../../../convert/clip-text/convert.js';
import type { PrecisionChoice } from '../../../../convert/onnx-graph.js';
import { convertMmaudioDit, MMAUDIO_DIT_CONVERTER_VERSION, type MmaudioVariant } from '../../../../convert/mmaudio-dit/index.js';
import { convertMmaudioVaeDecoder, MMAUDIO_VAE_CONVERTER_VERSION } from '../../../../convert/mmaudio-vae/index.js';
import type { EngineFile } from '../../../../models/engine-files.js';
import {
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

export type { SourceFile } from '../learned/components.js';

/** The components, by the name their cache folders and timings use. */
export const MMAUDIO_COMPONENTS = ['clip-image', 'clip-text', 'synchformer', 'dit', 'vae', 'vocoder'] as const;
export type MmaudioComponent = (typeof MMAUDIO_COMPONENTS)[number];

export interface MmaudioGraphSet {
  components: Record<MmaudioComponent, ComponentGraphs>;
  /** What the runner needs besides the graphs (read off the converted tensors). */
  facts: MmaudioFacts;
}

/** Sizes and learned vectors the engine runs with. */
export interface MmaudioFacts {
  sampleRate: number;
  /** Audio samples per latent frame (mel hop · 2). */
  samplesPerLatent: number;
  latent: { length: number; channels: number };
  clip: { frames: number; dim: number; image: number };
  sync: { tokens: number; dim: number; image: number; segmentFrames: number };
  text: { length: number; dim: number };
  empty: { clip: number[]; sync: number[]; text: number[] };
  latentMean: number[];
  latentStd: number[];
}

export interface EnsureGraphsOptions {
  variant: MmaudioVariant;
  /** LEARNED_PRECISION: how the MM-DiT's flow graph stores its weights (`auto`: fp32 for every network). Part of the cache key. */
  precision: PrecisionChoice;
  /** The engine's files on the volume, by role. */
  sources: Sources;
  root: string;
  lock: { staleMs: number; waitMs: number };
  signal?: AbortSignal;
  /** Hears each component as it becomes ready. */
  onComponent?: (c: { component: MmaudioComponent; hit: boolean; convertMs: number }) => void;
}

const asNumbers = (a: Float32Array): number[] => Array.from(a);

function plans(o: EnsureGraphsOptions): Record<MmaudioComponent, ComponentPlan> {
  const { variant } = o;
  const need = (role: EngineFile['role']): SourceFile => needFile(o.sources, role, 'MMAudio');
  const clip = need('clip');
  const is16k = variant === 'small_16k';
  const source = sourceLabel;
  return {
    'clip-image': {
      name: 'mmaudio-clip-image',
      version: CLIP_IMAGE_CONVERTER_VERSION,
      files: [clip],
      options: {},
      graphs: ['model'],
      convert: () =>
        withWeights(clip, async (weights) => {
          const c = await convertClipImageModel({ weights, source: source(clip) });
          return { files: graphFiles('model', c), meta: { image: c.dims.grid * c.dims.patch, embed: c.dims.embed } };
        }),
    },
    'clip-text': {
      name: 'mmaudio-clip-text',
      version: CLIP_TEXT_CONVERTER_VERSION,
      files: [clip],
      options: {},
      graphs: ['model'],
      convert: () =>
        withWeights(clip, async (weights) => {
          const c = await convertClipTextModel({ weights, source: source(clip) });
          return { files: { 'model.onnx': c.model }, meta: { context: c.dims.context, width: c.dims.width } };
        }),
    },
    synchformer: synchformerPlan(need('synchformer')),
    dit: {
      name: 'mmaudio-dit',
      version: MMAUDIO_DIT_CONVERTER_VERSION,
      files: [need('dit')],
      options: { variant, precision: o.precision },
      graphs: ['conditions', 'flow'],
      convert: () =>
        withWeights(need('dit'), async (weights) => {
          const c = await convertMmaudioDit({ weights, variant, precision: o.precision, source: source(need('dit')) });
          return {
            files: { ...graphFiles('conditions', c.conditions), ...graphFiles('flow', c.flow) },
            meta: {
              sequence: c.sequence,
              precision: c.precision,
              dims: c.dims,
              empty: { clip: asNumbers(c.empty.clip), sync: asNumbers(c.empty.sync), text: asNumbers(c.empty.text) },
              latentMean: asNumbers(c.latentMean),
              latentStd: asNumbers(c.latentStd),
            },
          };
        }),
    },
    vae: {
      name: 'mmaudio-vae',
      version: MMAUDIO_VAE_CONVERTER_VERSION,
      files: [need('vae')],
      options: { mode: is16k ? '16k' : '44k' },
      graphs: ['model'],
      convert: () =>
        withWeights(need('vae'), async (weights) => ({
          files: {
            'model.onnx': await convertMmaudioVaeDecoder({ weights, variant: is16k ? '16k' : '44k', source: source(need('vae')) }),
          },
        })),
    },
    vocoder: {
      name: 'mmaudio-vocoder',
      version: BIGVGAN_CONVERTER_VERSION,
      files: is16k ? [need('vocoder')] : [need('vocoder'), need('vocoder-config')],
      options: { variant: is16k ? 'v1-16k' : 'v2-44k' },
      graphs: ['model'],
      convert: async () => {
        const configFile = is16k ? undefined : need('vocoder-config');
        const config = configFile ? parseBigVganConfig(JSON.parse(await readFile(configFile.local, 'utf8'))) : undefined;
        return withWeights(need('vocoder'), async (weights) => {
          const model = await convertBigVgan({ weights, variant: is16k ? 'v1-16k' : 'v2-44k', ...(config ? { config } : {}) });
          return { files: { 'model.onnx': model }, meta: config ? { hop: bigVganHop(config) } : { hop: 256 } };
        });
      },
    },
  };
}

/** Removes a component's cached graphs (one that would not load), so the next ensure converts it again. */
export async function discardMmaudioComponent(o: EnsureGraphsOptions, component: MmaudioComponent): Promise<void> {
  await discardComponent(plans(o)[component], o.root);
}

/** Every component from the cache, or converted into it; then the facts the runner needs. */
export async function ensureMmaudioGraphs(o: EnsureGraphsOptions): Promise<MmaudioGraphSet> {
  const components = await ensureComponents(plans(o), { ...o, order: MMAUDIO_COMPONENTS });
  return { components, facts: factsOf(components) };
}

type Meta = Record<string, unknown>;

function factsOf(c: Record<MmaudioComponent, ComponentGraphs>): MmaudioFacts {
  const dit = c.dit.cached.meta as Meta & {
    sequence: { latent: number; clip: number; sync: number };
    dims: { latentDim: number; clipDim: number; syncDim: number; textDim: number; textLength: number };
    empty: MmaudioFacts['empty'];
    latentMean: number[];
    latentStd: number[];
  };
  const image = c['clip-image'].cached.meta as { image: number; embed: number };
  const sync = c.synchformer.cached.meta as { image: number; frames: number; width: number };
  const hop = (c.vocoder.cached.meta as { hop: number }).hop;
  const sampleRate = hop === 256 ? 16000 : 44100;
  return {
    sampleRate,
    samplesPerLatent: hop * 2,
    latent: { length: dit.sequence.latent, channels: dit.dims.latentDim },
    clip: { frames: dit.sequence.clip, dim: dit.dims.clipDim, image: image.image },
    sync: { tokens: dit.sequence.sync, dim: dit.dims.syncDim, image: sync.image, segmentFrames: sync.frames },
    text: { length: dit.dims.textLength, dim: dit.dims.textDim },
    empty: dit.empty,
    latentMean: dit.latentMean,
    latentStd: dit.latentStd,
  };
}
