/**
 * @module MMAudio's MM-DiT (hkchengrex/MMAudio, `weights/mmaudio_<variant>.pth`) converted from its
 * original weights to two ONNX graphs (fp32, opset 17, batch dynamic): the conditions graph
 * (`preprocess_conditions`) and the flow graph (`predict_flow`, one Euler step's velocity), plus what
 * the sampler needs besides: the learned empty features for CFG and `latent_mean`/`latent_std`.
 * Every size is read off the tensors; the sequence lengths (RoPE tables, sync upsampling) come from
 * the variant's 8 s table (config.ts) unless `sequence` says otherwise. Not yet called by a task.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { MMAUDIO_VARIANTS, type MmaudioSequenceLengths, type MmaudioVariant, SYNC_SEGMENT, variantSequenceLengths } from './config.js';
import { buildConditionsGraph, buildFlowGraph } from './graphs.js';
import { type MmaudioDitDims, mmaudioDitTensorShapes, readMmaudioDitWeights } from './weights.js';
import { WorkerError } from '../../errors.js';

export {
  MMAUDIO_VARIANTS,
  type MmaudioSequenceLengths,
  type MmaudioVariant,
  mmaudioSequenceLengths,
  variantSequenceLengths,
} from './config.js';
import { fp32Bytes } from '../checkpoint-tensors.js';
import {
  type ConvertedGraph,
  encodeGraph,
  type OnnxGraph,
  type PrecisionChoice,
  resolvePrecision,
  type WeightPrecision,
  graphMetadata,
} from '../onnx-graph.js';
export type { ExternalData } from '../onnx-graph.js';
export { CONDITION_INPUTS, CONDITION_NAMES, type ConditionName, FLOW_INPUTS, FLOW_OUTPUT } from './graphs.js';
export { type MmaudioDitDims, mmaudioDitDims, mmaudioDitTensorShapes } from './weights.js';

/** Bump when the graphs this produces change (a cached conversion is keyed on it). */
export const MMAUDIO_DIT_CONVERTER_VERSION = '1';

export interface ConvertMmaudioDitOptions {
  /** An open MM-DiT checkpoint (`openWeights`). */
  weights: WeightsFile;
  /** Which network the file is: sets the sequence lengths (16k or 44k) and is checked against the tensors (v2 or not). */
  variant: MmaudioVariant;
  /** Other sequence lengths than the variant's 8 s ones (another window length: `mmaudioSequenceLengths`, or a reduced test network). */
  sequence?: MmaudioSequenceLengths;
  /** Stored in the models' metadata (where the weights came from). */
  source?: string;
  /**
   * Where each graph's weights go: `inline` (one model, under protobuf's 2 GB), `external` (the model
   * plus a data file beside it, {@link ConvertedGraph.data}), or `auto`: external when a graph's weights
   * pass {@link EXTERNAL_DATA_FROM} (the flow graphs of medium_44k, large_44k and large_44k_v2).
   * @default 'auto'
   */
  storage?: 'auto' | 'inline' | 'external';
  /**
   * How the flow graph stores its weights (onnx-graph.ts `WeightPrecision`); `auto` keeps every
   * released network in fp32 (large_44k's 4.1 GB is far below `HALF_WEIGHTS_AUTO_FROM`).
   * @default 'auto'
   */
  precision?: PrecisionChoice;
}

export { type ConvertedGraph, EXTERNAL_DATA_FROM } from '../onnx-graph.js';

export interface ConvertedMmaudioDit {
  /** `preprocess_conditions`: inputs {@link CONDITION_INPUTS}, outputs {@link CONDITION_NAMES}. */
  conditions: ConvertedGraph;
  /** `predict_flow`: inputs `latent` [B, latent, C], `t` [B] (raw, in [0, 1]) and the conditions; output `velocity`. */
  flow: ConvertedGraph;
  dims: MmaudioDitDims;
  sequence: MmaudioSequenceLengths;
  /** How the flow graph's weights are stored (`precision` resolved). */
  precision: WeightPrecision;
  /** The learned empty features, for CFG's unconditional side: feed them, broadcast, to the conditions graph. */
  empty: {
    /** `empty_clip_feat` [clipDim]: every CLIP frame. */
    clip: Float32Array;
    /** `empty_sync_feat` [syncDim]: every sync frame. */
    sync: Float32Array;
    /** `empty_string_feat` [textLength · textDim]: the text features when there is no negative prompt. */
    text: Float32Array;
  };
  /** `latent_mean` / `latent_std` [latentDim]: the sampler's result is x · std + mean before the VAE. */
  latentMean: Float32Array;
  latentStd: Float32Array;
}

/** Reads the checkpoint and builds both graphs. */
export async function convertMmaudioDit(o: ConvertMmaudioDitOptions): Promise<ConvertedMmaudioDit> {
  const weights = await readMmaudioDitWeights(o.weights);
  const { dims } = weights;
  const precision = resolvePrecision(o.precision, fp32Bytes(mmaudioDitTensorShapes(dims)));
  const expectV2 = MMAUDIO_VARIANTS[o.variant].v2;
  if (dims.v2 !== expectV2) {
    const is = (v2: boolean) => (v2 ? 'a v2 network' : 'not a v2 network');
    const message = `MMAudio MM-DiT: the checkpoint is ${is(dims.v2)}, but variant ${o.variant} is ${is(expectV2)}`;
    throw new WorkerError('MODEL_LOAD_FAILED', message, { details: { variant: o.variant, v2: dims.v2 } });
  }
  const sequence = o.sequence ?? variantSequenceLengths(o.variant);
  const { latent, clip, sync } = sequence;
  if (![latent, clip, sync].every((n) => Number.isInteger(n) && n > 0) || sync % SYNC_SEGMENT !== 0) {
    throw new RangeError(`\`sequence\` must hold positive integers, sync a multiple of ${SYNC_SEGMENT}: got ${JSON.stringify(sequence)}`);
  }
  const metadata = graphMetadata(o.source, {
    variant: o.variant,
    hidden: dims.hidden,
    joint: dims.joint,
    fused: dims.fused,
    latent: sequence.latent,
    clip: sequence.clip,
    sync: sequence.sync,
    weights: precision,
  });
  const storage = o.storage ?? 'auto';
  const encode = (g: OnnxGraph, doc: string, location: string): ConvertedGraph => {
    const e = { producerName: 'foley-worker mmaudio-dit', producerVersion: MMAUDIO_DIT_CONVERTER_VERSION, docString: doc, metadata };
    return encodeGraph(g, { ...e, storage, location });
  };
  return {
    conditions: encode(
      buildConditionsGraph(weights, sequence),
      'MMAudio preprocess_conditions: clip, sync, text features → conditions',
      'mmaudio_conditions.onnx.data',
    ),
    flow: encode(
      buildFlowGraph(weights, sequence, precision),
      'MMAudio predict_flow: latent, t, conditions → velocity',
      'mmaudio_flow.onnx.data',
    ),
    dims,
    sequence,
    precision,
    empty: { clip: weights.take('empty_clip_feat'), sync: weights.take('empty_sync_feat'), text: weights.take('empty_string_feat') },
    latentMean: weights.take('latent_mean'),
    latentStd: weights.take('latent_std'),
  };
}
