/**
 * @module Synchformer's visual encoder (MMAudio's and HunyuanVideo-Foley's sync features) from its
 * original PyTorch weights to ONNX: the converter, its config table, and the weights reader.
 */
export { SYNCHFORMER_CONFIG, type SynchformerConfig, VFEAT_PREFIX } from './config.js';
export {
  type ConvertedSynchformer,
  type ConvertSynchformerOptions,
  convertSynchformer,
  convertSynchformerModel,
  SYNCHFORMER_CONVERTER_VERSION,
} from './convert.js';
export { SYNCHFORMER_INPUT, SYNCHFORMER_OUTPUT } from './graph.js';
export { type SynchformerDims, synchformerDims, synchformerTensorShapes } from './weights.js';
