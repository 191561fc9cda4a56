/**
 * @module The text tower's tensors out of an open_clip CLIP checkpoint (`open_clip_pytorch_model.bin`
 * of DFN5B ViT-H/14, or a reduced one of the same architecture), by open_clip's parameter names:
 * only the tensors the text features need are read (never `visual.*`, `text_projection` or
 * `logit_scale`), and every size comes from their shapes. A missing tensor or a shape that does not
 * fit the others is MODEL_LOAD_FAILED naming it, before anything is read.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { expectTensor, readFloat32 } from '../checkpoint-tensors.js';
import {
  type ClipBlockWeights,
  clipBlockCount,
  clipHeads,
  clipTransformerTensorShapes,
  type LayerNormWeights,
  readClipTransformer,
  readLayerNorm,
} from '../clip-transformer.js';

/** What this converter's errors are led by. */
const WHAT = 'CLIP text tower';

/** open_clip's text towers (OpenAI's CLIP lineage) use 64-wide heads: DFN5B's 1024 / 64 = 16, its config's `heads`. */
export const CLIP_TEXT_HEAD_SIZE = 64;

/** The sizes of a text tower, read off its tensors. */
export interface ClipTextDims {
  /** Rows of `token_embedding.weight`. */
  vocab: number;
  /** Model width: columns of `token_embedding.weight` (1024 for DFN5B ViT-H/14). */
  width: number;
  /** Rows of `positional_embedding`: the token count the model takes (77). */
  context: number;
  /** `transformer.resblocks.N` blocks: one past the highest N in the file (24). */
  layers: number;
  /** Rows of `mlp.c_fc.weight` (4 × width). */
  mlpWidth: number;
  /** Attention heads: width / 64 unless told otherwise. */
  heads: number;
}

export interface ClipTextWeights {
  dims: ClipTextDims;
  /** [vocab, width] */
  tokenEmbedding: Float32Array;
  /** [context, width] */
  positionalEmbedding: Float32Array;
  blocks: ClipBlockWeights[];
  lnFinal: LayerNormWeights;
}

/** The sizes, from the tensors' shapes alone (nothing is read). */
export function clipTextDims(weights: WeightsFile, o: { heads?: number } = {}): ClipTextDims {
  const embedding = expectTensor(weights, 'token_embedding.weight', [-1, -1], WHAT);
  const [vocab, width] = embedding.shape as [number, number];
  const context = expectTensor(weights, 'positional_embedding', [-1, width], WHAT).shape[0]!;
  const layers = clipBlockCount(weights, { prefix: '', what: WHAT });
  const mlpWidth = expectTensor(weights, 'transformer.resblocks.0.mlp.c_fc.weight', [-1, width], WHAT).shape[0]!;
  const heads = clipHeads({ width, heads: o.heads, headSize: CLIP_TEXT_HEAD_SIZE, what: WHAT });
  return { vocab, width, context, layers, mlpWidth, heads };
}

/** Every tensor the text features need, with its expected shape, in the order they are read. */
export function clipTextTensorShapes(dims: ClipTextDims): Map<string, number[]> {
  const { vocab, width: w, context } = dims;
  return new Map<string, number[]>([
    ['token_embedding.weight', [vocab, w]],
    ['positional_embedding', [context, w]],
    ...clipTransformerTensorShapes({ prefix: '', ...dims }),
    ['ln_final.weight', [w]],
    ['ln_final.bias', [w]],
  ]);
}

/**
 * Reads the text tower: checks every tensor's presence and shape first (so a bad checkpoint fails
 * before gigabytes are read), then reads them one at a time, widened to float32.
 */
export async function readClipTextWeights(weights: WeightsFile, o: { heads?: number } = {}): Promise<ClipTextWeights> {
  const dims = clipTextDims(weights, o);
  const shapes = clipTextTensorShapes(dims);
  for (const [name, shape] of shapes) expectTensor(weights, name, shape, WHAT);
  const tokenEmbedding = await readFloat32(weights, 'token_embedding.weight');
  const positionalEmbedding = await readFloat32(weights, 'positional_embedding');
  const blocks = await readClipTransformer(weights, { prefix: '', ...dims });
  return { dims, tokenEmbedding, positionalEmbedding, blocks, lnFinal: await readLayerNorm(weights, 'ln_final') };
}
