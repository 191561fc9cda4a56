/**
 * @module The CLIP image tower converter: reads `visual.*` (weights.ts), builds the graph (graph.ts)
 * and encodes it inline or, for DFN5B's ~2.5 GB of fp32 weights (over protobuf's 2 GB), with an
 * external data file.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import type { ClipActivation } from '../clip-transformer.js';
import { type ConvertedGraph, EXTERNAL_DATA_FROM, encodeGraph, graphMetadata } from '../onnx-graph.js';
import { buildClipImageGraph, CLIP_IMAGE_INPUT, CLIP_IMAGE_OUTPUT } from './graph.js';
import { type ClipImageDims, readClipImageWeights } from './weights.js';

/** Bump when the graph this produces changes (a cached conversion is keyed on it). */
export const CLIP_IMAGE_CONVERTER_VERSION = '1';

/** The data file's name beside the model, when the weights go external (the model refers to it by this name). */
export const CLIP_IMAGE_DATA_LOCATION = 'clip_image.onnx.data';

export interface ConvertClipImageOptions {
  /** An open CLIP checkpoint (`openWeights`): the whole CLIP is fine, only the image tower's tensors are read. */
  weights: WeightsFile;
  /**
   * The MLP's activation. open_clip builds DFN5B's image tower with QuickGELU (its model config
   * `ViT-H-14-378-quickgelu` and pretrained tag `dfn5b` say `quick_gelu: true`; `_build_vision_tower`
   * then passes `act_layer=QuickGELU`).
   * @default 'quick_gelu'
   */
  activation?: ClipActivation;
  /**
   * Attention heads; the tensors do not say. Default: width / 80 (DFN5B's config `ViT-H-14-378-quickgelu`
   * sets the vision `head_width` to 80: 1280 / 80 = 16 heads).
   */
  heads?: number;
  /** Stored in the model's metadata (where the weights came from). */
  source?: string;
  /**
   * Where the weights go: `inline` (one model, under protobuf's 2 GB), `external` (the model plus a
   * data file to write beside it under `data.location`, {@link CLIP_IMAGE_DATA_LOCATION}), or `auto`:
   * external when the weights pass {@link EXTERNAL_DATA_FROM} (DFN5B's ViT-H/14: ~2.5 GB).
   * @default 'auto'
   */
  storage?: 'auto' | 'inline' | 'external';
}

export interface ConvertedClipImage extends ConvertedGraph {
  dims: ClipImageDims;
  inputName: string;
  outputName: string;
}

/**
 * The conversion with its sizes and I/O names. With `data`, write it beside the model under
 * `data.location` before ORT loads the model from its path.
 */
export async function convertClipImageModel(o: ConvertClipImageOptions): Promise<ConvertedClipImage> {
  const activation = o.activation ?? 'quick_gelu';
  const weights = await readClipImageWeights(o.weights, o.heads === undefined ? {} : { heads: o.heads });
  const { dims } = weights;
  const g = buildClipImageGraph(weights, { activation });
  const e = {
    producerName: 'foley-worker clip-image',
    producerVersion: CLIP_IMAGE_CONVERTER_VERSION,
    docString: 'open_clip CLIP image tower: normalised pixels → L2-normalised image features (encode_image(x, normalize=True))',
    metadata: graphMetadata(o.source, {
      activation,
      width: dims.width,
      patch: dims.patch,
      grid: dims.grid,
      layers: dims.layers,
      heads: dims.heads,
      embed: dims.embed,
    }),
  };
  const encoded = encodeGraph(g, { ...e, storage: o.storage, location: CLIP_IMAGE_DATA_LOCATION });
  return { ...encoded, dims, inputName: CLIP_IMAGE_INPUT, outputName: CLIP_IMAGE_OUTPUT };
}
