/**
 * @module BigVGAN vocoders (MMAudio's v1 16 kHz and BigVGAN-v2 44 kHz) from their original PyTorch
 * weights to ONNX: the converter, its config, and the anti-aliasing filter it builds.
 */
export { BIGVGAN_V1_16K_CONFIG, type BigVganConfig, parseBigVganConfig } from './config.js';
export {
  BIGVGAN_CONVERTER_VERSION,
  BIGVGAN_IO,
  type BigVganVariant,
  bigVganHop,
  type ConvertBigVganOptions,
  convertBigVgan,
} from './convert.js';
export { kaiserSincFilter, resampleFilter } from './filter.js';
