/**
 * @module HunyuanVideo-Foley's DiT (tencent/HunyuanVideo-Foley, `hunyuanvideo_foley_xl.pth` /
 * `hunyuanvideo_foley.pth`) converted from its original weights to two ONNX graphs (opset 17, batch
 * and text length dynamic; computing in fp32, the flow graph's weights stored in fp16 for XXL): the
 * conditions graph (the feature projections, once per window and CFG side) and the flow graph (one
 * velocity per step), plus the learned empty features CFG's unconditional side uses. Every size is
 * read off the tensors; the window's sequence lengths come from `sequence` or default to 8 s
 * (config.ts says why). Called by the hunyuan-foley engine (src/pipelines/foley/engines/hunyuan/graphs.ts).
 */
import { WorkerError } from '../../errors.js';
import type { WeightsFile } from '../../models/weights/index.js';
import {
  type ConvertedGraph,
  encodeGraph,
  type OnnxGraph,
  type PrecisionChoice,
  resolvePrecision,
  type WeightPrecision,
  graphMetadata,
} from '../onnx-graph.js';
import { defaultSequenceLengths, HVF_CONFIG, HVF_VARIANTS, type HvfSequenceLengths, type HvfVariant } from './config.js';
import { buildConditionsGraph, buildFlowGraph } from './graphs.js';
import { type HvfDitDims, hvfDitDims, hvfDitFp32Bytes, readHvfDitWeights } from './weights.js';

export { type ConvertedGraph, EXTERNAL_DATA_FROM, type ExternalData } from '../onnx-graph.js';
export {
  defaultSequenceLengths,
  HVF_CONFIG,
  HVF_VARIANTS,
  type HvfSequenceLengths,
  type HvfVariant,
  type HvfVariantConfig,
  hvfSequenceLengths,
} from './config.js';
export {
  HVF_CONDITION_INPUTS,
  HVF_CONDITION_NAMES,
  HVF_FLOW_INPUTS,
  HVF_FLOW_OUTPUT,
  HVF_WINDOW_INPUTS,
  type HvfConditionName,
} from './graphs.js';
export { hvfWindowTables, type WindowTable } from './window-tables.js';
export { type HvfDitDims, hvfDitDims, hvfDitFp32Bytes, hvfDitTensorShapes, hvfVariantDims, UNUSED_TENSORS } from './weights.js';

/** Bump when the graphs this produces change (a cached conversion is keyed on it). */
export const HVF_DIT_CONVERTER_VERSION = '2';

export interface ConvertHvfDitOptions {
  /** An open DiT checkpoint (`openWeights`). */
  weights: WeightsFile;
  /**
   * Which network the file is: recorded, and checked when the file has a released network's hidden size (1408 or
   * 1536): then its depths must be the named variant's. A reduced test network of another width converts under either.
   */
  variant: HvfVariant;
  /**
   * The window's lengths: `hvfSequenceLengths({ duration })` for graphs of one window length, or
   * `'dynamic'`: graphs that take any window up to 15 s, fed its tables (`hvfWindowTables`) with
   * each window, as upstream computes its lengths from each clip. Default 8 s, fixed.
   */
  sequence?: HvfSequenceLengths | 'dynamic';
  /** Stored in the models' metadata (where the weights came from). */
  source?: string;
  /**
   * Where each graph's weights go: `inline`, `external` (the model plus a data file beside it), or
   * `auto`: external when a graph's weights pass {@link EXTERNAL_DATA_FROM} (both released flow
   * graphs: XL 2.91 G parameters = 10.8 GiB of fp32 weights, XXL 5.13 G = 19.1 GiB; the
   * conditions graphs stay inline).
   * @default 'auto'
   */
  storage?: 'auto' | 'inline' | 'external';
  /**
   * How the flow graph stores its weights (onnx-graph.ts `WeightPrecision`: fp16 halves the file and
   * the session, every operator still computes in fp32); `auto`: fp16 past `HALF_WEIGHTS_AUTO_FROM`
   * of fp32 weights (XXL), fp32 below (XL). The conditions graph is always fp32 (tens of MB).
   * @default 'auto'
   */
  precision?: PrecisionChoice;
}

export interface ConvertedHvfDit {
  /** Inputs {@link HVF_CONDITION_INPUTS}, outputs {@link HVF_CONDITION_NAMES}. */
  conditions: ConvertedGraph;
  /** Inputs `latent` [B, 128, L], `t` [B] (σ · 1000) and the conditions; output `velocity` [B, 128, L]. */
  flow: ConvertedGraph;
  dims: HvfDitDims;
  sequence: HvfSequenceLengths | 'dynamic';
  /** How the flow graph's weights are stored (`precision` resolved). */
  precision: WeightPrecision;
  /**
   * The learned empty features (`get_empty_clip_sequence` / `get_empty_sync_sequence`) for CFG's
   * unconditional side, fed broadcast to every frame. There is no learned empty text: upstream's
   * unconditional text is the CLAP encoding of the negative prompt ("noisy, harsh" by default).
   */
  empty: { clip: Float32Array; sync: Float32Array };
}

/** Reads the checkpoint and builds both graphs. */
export async function convertHvfDit(o: ConvertHvfDitOptions): Promise<ConvertedHvfDit> {
  if (!(o.variant in HVF_VARIANTS)) throw new WorkerError('MODEL_LOAD_FAILED', `HunyuanVideo-Foley DiT: unknown variant ${o.variant}`);
  const sequence = o.sequence ?? defaultSequenceLengths();
  const fixed = sequence === 'dynamic' ? undefined : sequence;
  if (
    fixed &&
    (![fixed.latent, fixed.clip, fixed.sync].every((n) => Number.isInteger(n) && n > 0) || fixed.sync % HVF_CONFIG.syncSegment !== 0)
  ) {
    throw new RangeError(`\`sequence\` must hold positive integers, sync a multiple of 8: got ${JSON.stringify(sequence)}`);
  }
  const dims = hvfDitDims(o.weights);
  // A released network named as the other one (the sizes would convert, but under the wrong name and cache key).
  const named = HVF_VARIANTS[o.variant];
  const released = Object.entries(HVF_VARIANTS).find(([, v]) => v.hidden === dims.hidden);
  if (released && (released[0] !== o.variant || dims.triple !== named.triple || dims.single !== named.single)) {
    const is = `hidden ${dims.hidden}, ${dims.triple} triple + ${dims.single} single blocks`;
    const want = `hidden ${named.hidden}, ${named.triple} + ${named.single}`;
    const message = `HunyuanVideo-Foley DiT: the checkpoint (${is}) is not the ${o.variant} network (${want})`;
    throw new WorkerError('MODEL_LOAD_FAILED', message, { details: { variant: o.variant, hidden: dims.hidden } });
  }
  const precision = resolvePrecision(o.precision, hvfDitFp32Bytes(dims));
  const weights = await readHvfDitWeights(o.weights);
  const metadata = graphMetadata(o.source, {
    variant: o.variant,
    hidden: dims.hidden,
    triple: dims.triple,
    single: dims.single,
    latent: fixed?.latent ?? 'dynamic',
    clip: fixed?.clip ?? 'dynamic',
    sync: fixed?.sync ?? 'dynamic',
    weights: precision,
  });
  const storage = o.storage ?? 'auto';
  const encode = (g: OnnxGraph, doc: string, location: string): ConvertedGraph => {
    const e = { producerName: 'foley-worker hvf-dit', producerVersion: HVF_DIT_CONVERTER_VERSION, docString: doc, metadata };
    return encodeGraph(g, { ...e, storage, location });
  };
  return {
    conditions: encode(
      buildConditionsGraph(weights, sequence),
      'HunyuanVideo-Foley conditions: SigLIP2, Synchformer, CLAP features → visual, sync, text',
      'hvf_conditions.onnx.data',
    ),
    flow: encode(
      buildFlowGraph(weights, sequence, precision),
      'HunyuanVideo-Foley DiT: latent, t, conditions → velocity',
      'hvf_flow.onnx.data',
    ),
    dims,
    sequence,
    precision,
    empty: { clip: weights.take('empty_clip_feat'), sync: weights.take('empty_sync_feat') },
  };
}
