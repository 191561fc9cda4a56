/**
 * @module The text tower's tensors out of an open_clip CLIP checkpoint (`open_clip_pytorch_model.bin`
 * of DFN5B ViT-H/14, or a reduced one of the same architecture), by open_clip's parameter names:
 * only the tensors the text features need are read (never `visual.*`, `text_projection` or
 * `logit_scale`), and every size comes from their shapes. A missing tensor or a shape that does not
 * fit the others is MODEL_LOAD_FAILED naming it, before anything is read.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { checkpointError, expectTensor, readFloat32, transposeRows } from '../checkpoint-tensors.js';

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

/** One linear layer as `MatMul` wants it: the weight transposed to [in, out], and the bias. */
export interface LinearWeights {
  weight: Float32Array;
  bias: Float32Array;
}

export interface LayerNormWeights {
  scale: Float32Array;
  bias: Float32Array;
}

export interface ClipTextBlockWeights {
  ln1: LayerNormWeights;
  /** `attn.in_proj_weight` [3W, W] split into its q, k, v row blocks (nn.MultiheadAttention's layout), each transposed. */
  q: LinearWeights;
  k: LinearWeights;
  v: LinearWeights;
  out: LinearWeights;
  ln2: LayerNormWeights;
  fc: LinearWeights;
  proj: LinearWeights;
}

export interface ClipTextWeights {
  dims: ClipTextDims;
  /** [vocab, width] */
  tokenEmbedding: Float32Array;
  /** [context, width] */
  positionalEmbedding: Float32Array;
  blocks: ClipTextBlockWeights[];
  lnFinal: LayerNormWeights;
}

/** The sizes, from the tensors' shapes alone (nothing is read). */
export function clipTextDims(weights: WeightsFile, o: { heads?: number } = {}): ClipTextDims {
  const embedding = expectTensor(weights, 'token_embedding.weight', [-1, -1], WHAT);
  const [vocab, width] = embedding.shape as [number, number];
  const context = expectTensor(weights, 'positional_embedding', [-1, width], WHAT).shape[0]!;
  // Blocks: one past the highest N of any `transformer.resblocks.N.*` (a block with a tensor missing
  // is then refused by name, not silently dropped with the blocks after it).
  let layers = 0;
  for (const name of weights.tensors.keys()) {
    const n = /^transformer\.resblocks\.(\d+)\./.exec(name)?.[1];
    if (n !== undefined) layers = Math.max(layers, Number(n) + 1);
  }
  if (layers === 0) {
    const tensor = 'transformer.resblocks.0.ln_1.weight';
    throw checkpointError(WHAT, `the checkpoint has no tensor "${tensor}"`, { tensor });
  }
  const mlpWidth = expectTensor(weights, 'transformer.resblocks.0.mlp.c_fc.weight', [-1, width], WHAT).shape[0]!;
  const heads = o.heads ?? width / CLIP_TEXT_HEAD_SIZE;
  if (!Number.isInteger(heads) || heads < 1 || width % heads !== 0) {
    throw checkpointError(
      WHAT,
      `width ${width} does not split into ${o.heads === undefined ? `heads of ${CLIP_TEXT_HEAD_SIZE}` : `${heads} heads`}`,
      {
        width,
        heads,
      },
    );
  }
  return { vocab, width, context, layers, mlpWidth, heads };
}

/** Every tensor the text features need, with its expected shape, in the order they are read. */
export function clipTextTensorShapes(dims: ClipTextDims): Map<string, number[]> {
  const { vocab, width: w, context, layers, mlpWidth: m } = dims;
  const shapes = new Map<string, number[]>([
    ['token_embedding.weight', [vocab, w]],
    ['positional_embedding', [context, w]],
  ]);
  for (let i = 0; i < layers; i++) {
    const b = `transformer.resblocks.${i}`;
    for (const [name, shape] of [
      ['ln_1.weight', [w]],
      ['ln_1.bias', [w]],
      ['attn.in_proj_weight', [3 * w, w]],
      ['attn.in_proj_bias', [3 * w]],
      ['attn.out_proj.weight', [w, w]],
      ['attn.out_proj.bias', [w]],
      ['ln_2.weight', [w]],
      ['ln_2.bias', [w]],
      ['mlp.c_fc.weight', [m, w]],
      ['mlp.c_fc.bias', [m]],
      ['mlp.c_proj.weight', [w, m]],
      ['mlp.c_proj.bias', [w]],
    ] as const) {
      shapes.set(`${b}.${name}`, [...shape]);
    }
  }
  shapes.set('ln_final.weight', [w]);
  shapes.set('ln_final.bias', [w]);
  return shapes;
}

/**
 * Reads the text tower: checks every tensor's presence and shape first (so a bad checkpoint fails
 * before gigabytes are read), then reads them one at a time, widened to float32.
 */
export async function readClipTextWeights(weights: WeightsFile, o: { heads?: number } = {}): Promise<ClipTextWeights> {
  const dims = clipTextDims(weights, o);
  const shapes = clipTextTensorShapes(dims);
  for (const [name, shape] of shapes) expectTensor(weights, name, shape, WHAT);
  const read = (name: string): Promise<Float32Array> => readFloat32(weights, name);
  const { width: w, mlpWidth: m } = dims;
  const linear = async (prefix: string, inOut: { in: number; out: number }): Promise<LinearWeights> => ({
    weight: transposeRows(await read(`${prefix}.weight`), { cols: inOut.in, from: 0, rows: inOut.out }),
    bias: await read(`${prefix}.bias`),
  });
  const norm = async (prefix: string): Promise<LayerNormWeights> => ({
    scale: await read(`${prefix}.weight`),
    bias: await read(`${prefix}.bias`),
  });

  const tokenEmbedding = await read('token_embedding.weight');
  const positionalEmbedding = await read('positional_embedding');
  const blocks: ClipTextBlockWeights[] = [];
  for (let i = 0; i < dims.layers; i++) {
    const b = `transformer.resblocks.${i}`;
    const inProj = await read(`${b}.attn.in_proj_weight`);
    const inBias = await read(`${b}.attn.in_proj_bias`);
    // F.linear(x, in_proj_weight, in_proj_bias).chunk(3, -1): output rows [0,W) are q, [W,2W) k, [2W,3W) v.
    const part = (j: number): LinearWeights => ({
      weight: transposeRows(inProj, { cols: w, from: j * w, rows: w }),
      bias: inBias.slice(j * w, (j + 1) * w),
    });
    blocks.push({
      ln1: await norm(`${b}.ln_1`),
      q: part(0),
      k: part(1),
      v: part(2),
      out: await linear(`${b}.attn.out_proj`, { in: w, out: w }),
      ln2: await norm(`${b}.ln_2`),
      fc: await linear(`${b}.mlp.c_fc`, { in: w, out: m }),
      proj: await linear(`${b}.mlp.c_proj`, { in: m, out: w }),
    });
  }
  return { dims, tokenEmbedding, positionalEmbedding, blocks, lnFinal: await norm('ln_final') };
}
