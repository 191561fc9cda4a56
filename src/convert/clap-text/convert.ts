/**
 * @module The CLAP text tower converter: reads `text_model.*` (weights.ts), builds the graph (graph.ts)
 * and encodes it inline (larger_clap_general's text tower is ~125 M parameters, ~500 MB of fp32) or,
 * when asked or past {@link EXTERNAL_DATA_FROM}, with an external data file.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { type ConvertedGraph, EXTERNAL_DATA_FROM, encodeGraph, graphMetadata } from '../onnx-graph.js';
import { buildClapTextGraph, CLAP_TEXT_INPUT, CLAP_TEXT_OUTPUT } from './graph.js';
import { type ClapTextDims, readClapTextWeights } from './weights.js';

/** Bump when the graph this produces changes (a cached conversion is keyed on it). */
export const CLAP_TEXT_CONVERTER_VERSION = '1';

/** The data file's name beside the model, when the weights go external (the model refers to it by this name). */
export const CLAP_TEXT_DATA_LOCATION = 'clap_text.onnx.data';

export interface ConvertClapTextOptions {
  /**
   * An open CLAP checkpoint (`openWeights` on `model.safetensors`): the whole `ClapModel` is fine, only
   * the text tower's encoder tensors are read.
   */
  weights: WeightsFile;
  /** Attention heads; the tensors do not say. Default: width / 64 (`ClapTextConfig`'s 12 heads of 768). */
  heads?: number;
  /** The `<pad>` id (padding mask and RoBERTa's position offset). @default 1 */
  padTokenId?: number;
  /** Stored in the model's metadata (where the weights came from). */
  source?: string;
  /**
   * Where the weights go: `inline`, `external` (the model plus a data file to write beside it under
   * `data.location`, {@link CLAP_TEXT_DATA_LOCATION}), or `auto`: external past {@link EXTERNAL_DATA_FROM}.
   * @default 'auto'
   */
  storage?: 'auto' | 'inline' | 'external';
}

export interface ConvertedClapText extends ConvertedGraph {
  dims: ClapTextDims;
  inputName: string;
  outputName: string;
}

/**
 * The conversion with its sizes and I/O names. With `data`, write it beside the model under
 * `data.location` before ORT loads the model from its path.
 */
export async function convertClapTextModel(o: ConvertClapTextOptions): Promise<ConvertedClapText> {
  const weights = await readClapTextWeights(o.weights, {
    ...(o.heads === undefined ? {} : { heads: o.heads }),
    ...(o.padTokenId === undefined ? {} : { padTokenId: o.padTokenId }),
  });
  const { dims } = weights;
  const g = buildClapTextGraph(weights);
  const e = {
    producerName: 'foley-worker clap-text',
    producerVersion: CLAP_TEXT_CONVERTER_VERSION,
    docString: 'HF ClapTextModelWithProjection text tower: RoBERTa token ids → last_hidden_state (HunyuanVideo-Foley text_feat)',
    metadata: graphMetadata(o.source, {
      vocab: dims.vocab,
      width: dims.width,
      max_tokens: dims.maxTokens,
      layers: dims.layers,
      heads: dims.heads,
      mlp_width: dims.mlpWidth,
      pad_token_id: dims.padTokenId,
    }),
  };
  const encoded = encodeGraph(g, { ...e, storage: o.storage, location: CLAP_TEXT_DATA_LOCATION });
  return { ...encoded, dims, inputName: CLAP_TEXT_INPUT, outputName: CLAP_TEXT_OUTPUT };
}
