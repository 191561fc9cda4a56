/**
 * @module The text tower's tensors out of a Hugging Face CLAP checkpoint (`model.safetensors` of
 * `laion/larger_clap_general`, a whole `ClapModel`, or a reduced one of the same architecture), by HF's
 * parameter names: only the tensors `last_hidden_state` needs are read (`text_model.embeddings.*` less
 * its int64 buffers, `text_model.encoder.layer.N.*`; never the pooler, `text_projection`, the audio
 * tower or the logit scales), and every size comes from their shapes. A missing tensor or a shape that
 * does not fit the others is MODEL_LOAD_FAILED naming it, before anything is read.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { checkpointError, expectTensor, readFloat32 } from '../checkpoint-tensors.js';
import { blockCount, type ClipBlockWeights, clipHeads, type LayerNormWeights, readLayerNorm, readLinear } from '../clip-transformer.js';

/** What this converter's errors are led by. */
const WHAT = 'CLAP text tower';
const EMBEDDINGS = 'text_model.embeddings.';
const LAYERS = 'text_model.encoder.layer.';

/**
 * The head width of CLAP's text config (`ClapTextConfig`: hidden_size 768, num_attention_heads 12,
 * RoBERTa-base's, which larger_clap_general's config leaves at their defaults): 64. The tensors do not
 * say how many heads there are.
 */
export const CLAP_TEXT_HEAD_SIZE = 64;
/** `ClapTextConfig.pad_token_id` (RoBERTa's `<pad>`), also the embeddings' `padding_idx`: 1. */
export const CLAP_PAD_TOKEN_ID = 1;

/** The sizes of a text tower, read off its tensors. */
export interface ClapTextDims {
  /** Rows of `word_embeddings.weight` (50265). */
  vocab: number;
  /** Model width: columns of `word_embeddings.weight` (768). */
  width: number;
  /** Rows of `position_embeddings.weight` (`max_position_embeddings`: 514). */
  positions: number;
  /**
   * The most tokens one sequence may have: positions − padding_idx − 1 (512), since RoBERTa numbers
   * real tokens from padding_idx + 1.
   */
  maxTokens: number;
  /** `encoder.layer.N` blocks: one past the highest N in the file (12). */
  layers: number;
  /** Rows of `intermediate.dense.weight` (`intermediate_size`: 3072). */
  mlpWidth: number;
  /** Attention heads: width / 64 unless told otherwise (12). */
  heads: number;
  /** The `<pad>` id: padding mask and position offset (1). */
  padTokenId: number;
}

export interface ClapTextWeights {
  dims: ClapTextDims;
  /** [vocab, width] */
  wordEmbeddings: Float32Array;
  /** [positions, width] */
  positionEmbeddings: Float32Array;
  /** `token_type_embeddings` [1, width]: type 0, the only one (the tokenizer gives no types; the buffer is zeros). */
  tokenType: Float32Array;
  embeddingsLayerNorm: LayerNormWeights;
  /** Post-LN blocks: `ln1` is `attention.output.LayerNorm`, `ln2` `output.LayerNorm`. */
  blocks: ClipBlockWeights[];
}

/** The sizes, from the tensors' shapes alone (nothing is read). */
export function clapTextDims(weights: WeightsFile, o: { heads?: number; padTokenId?: number } = {}): ClapTextDims {
  const [vocab, width] = expectTensor(weights, `${EMBEDDINGS}word_embeddings.weight`, [-1, -1], WHAT).shape as [number, number];
  const posName = `${EMBEDDINGS}position_embeddings.weight`;
  const positions = expectTensor(weights, posName, [-1, width], WHAT).shape[0]!;
  const padTokenId = o.padTokenId ?? CLAP_PAD_TOKEN_ID;
  const maxTokens = positions - padTokenId - 1;
  if (maxTokens < 1) {
    throw checkpointError(WHAT, `tensor "${posName}" has ${positions} rows, too few past padding_idx ${padTokenId}`, {
      tensor: posName,
      rows: positions,
    });
  }
  const layers = blockCount(weights, { blocks: LAYERS, first: 'attention.self.query.weight', what: WHAT });
  const mlpWidth = expectTensor(weights, `${LAYERS}0.intermediate.dense.weight`, [-1, width], WHAT).shape[0]!;
  const heads = clipHeads({ width, heads: o.heads, headSize: CLAP_TEXT_HEAD_SIZE, what: WHAT });
  return { vocab, width, positions, maxTokens, layers, mlpWidth, heads, padTokenId };
}

/** Every tensor `last_hidden_state` needs, with its expected shape, in the order they are read. */
export function clapTextTensorShapes(dims: ClapTextDims): Map<string, number[]> {
  const { width: w, mlpWidth: m } = dims;
  const shapes: [string, number[]][] = [
    [`${EMBEDDINGS}word_embeddings.weight`, [dims.vocab, w]],
    [`${EMBEDDINGS}position_embeddings.weight`, [dims.positions, w]],
    // type_vocab_size rows: 1 for CLAP (ClapTextConfig's default, which the checkpoint keeps).
    [`${EMBEDDINGS}token_type_embeddings.weight`, [1, w]],
    [`${EMBEDDINGS}LayerNorm.weight`, [w]],
    [`${EMBEDDINGS}LayerNorm.bias`, [w]],
  ];
  for (let i = 0; i < dims.layers; i++) {
    const b = `${LAYERS}${i}`;
    for (const [name, shape] of [
      ['attention.self.query.weight', [w, w]],
      ['attention.self.query.bias', [w]],
      ['attention.self.key.weight', [w, w]],
      ['attention.self.key.bias', [w]],
      ['attention.self.value.weight', [w, w]],
      ['attention.self.value.bias', [w]],
      ['attention.output.dense.weight', [w, w]],
      ['attention.output.dense.bias', [w]],
      ['attention.output.LayerNorm.weight', [w]],
      ['attention.output.LayerNorm.bias', [w]],
      ['intermediate.dense.weight', [m, w]],
      ['intermediate.dense.bias', [m]],
      ['output.dense.weight', [w, m]],
      ['output.dense.bias', [w]],
      ['output.LayerNorm.weight', [w]],
      ['output.LayerNorm.bias', [w]],
    ] as const) {
      shapes.push([`${b}.${name}`, [...shape]]);
    }
  }
  return new Map(shapes);
}

async function readLayer(weights: WeightsFile, o: { i: number; width: number; mlpWidth: number }): Promise<ClipBlockWeights> {
  const b = `${LAYERS}${o.i}`;
  const { width: w, mlpWidth: m } = o;
  const square = (name: string) => readLinear(weights, { prefix: `${b}.${name}`, in: w, out: w });
  return {
    q: await square('attention.self.query'),
    k: await square('attention.self.key'),
    v: await square('attention.self.value'),
    out: await square('attention.output.dense'),
    ln1: await readLayerNorm(weights, `${b}.attention.output.LayerNorm`),
    fc: await readLinear(weights, { prefix: `${b}.intermediate.dense`, in: w, out: m }),
    proj: await readLinear(weights, { prefix: `${b}.output.dense`, in: m, out: w }),
    ln2: await readLayerNorm(weights, `${b}.output.LayerNorm`),
  };
}

/**
 * Reads the text tower: checks every tensor's presence and shape first (so a bad checkpoint fails
 * before hundreds of megabytes are read), then reads them one at a time, widened to float32.
 */
export async function readClapTextWeights(weights: WeightsFile, o: { heads?: number; padTokenId?: number } = {}): Promise<ClapTextWeights> {
  const dims = clapTextDims(weights, o);
  for (const [name, shape] of clapTextTensorShapes(dims)) expectTensor(weights, name, shape, WHAT);
  const wordEmbeddings = await readFloat32(weights, `${EMBEDDINGS}word_embeddings.weight`);
  const positionEmbeddings = await readFloat32(weights, `${EMBEDDINGS}position_embeddings.weight`);
  const tokenType = await readFloat32(weights, `${EMBEDDINGS}token_type_embeddings.weight`);
  const embeddingsLayerNorm = await readLayerNorm(weights, `${EMBEDDINGS}LayerNorm`);
  const blocks: ClipBlockWeights[] = [];
  for (let i = 0; i < dims.layers; i++) blocks.push(await readLayer(weights, { i, width: dims.width, mlpWidth: dims.mlpWidth }));
  return { dims, wordEmbeddings, positionEmbeddings, tokenType, embeddingsLayerNorm, blocks };
}
