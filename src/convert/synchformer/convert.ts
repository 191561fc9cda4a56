/**
 * @module Synchformer's visual encoder (`vfeat_extractor.*` of `ext_weights/synchformer_state_dict.pth`,
 * MMAudio's and HunyuanVideo-Foley's sync features) converted from its original weights to ONNX:
 * video segments [B, S, 16, 3, 224, 224] float32 → [B, S, 8, 768] float32, what `Synchformer.forward`
 * returns; MMAudio's `encode_video_with_sync` then reads it as [B, S·8, 768].
 *
 * Preprocessing stays outside the graph, as upstream's `sync_transform` (mmaudio/eval_utils.py):
 * frames at 25 fps as uint8 RGB, short side resized to 224 (bicubic, on the uint8 frames), centre
 * crop 224×224, then ToDtype(float32, scale=True) and Normalize(0.5, 0.5): x = (u8 / 255 − 0.5) / 0.5,
 * so every value lies in [-1, 1] (steps of 2/255). Segments of 16 frames every 8 frames
 * (`encode_video_with_sync`: S = (T − 16) // 8 + 1), laid out [B, S, frames, channels, H, W].
 *
 * Sizes are read off the tensors (weights.ts), so a reduced checkpoint of the same architecture
 * converts too; the head count comes from upstream's config (config.ts). For the real file: width 768,
 * 12 blocks, 12 heads of 64, about 121 M parameters used, an fp32 model of 487.5 MB (under protobuf's 2 GB:
 * no external data); ORT CPU on 2 cores takes about 4 s a segment.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { graphMetadata } from '../onnx-graph.js';
import { SYNCHFORMER_CONFIG } from './config.js';
import { buildSynchformerGraph, SYNCHFORMER_INPUT, SYNCHFORMER_OUTPUT } from './graph.js';
import { readSynchformerWeights, type SynchformerDims } from './weights.js';

/** Bump when the graph this produces changes (a cached conversion is keyed on it). */
export const SYNCHFORMER_CONVERTER_VERSION = '1';

export interface ConvertSynchformerOptions {
  /** An open `synchformer_state_dict.pth` (`openWeights`): only `vfeat_extractor.*` tensors are read. */
  weights: WeightsFile;
  /**
   * Attention heads; the tensors do not say.
   * @default 12 (VIT.NUM_HEADS of divided_224_16x4.yaml)
   */
  heads?: number;
  /** Stored in the model's metadata (where the weights came from). */
  source?: string;
}

export interface ConvertedSynchformer {
  /** The ONNX model's bytes. */
  model: Uint8Array;
  dims: SynchformerDims;
  inputName: string;
  outputName: string;
}

/** The conversion with its sizes and I/O names; {@link convertSynchformer} when only the bytes matter. */
export async function convertSynchformerModel(o: ConvertSynchformerOptions): Promise<ConvertedSynchformer> {
  const weights = await readSynchformerWeights(o.weights, o.heads === undefined ? {} : { heads: o.heads });
  const { dims } = weights;
  const model = buildSynchformerGraph(weights, { layerNormEps: SYNCHFORMER_CONFIG.layerNormEps }).encode({
    producerName: 'foley-worker synchformer',
    producerVersion: SYNCHFORMER_CONVERTER_VERSION,
    docString: 'Synchformer visual encoder (divided space-time ViT): segments [B,S,frames,3,H,W] in [-1,1] → [B,S,tokens,width]',
    metadata: graphMetadata(o.source, {
      input_range: '[-1, 1]: (u8 / 255 - 0.5) / 0.5 of 224x224 centre crops at 25 fps',
      width: dims.width,
      heads: dims.heads,
      depth: dims.depth,
      frames: dims.frames,
      image: dims.image,
      temporal_tokens: dims.temporalTokens,
    }),
  });
  return { model, dims, inputName: SYNCHFORMER_INPUT, outputName: SYNCHFORMER_OUTPUT };
}

/** Segments `[B, S, 16, 3, 224, 224]` → features `[B, S, 8, 768]`, as ONNX bytes. */
export async function convertSynchformer(o: ConvertSynchformerOptions): Promise<Uint8Array> {
  return (await convertSynchformerModel(o)).model;
}
