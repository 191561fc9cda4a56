/**
 * @module The vision tower's tensors out of a Hugging Face SigLIP checkpoint (`model.safetensors` of
 * `google/siglip2-base-patch16-512`, a `SiglipModel`, or a reduced one of the same architecture), by
 * HF's parameter names: only `vision_model.*` is read (never `text_model.*`, `logit_scale` or
 * `logit_bias`), and every size comes from the tensors' shapes. A missing tensor or a shape that
 * does not fit the others is MODEL_LOAD_FAILED naming it, before anything is read.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { checkpointError, expectTensor, readFloat32, transposeRows } from '../checkpoint-tensors.js';
import {
  type AttentionWeights,
  blockCount,
  type ClipBlockWeights,
  clipHeads,
  type LayerNormWeights,
  type LinearWeights,
  readLayerNorm,
  readLinear,
} from '../clip-transformer.js';

/** What this converter's errors are led by. */
const WHAT = 'SigLIP vision tower';
/** Where the vision tower's tensors are in a whole `SiglipModel`'s state dict. */
const PREFIX = 'vision_model.';
const LAYERS = `${PREFIX}encoder.layers.`;
const HEAD = `${PREFIX}head.`;

/**
 * The head width of SigLIP's base vision config (`SiglipVisionConfig`: hidden_size 768,
 * num_attention_heads 12, which siglip2-base-patch16-512's config.json leaves at their defaults): 64.
 * The tensors do not say how many heads there are.
 */
export const SIGLIP2_HEAD_SIZE = 64;

/** The sizes of a vision tower, read off its tensors. */
export interface Siglip2VisionDims {
  /** Model width: output channels of `embeddings.patch_embedding.weight` (768 for base). */
  width: number;
  /** The patch side: the patch conv's kernel size, also its stride (16). */
  patch: number;
  /** Patches per side: √(rows of `embeddings.position_embedding.weight`) (32); the input is grid · patch square (512). */
  grid: number;
  /** `encoder.layers.N` blocks: one past the highest N in the file (12). */
  layers: number;
  /** Rows of `mlp.fc1.weight` (`intermediate_size`: 3072). */
  mlpWidth: number;
  /** Attention heads, in the encoder and the pooling head alike: width / 64 unless told otherwise (12). */
  heads: number;
}

export interface Siglip2VisionWeights {
  dims: Siglip2VisionDims;
  /** `patch_embedding.weight` [width, 3, patch, patch], as ONNX Conv takes it, and its bias [width]. */
  conv: Float32Array;
  convBias: Float32Array;
  /** [grid², width]: the patches row by row. */
  positionEmbedding: Float32Array;
  blocks: ClipBlockWeights[];
  postLayerNorm: LayerNormWeights;
  head: {
    /** [width]: the learned query of the attention pooling. */
    probe: Float32Array;
    attention: AttentionWeights;
    layerNorm: LayerNormWeights;
    fc: LinearWeights;
    proj: LinearWeights;
  };
}

/** The sizes, from the tensors' shapes alone (nothing is read). */
export function siglip2VisionDims(weights: WeightsFile, o: { heads?: number } = {}): Siglip2VisionDims {
  const conv = `${PREFIX}embeddings.patch_embedding.weight`;
  const [width, , patch] = expectTensor(weights, conv, [-1, 3, -1, -1], WHAT).shape as [number, number, number];
  expectTensor(weights, conv, [width, 3, patch, patch], WHAT); // square patches (Conv2d with an int kernel_size)
  const pos = `${PREFIX}embeddings.position_embedding.weight`;
  const rows = expectTensor(weights, pos, [-1, width], WHAT).shape[0]!;
  const grid = Math.round(Math.sqrt(rows));
  if (grid < 1 || grid * grid !== rows) {
    // num_patches = (image_size // patch_size)²: no class token, a square grid.
    throw checkpointError(WHAT, `tensor "${pos}" has ${rows} rows, expected a square number of patches`, { tensor: pos, rows });
  }
  const layers = blockCount(weights, { blocks: LAYERS, first: 'layer_norm1.weight', what: WHAT });
  const mlpWidth = expectTensor(weights, `${LAYERS}0.mlp.fc1.weight`, [-1, width], WHAT).shape[0]!;
  const heads = clipHeads({ width, heads: o.heads, headSize: SIGLIP2_HEAD_SIZE, what: WHAT });
  return { width, patch, grid, layers, mlpWidth, heads };
}

/** HF's names of one `SiglipEncoderLayer`'s tensors and their shapes. */
function layerShapes(i: number, w: number, m: number): [string, number[]][] {
  const b = `${LAYERS}${i}`;
  const shapes: [string, number[]][] = [];
  for (const ln of ['layer_norm1', 'layer_norm2']) shapes.push([`${b}.${ln}.weight`, [w]], [`${b}.${ln}.bias`, [w]]);
  for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
    shapes.push([`${b}.self_attn.${proj}.weight`, [w, w]], [`${b}.self_attn.${proj}.bias`, [w]]);
  }
  shapes.push([`${b}.mlp.fc1.weight`, [m, w]], [`${b}.mlp.fc1.bias`, [m]], [`${b}.mlp.fc2.weight`, [w, m]], [`${b}.mlp.fc2.bias`, [w]]);
  return shapes;
}

/**
 * Every tensor `get_image_features` needs (all of `vision_model.*`), with its expected shape, in the
 * order they are read; also what a random stand-in checkpoint of given sizes must hold.
 */
export function siglip2VisionTensorShapes(dims: Siglip2VisionDims): Map<string, number[]> {
  const { width: w, patch, grid, mlpWidth: m } = dims;
  return new Map<string, number[]>([
    [`${PREFIX}embeddings.patch_embedding.weight`, [w, 3, patch, patch]],
    [`${PREFIX}embeddings.patch_embedding.bias`, [w]],
    [`${PREFIX}embeddings.position_embedding.weight`, [grid * grid, w]],
    ...Array.from({ length: dims.layers }, (_, i) => layerShapes(i, w, m)).flat(),
    [`${PREFIX}post_layernorm.weight`, [w]],
    [`${PREFIX}post_layernorm.bias`, [w]],
    [`${HEAD}probe`, [1, 1, w]],
    // torch's nn.MultiheadAttention: q, k, v fused into in_proj [3W, W].
    [`${HEAD}attention.in_proj_weight`, [3 * w, w]],
    [`${HEAD}attention.in_proj_bias`, [3 * w]],
    [`${HEAD}attention.out_proj.weight`, [w, w]],
    [`${HEAD}attention.out_proj.bias`, [w]],
    [`${HEAD}layernorm.weight`, [w]],
    [`${HEAD}layernorm.bias`, [w]],
    [`${HEAD}mlp.fc1.weight`, [m, w]],
    [`${HEAD}mlp.fc1.bias`, [m]],
    [`${HEAD}mlp.fc2.weight`, [w, m]],
    [`${HEAD}mlp.fc2.bias`, [w]],
  ]);
}

async function readLayer(weights: WeightsFile, o: { i: number; width: number; mlpWidth: number }): Promise<ClipBlockWeights> {
  const b = `${LAYERS}${o.i}`;
  const { width: w, mlpWidth: m } = o;
  const proj = (name: string) => readLinear(weights, { prefix: `${b}.self_attn.${name}`, in: w, out: w });
  return {
    ln1: await readLayerNorm(weights, `${b}.layer_norm1`),
    q: await proj('q_proj'),
    k: await proj('k_proj'),
    v: await proj('v_proj'),
    out: await proj('out_proj'),
    ln2: await readLayerNorm(weights, `${b}.layer_norm2`),
    fc: await readLinear(weights, { prefix: `${b}.mlp.fc1`, in: w, out: m }),
    proj: await readLinear(weights, { prefix: `${b}.mlp.fc2`, in: m, out: w }),
  };
}

/** The pooling head's fused in_proj split into its q, k, v row blocks (`F.linear(…).chunk(3)`'s order), each transposed. */
async function readHeadAttention(weights: WeightsFile, w: number): Promise<AttentionWeights> {
  const inProj = await readFloat32(weights, `${HEAD}attention.in_proj_weight`);
  const inBias = await readFloat32(weights, `${HEAD}attention.in_proj_bias`);
  const part = (j: number): LinearWeights => ({
    weight: transposeRows(inProj, { cols: w, from: j * w, rows: w }),
    bias: inBias.slice(j * w, (j + 1) * w),
  });
  const out = await readLinear(weights, { prefix: `${HEAD}attention.out_proj`, in: w, out: w });
  return { q: part(0), k: part(1), v: part(2), out };
}

/**
 * Reads the vision tower: checks every tensor's presence and shape first (so a bad checkpoint fails
 * before hundreds of megabytes are read), then reads them one at a time, widened to float32.
 */
export async function readSiglip2VisionWeights(weights: WeightsFile, o: { heads?: number } = {}): Promise<Siglip2VisionWeights> {
  const dims = siglip2VisionDims(weights, o);
  for (const [name, shape] of siglip2VisionTensorShapes(dims)) expectTensor(weights, name, shape, WHAT);
  const { width: w, mlpWidth: m } = dims;
  const read = (name: string): Promise<Float32Array> => readFloat32(weights, PREFIX + name);
  const conv = await read('embeddings.patch_embedding.weight');
  const convBias = await read('embeddings.patch_embedding.bias');
  const positionEmbedding = await read('embeddings.position_embedding.weight');
  const blocks: ClipBlockWeights[] = [];
  for (let i = 0; i < dims.layers; i++) blocks.push(await readLayer(weights, { i, width: w, mlpWidth: m }));
  const postLayerNorm = await readLayerNorm(weights, `${PREFIX}post_layernorm`);
  const probe = await readFloat32(weights, `${HEAD}probe`);
  const attention = await readHeadAttention(weights, w);
  const layerNorm = await readLayerNorm(weights, `${HEAD}layernorm`);
  const fc = await readLinear(weights, { prefix: `${HEAD}mlp.fc1`, in: w, out: m });
  const proj = await readLinear(weights, { prefix: `${HEAD}mlp.fc2`, in: m, out: w });
  return { dims, conv, convBias, positionEmbedding, blocks, postLayerNorm, head: { probe, attention, layerNorm, fc, proj } };
}
