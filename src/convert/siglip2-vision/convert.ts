/**
 * @module The SigLIP vision tower converter: reads `vision_model.*` (weights.ts), builds the graph
 * (graph.ts) and encodes it inline (siglip2-base-patch16-512's tower is ~93 M parameters, ~370 MB of
 * fp32) or, when asked or past {@link EXTERNAL_DATA_FROM}, with an external data file.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import type { ClipActivation } from '../clip-transformer.js';
import { type ConvertedGraph, EXTERNAL_DATA_FROM, encodeGraph, graphMetadata } from '../onnx-graph.js';
import { buildSiglip2VisionGraph, SIGLIP2_VISION_INPUT, SIGLIP2_VISION_OUTPUT } from './graph.js';
import { readSiglip2VisionWeights, type Siglip2VisionDims } from './weights.js';

/** Bump when the graph this produces changes (a cached conversion is keyed on it). */
export const SIGLIP2_VISION_CONVERTER_VERSION = '1';

/** The data file's name beside the model, when the weights go external (the model refers to it by this name). */
export const SIGLIP2_VISION_DATA_LOCATION = 'siglip2_vision.onnx.data';

export interface ConvertSiglip2VisionOptions {
  /** An open SigLIP checkpoint (`openWeights` on `model.safetensors`): the whole `SiglipModel` is fine, only `vision_model.*` is read. */
  weights: WeightsFile;
  /**
   * Attention heads; the tensors do not say. Default: width / 64 (`SiglipVisionConfig`'s 12 heads of
   * 768, which siglip2-base-patch16-512 keeps).
   */
  heads?: number;
  /**
   * The MLP's activation: SigLIP's `hidden_act` is `gelu_pytorch_tanh`. Another value only serves to
   * show that the choice matters.
   * @default 'gelu_tanh'
   */
  activation?: ClipActivation;
  /** Stored in the model's metadata (where the weights came from). */
  source?: string;
  /**
   * Where the weights go: `inline`, `external` (the model plus a data file to write beside it under
   * `data.location`, {@link SIGLIP2_VISION_DATA_LOCATION}), or `auto`: external past {@link EXTERNAL_DATA_FROM}.
   * @default 'auto'
   */
  storage?: 'auto' | 'inline' | 'external';
}

export interface ConvertedSiglip2Vision extends ConvertedGraph {
  dims: Siglip2VisionDims;
  inputName: string;
  outputName: string;
}

/**
 * The conversion with its sizes and I/O names. With `data`, write it beside the model under
 * `data.location` before ORT loads the model from its path.
 */
export async function convertSiglip2VisionModel(o: ConvertSiglip2VisionOptions): Promise<ConvertedSiglip2Vision> {
  const activation = o.activation ?? 'gelu_tanh';
  const weights = await readSiglip2VisionWeights(o.weights, o.heads === undefined ? {} : { heads: o.heads });
  const { dims } = weights;
  const g = buildSiglip2VisionGraph(weights, { activation });
  const e = {
    producerName: 'foley-worker siglip2-vision',
    producerVersion: SIGLIP2_VISION_CONVERTER_VERSION,
    docString: 'HF SiglipModel vision tower: normalised pixels → get_image_features (MAP-head pooled output)',
    metadata: graphMetadata(o.source, {
      activation,
      width: dims.width,
      patch: dims.patch,
      grid: dims.grid,
      layers: dims.layers,
      heads: dims.heads,
      mlp_width: dims.mlpWidth,
    }),
  };
  const encoded = encodeGraph(g, { ...e, storage: o.storage, location: SIGLIP2_VISION_DATA_LOCATION });
  return { ...encoded, dims, inputName: SIGLIP2_VISION_INPUT, outputName: SIGLIP2_VISION_OUTPUT };
}
