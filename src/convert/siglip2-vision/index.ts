/**
 * @module SigLIP's vision tower (`google/siglip2-base-patch16-512`, as HunyuanVideo-Foley uses it)
 * converted from its original Hugging Face weights (`model.safetensors`) to ONNX: pixels
 * [B, 3, 512, 512] → `get_image_features(pixel_values)` [B, 768] float32, HVF's per-frame visual
 * condition `siglip2_feat` (utils/feature_utils.py `encode_video_with_siglip2`, frames at 8 fps).
 *
 * What the caller does first, as HVF's `_load_siglip2_model` preprocess does: each frame as an RGB
 * PIL image, `transforms.Resize((512, 512))` (bilinear, antialiased, aspect not kept),
 * `transforms.ToTensor()` ([0, 1]), `transforms.Normalize(mean=[0.5] * 3, std=[0.5] * 3)`
 * ({@link SIGLIP2_MEAN}, {@link SIGLIP2_STD}: `(x − 0.5) / 0.5`).
 *
 * The checkpoint's config says `"model_type": "siglip"`: `AutoModel` builds a `SiglipModel` (SigLIP 2's
 * fixed-resolution checkpoints keep SigLIP's architecture; the NaFlex `Siglip2Model` would need
 * `spatial_shapes`, which HVF never passes). Sizes are read off the tensors, so a reduced checkpoint of
 * the same architecture converts too. For base-patch16-512: width 768, patch 16, grid 32 (1024 patches),
 * 12 layers, MLP 3072, 12 heads of 64, tanh-GELU, LayerNorm eps 1e-6; ~93 M parameters, ~370 MB fp32.
 */
export {
  type ConvertedSiglip2Vision,
  type ConvertSiglip2VisionOptions,
  convertSiglip2VisionModel,
  SIGLIP2_VISION_CONVERTER_VERSION,
  SIGLIP2_VISION_DATA_LOCATION,
} from './convert.js';
export { SIGLIP_LAYER_NORM_EPS, SIGLIP2_VISION_INPUT, SIGLIP2_VISION_OUTPUT } from './graph.js';
export { SIGLIP2_HEAD_SIZE, type Siglip2VisionDims, siglip2VisionDims, siglip2VisionTensorShapes } from './weights.js';
export type { ConvertedGraph, ExternalData } from '../mmaudio-dit/index.js';

/** HVF's per-channel (R, G, B) pixel mean (`transforms.Normalize(mean=[0.5, 0.5, 0.5], …)` in `_load_siglip2_model`). */
export const SIGLIP2_MEAN: readonly [number, number, number] = [0.5, 0.5, 0.5];
/** HVF's per-channel pixel standard deviation (`std=[0.5, 0.5, 0.5]`). */
export const SIGLIP2_STD: readonly [number, number, number] = [0.5, 0.5, 0.5];
/** The frame side HVF resizes every frame to (`transforms.Resize((512, 512))`): grid · patch of base-patch16-512. */
export const SIGLIP2_IMAGE_SIZE = 512;
