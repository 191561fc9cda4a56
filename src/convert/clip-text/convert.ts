/**
 * @module CLIP's text tower (open_clip, DFN5B ViT-H/14 as MMAudio uses it) converted from its
 * original weights to ONNX: int64 token ids [B, context] (open_clip's tokenizer: SOT … EOT, zero
 * padding; src/text/clip-tokenizer.ts) → every token's state after `ln_final`, L2-normalised,
 * [B, context, width] float32. That is MMAudio's text condition (`FeaturesUtils.encode_text`,
 * which patches CLIP's `encode_text` to skip pooling and the projection).
 *
 * Sizes are read off the tensors, so a reduced checkpoint of the same architecture converts too.
 * For DFN5B: vocab 49408, width 1024, context 77, 24 blocks, MLP 4096, 16 heads (1024 / 64,
 * as its open_clip config `ViT-H-14-378-quickgelu` says), QuickGELU; about 354 M parameters, an
 * fp32 model of about 1.4 GB (under protobuf's 2 GB, so no external data).
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { graphMetadata } from '../onnx-graph.js';
import { buildClipTextGraph, CLIP_TEXT_INPUT, CLIP_TEXT_OUTPUT, type ClipTextActivation } from './graph.js';
import { type ClipTextDims, readClipTextWeights } from './weights.js';

/** Bump when the graph this produces changes (a cached conversion is keyed on it). */
export const CLIP_TEXT_CONVERTER_VERSION = '1';

export interface ConvertClipTextOptions {
  /** An open CLIP checkpoint (`openWeights`): the whole CLIP is fine, only the text tower's tensors are read. */
  weights: WeightsFile;
  /**
   * The MLP's activation. open_clip builds DFN5B's text tower with QuickGELU (its model config
   * `ViT-H-14-378-quickgelu` and pretrained tag `dfn5b` say `quick_gelu: true`).
   * @default 'quick_gelu'
   */
  activation?: ClipTextActivation;
  /**
   * Attention heads; the tensors do not say. Default: width / 64 (open_clip's text towers use
   * 64-wide heads: DFN5B 1024 / 64 = 16, its config's `heads`).
   */
  heads?: number;
  /** Stored in the model's metadata (where the weights came from). */
  source?: string;
}

export interface ConvertedClipText {
  /** The ONNX model's bytes. */
  model: Uint8Array;
  dims: ClipTextDims;
  inputName: string;
  outputName: string;
}

/** The conversion with its sizes and I/O names; {@link convertClipText} when only the bytes matter. */
export async function convertClipTextModel(o: ConvertClipTextOptions): Promise<ConvertedClipText> {
  const activation = o.activation ?? 'quick_gelu';
  const weights = await readClipTextWeights(o.weights, o.heads === undefined ? {} : { heads: o.heads });
  const { dims } = weights;
  const model = buildClipTextGraph(weights, { activation }).encode({
    producerName: 'foley-worker clip-text',
    producerVersion: CLIP_TEXT_CONVERTER_VERSION,
    docString: 'open_clip CLIP text tower: token ids → L2-normalised token states after ln_final (MMAudio encode_text)',
    metadata: graphMetadata(o.source, {
      activation,
      vocab: dims.vocab,
      width: dims.width,
      context: dims.context,
      layers: dims.layers,
      heads: dims.heads,
    }),
  });
  return { model, dims, inputName: CLIP_TEXT_INPUT, outputName: CLIP_TEXT_OUTPUT };
}

/** int64 token ids `[B, context]` → text features `[B, context, width]`, as ONNX bytes. */
export async function convertClipText(o: ConvertClipTextOptions): Promise<Uint8Array> {
  return (await convertClipTextModel(o)).model;
}
