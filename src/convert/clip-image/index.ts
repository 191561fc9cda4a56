/**
 * @module CLIP's image tower (open_clip, DFN5B ViT-H/14-378 as MMAudio uses it) converted from its
 * original weights to ONNX: pixels [B, 3, S, S] → `encode_image(x, normalize=True)` [B, embed]
 * float32, MMAudio's per-frame CLIP condition (`FeaturesUtils.encode_video_with_clip`).
 *
 * What the caller does first, as MMAudio does: frames resized to 384 × 384 (bicubic, `_CLIP_SIZE`
 * in its eval_utils.py), scaled to [0, 1], normalised per channel with OpenAI's mean/std
 * ({@link CLIP_MEAN}, {@link CLIP_STD}: `(x − mean) / std`). Then the crop: the stride-14 patch conv
 * of a 384-pixel frame makes 27 patches and never sees the last 6 rows and columns, so the graph
 * takes S = grid · patch = 378 and the caller passes the top-left 378 × 378 (not a centre crop).
 *
 * Sizes are read off the tensors, so a reduced checkpoint of the same architecture converts too.
 * For DFN5B: width 1280, patch 14, grid 27, 32 blocks, MLP 5120, 16 heads of 80 (its open_clip config
 * `ViT-H-14-378-quickgelu`), QuickGELU, embed 1024; about 632 M parameters, an fp32 model of about
 * 2.5 GB, so `storage: 'auto'` writes it with an external data file.
 */
export {
  CLIP_IMAGE_CONVERTER_VERSION,
  CLIP_IMAGE_DATA_LOCATION,
  type ConvertClipImageOptions,
  type ConvertedClipImage,
  convertClipImageModel,
} from './convert.js';
export { CLIP_IMAGE_INPUT, CLIP_IMAGE_OUTPUT } from './graph.js';
export { CLIP_IMAGE_HEAD_SIZE, type ClipImageDims, clipImageDims, clipImageTensorShapes } from './weights.js';
export type { ClipActivation } from '../clip-transformer.js';
export type { ConvertedGraph, ExternalData } from '../mmaudio-dit/index.js';

/** OpenAI CLIP's per-channel (R, G, B) pixel mean (open_clip `OPENAI_DATASET_MEAN`; MMAudio's `clip_preprocess`). */
export const CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
/** OpenAI CLIP's per-channel (R, G, B) pixel standard deviation (open_clip `OPENAI_DATASET_STD`). */
export const CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
