/**
 * @module MMAudio's VAE decoder (latent → mel, 16k and 44k) from its original PyTorch weights to
 * ONNX: the converter, its variant table, and the MPConv1D weight folding it uses.
 */
export {
  CLIP_ACT,
  type ConvertMmaudioVaeOptions,
  convertMmaudioVaeDecoder,
  deinterleaveQkv,
  MMAUDIO_VAE_CONVERTER_VERSION,
  MMAUDIO_VAE_IO,
  MMAUDIO_VAE_VARIANTS,
  type MmaudioVaeVariant,
} from './convert.js';
export { foldMpConvWeight, MP_NORMALIZE_EPS } from './weights.js';
