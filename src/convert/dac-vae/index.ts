/**
 * @module HunyuanVideo-Foley's DAC-VAE decoder (latent z at 50 Hz → 48 kHz audio) from its original
 * PyTorch weights (`vae_128d_48k.pth`) to ONNX: the converter, the sizes it reads off the
 * checkpoint, and the tensor table for writing stand-ins.
 */
export {
  type ConvertDacVaeOptions,
  type ConvertedDacVae,
  convertDacVaeDecoder,
  DAC_VAE_CONVERTER_VERSION,
  DAC_VAE_DATA_LOCATION,
  DAC_VAE_IO,
} from './convert.js';
export {
  DAC_DILATIONS,
  DAC_KERNEL,
  DAC_VAE_DEFAULT_SAMPLE_RATE,
  type DacVaeDims,
  dacVaeHop,
  dacVaeTensorShapes,
} from './weights.js';
