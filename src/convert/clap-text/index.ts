/**
 * @module CLAP's text tower (`laion/larger_clap_general`, as HunyuanVideo-Foley uses it) converted from
 * its original Hugging Face weights (`model.safetensors`) to ONNX: RoBERTa token ids [B, L] int64 →
 * `ClapTextModelWithProjection(...).last_hidden_state` [B, L, 768] float32, HVF's text condition.
 *
 * What HVF does around it (utils/feature_utils.py `encode_text_feat`, `feature_process`): the batch is
 * `[negative prompt, prompt]`, tokenized with `padding=True` (`<s>` … `</s>`, padded with `<pad>` = 1 to
 * the longer of the two; no truncation); `outputs.last_hidden_state` is kept, padded rows included, and
 * cut to the config's `text_length` (77) tokens afterwards; the projected `text_embeds` is not used, so
 * the graph does not build the pooler or `text_projection`. L may be anything up to `dims.maxTokens`
 * (512 for RoBERTa's 514 positions); the caller truncates to 77 after the graph, as HVF does.
 *
 * Sizes are read off the tensors, so a reduced checkpoint of the same architecture converts too. For
 * larger_clap_general: vocab 50265, width 768, 514 positions, 12 layers, MLP 3072, 12 heads of 64, exact
 * GELU, LayerNorm eps 1e-12; ~125 M parameters, ~500 MB fp32.
 */
export {
  CLAP_TEXT_CONVERTER_VERSION,
  CLAP_TEXT_DATA_LOCATION,
  type ConvertClapTextOptions,
  type ConvertedClapText,
  convertClapTextModel,
} from './convert.js';
export { CLAP_LAYER_NORM_EPS, CLAP_TEXT_INPUT, CLAP_TEXT_OUTPUT } from './graph.js';
export { CLAP_PAD_TOKEN_ID, CLAP_TEXT_HEAD_SIZE, type ClapTextDims, clapTextDims, clapTextTensorShapes } from './weights.js';
export type { ConvertedGraph, ExternalData } from '../mmaudio-dit/index.js';

/** The text length HVF's configs set (`model_kwargs.text_length: 77`): features past it are cut off. */
export const HVF_TEXT_LENGTH = 77;
