/**
 * @module The visual encoder's tensors out of `synchformer_state_dict.pth` (MMAudio's
 * `ext_weights/`, byte-identical to HunyuanVideo-Foley's), or a reduced checkpoint of the same
 * architecture, by upstream's names: only `vfeat_extractor.*` tensors the forward pass uses are read
 * (never the audio branch, the sync transformer, or the unused 2-D `patch_embed`), and every size
 * comes from their shapes. A missing tensor or a shape that does not fit the others is
 * MODEL_LOAD_FAILED naming it, before anything is read.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { checkpointError, expectTensor, readFloat32, transposeRows } from '../checkpoint-tensors.js';
import { SYNCHFORMER_CONFIG, VFEAT_PREFIX } from './config.js';

/** What this converter's errors are led by. */
const WHAT = 'Synchformer';

/** The sizes of a visual encoder, read off its tensors (upstream's values for the real file in brackets). */
export interface SynchformerDims {
  /** Model width: rows of `patch_embed_3d.proj.weight` [768]. */
  width: number;
  /** Input channels [3]. */
  channels: number;
  /** Frames per tubelet, the 3-D patch's depth (PATCH_SIZE_TEMP) [2]. */
  tubelet: number;
  /** Pixels per patch side (PATCH_SIZE) [16]. */
  patch: number;
  /** Patches per image side: √(rows of `pos_embed` − 1) [14]. */
  grid: number;
  /** Pixels per frame side: grid · patch [224]. */
  image: number;
  /** Temporal tokens per segment: rows of `temp_embed` (TEMPORAL_RESOLUTION) [8]. */
  temporalTokens: number;
  /** Frames per segment: temporalTokens · tubelet [16]. */
  frames: number;
  /** `blocks.N`: one past the highest N [12]. */
  depth: number;
  /** Rows of `blocks.0.mlp.fc1.weight` (MLP_RATIO · width) [3072]. */
  mlpWidth: number;
  /** Rows of `spatial_attn_agg.linear1.weight` (dim_feedforward) [3072]. */
  aggMlpWidth: number;
  /** Attention heads: the config's, not in the tensors [12]. */
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

/** A fused q/k/v projection split into its three row blocks (`chunk(3, dim=-1)`), plus the output projection. */
export interface AttentionWeights {
  q: LinearWeights;
  k: LinearWeights;
  v: LinearWeights;
  out: LinearWeights;
}

/** `DividedSpaceTimeBlock`: norm3 → timeattn, norm1 → attn, norm2 → mlp. */
export interface BlockWeights {
  norm1: LayerNormWeights;
  norm2: LayerNormWeights;
  norm3: LayerNormWeights;
  timeattn: AttentionWeights;
  attn: AttentionWeights;
  fc1: LinearWeights;
  fc2: LinearWeights;
}

/** `SpatialTransformerEncoderLayer` (an `nn.TransformerEncoderLayer`, norm_first, plus its CLS token). */
export interface AggregatorWeights {
  cls: Float32Array;
  norm1: LayerNormWeights;
  attn: AttentionWeights;
  norm2: LayerNormWeights;
  linear1: LinearWeights;
  linear2: LinearWeights;
}

export interface SynchformerWeights {
  dims: SynchformerDims;
  /** `patch_embed_3d.proj.weight` as stored: [width, channels, tubelet, patch, patch] (a Conv weight). */
  patchWeight: Float32Array;
  patchBias: Float32Array;
  /** [width] */
  clsToken: Float32Array;
  /** [1 + grid², width]: row 0 is the CLS token's. */
  posEmbed: Float32Array;
  /** [temporalTokens, width] */
  tempEmbed: Float32Array;
  blocks: BlockWeights[];
  norm: LayerNormWeights;
  agg: AggregatorWeights;
}

/** The sizes, from the tensors' shapes alone (nothing is read). */
export function synchformerDims(weights: WeightsFile, o: { heads?: number } = {}): SynchformerDims {
  const patchShape = expectTensor(weights, `${VFEAT_PREFIX}patch_embed_3d.proj.weight`, [-1, -1, -1, -1, -1], WHAT).shape;
  const [width, channels, tubelet, patch] = patchShape as [number, number, number, number];
  if (patchShape[4] !== patch) {
    throw checkpointError(WHAT, `tensor "${VFEAT_PREFIX}patch_embed_3d.proj.weight" has non-square patches [${patchShape.join(',')}]`, {
      tensor: `${VFEAT_PREFIX}patch_embed_3d.proj.weight`,
    });
  }
  const spatialTokens = expectTensor(weights, `${VFEAT_PREFIX}pos_embed`, [1, -1, width], WHAT).shape[1]! - 1;
  const grid = Math.round(Math.sqrt(spatialTokens));
  if (grid < 1 || grid * grid !== spatialTokens) {
    throw checkpointError(WHAT, `tensor "${VFEAT_PREFIX}pos_embed" has ${spatialTokens} patch rows, not a square grid`, {
      tensor: `${VFEAT_PREFIX}pos_embed`,
    });
  }
  const temporalTokens = expectTensor(weights, `${VFEAT_PREFIX}temp_embed`, [1, -1, width], WHAT).shape[1]!;
  let depth = 0;
  for (const name of weights.tensors.keys()) {
    const n = /^vfeat_extractor\.blocks\.(\d+)\./.exec(name)?.[1];
    if (n !== undefined) depth = Math.max(depth, Number(n) + 1);
  }
  if (depth === 0) {
    const tensor = `${VFEAT_PREFIX}blocks.0.norm1.weight`;
    throw checkpointError(WHAT, `the checkpoint has no tensor "${tensor}"`, { tensor });
  }
  const mlpWidth = expectTensor(weights, `${VFEAT_PREFIX}blocks.0.mlp.fc1.weight`, [-1, width], WHAT).shape[0]!;
  const aggMlpWidth = expectTensor(weights, `${VFEAT_PREFIX}spatial_attn_agg.linear1.weight`, [-1, width], WHAT).shape[0]!;
  const heads = o.heads ?? SYNCHFORMER_CONFIG.heads;
  if (!Number.isInteger(heads) || heads < 1 || width % heads !== 0) {
    throw checkpointError(WHAT, `width ${width} does not split into ${heads} heads`, { width, heads });
  }
  return {
    width,
    channels,
    tubelet,
    patch,
    grid,
    image: grid * patch,
    temporalTokens,
    frames: temporalTokens * tubelet,
    depth,
    mlpWidth,
    aggMlpWidth,
    heads,
  };
}

/** Every tensor the features need (names without `vfeat_extractor.`), with its expected shape, in the order they are read. */
export function synchformerTensorShapes(dims: SynchformerDims): Map<string, number[]> {
  const { width: w, channels, tubelet, patch, grid, temporalTokens, depth, mlpWidth: m, aggMlpWidth: am } = dims;
  const shapes = new Map<string, number[]>([
    ['patch_embed_3d.proj.weight', [w, channels, tubelet, patch, patch]],
    ['patch_embed_3d.proj.bias', [w]],
    ['cls_token', [1, 1, w]],
    ['pos_embed', [1, 1 + grid * grid, w]],
    ['temp_embed', [1, temporalTokens, w]],
  ]);
  const norm = (prefix: string) => {
    shapes.set(`${prefix}.weight`, [w]);
    shapes.set(`${prefix}.bias`, [w]);
  };
  const linear = (prefix: string, inOut: [number, number]) => {
    shapes.set(`${prefix}.weight`, [inOut[1], inOut[0]]);
    shapes.set(`${prefix}.bias`, [inOut[1]]);
  };
  for (let i = 0; i < depth; i++) {
    const b = `blocks.${i}`;
    norm(`${b}.norm3`);
    linear(`${b}.timeattn.qkv`, [w, 3 * w]);
    linear(`${b}.timeattn.proj`, [w, w]);
    norm(`${b}.norm1`);
    linear(`${b}.attn.qkv`, [w, 3 * w]);
    linear(`${b}.attn.proj`, [w, w]);
    norm(`${b}.norm2`);
    linear(`${b}.mlp.fc1`, [w, m]);
    linear(`${b}.mlp.fc2`, [m, w]);
  }
  norm('norm');
  shapes.set('spatial_attn_agg.cls_token', [1, 1, w]);
  norm('spatial_attn_agg.norm1');
  shapes.set('spatial_attn_agg.self_attn.in_proj_weight', [3 * w, w]);
  shapes.set('spatial_attn_agg.self_attn.in_proj_bias', [3 * w]);
  linear('spatial_attn_agg.self_attn.out_proj', [w, w]);
  norm('spatial_attn_agg.norm2');
  linear('spatial_attn_agg.linear1', [w, am]);
  linear('spatial_attn_agg.linear2', [am, w]);
  return shapes;
}

/**
 * Reads the visual encoder: checks every tensor's presence and shape first (so a bad checkpoint
 * fails before hundreds of megabytes are read), then reads them one at a time, widened to float32.
 */
export async function readSynchformerWeights(weights: WeightsFile, o: { heads?: number } = {}): Promise<SynchformerWeights> {
  const dims = synchformerDims(weights, o);
  for (const [name, shape] of synchformerTensorShapes(dims)) expectTensor(weights, VFEAT_PREFIX + name, shape, WHAT);
  const read = (name: string): Promise<Float32Array> => readFloat32(weights, VFEAT_PREFIX + name);
  const w = dims.width;
  const linear = async (prefix: string, inOut: [number, number]): Promise<LinearWeights> => ({
    weight: transposeRows(await read(`${prefix}.weight`), { cols: inOut[0], from: 0, rows: inOut[1] }),
    bias: await read(`${prefix}.bias`),
  });
  const norm = async (prefix: string): Promise<LayerNormWeights> => ({
    scale: await read(`${prefix}.weight`),
    bias: await read(`${prefix}.bias`),
  });
  // Linear(dim, 3·dim)(x).chunk(3, -1) (DividedAttention) and in_proj (nn.MultiheadAttention) both put q, k, v in row blocks.
  const fused = (weight: Float32Array, bias: Float32Array, j: number): LinearWeights => ({
    weight: transposeRows(weight, { cols: w, from: j * w, rows: w }),
    bias: bias.slice(j * w, (j + 1) * w),
  });
  const divided = async (prefix: string): Promise<AttentionWeights> => {
    const qkv = await read(`${prefix}.qkv.weight`);
    const qkvBias = await read(`${prefix}.qkv.bias`);
    return { q: fused(qkv, qkvBias, 0), k: fused(qkv, qkvBias, 1), v: fused(qkv, qkvBias, 2), out: await linear(`${prefix}.proj`, [w, w]) };
  };

  const patchWeight = await read('patch_embed_3d.proj.weight');
  const patchBias = await read('patch_embed_3d.proj.bias');
  const clsToken = await read('cls_token');
  const posEmbed = await read('pos_embed');
  const tempEmbed = await read('temp_embed');
  const blocks: BlockWeights[] = [];
  for (let i = 0; i < dims.depth; i++) {
    const b = `blocks.${i}`;
    const norm3 = await norm(`${b}.norm3`);
    const timeattn = await divided(`${b}.timeattn`);
    const norm1 = await norm(`${b}.norm1`);
    const attn = await divided(`${b}.attn`);
    const norm2 = await norm(`${b}.norm2`);
    const fc1 = await linear(`${b}.mlp.fc1`, [w, dims.mlpWidth]);
    const fc2 = await linear(`${b}.mlp.fc2`, [dims.mlpWidth, w]);
    blocks.push({ norm1, norm2, norm3, timeattn, attn, fc1, fc2 });
  }
  const finalNorm = await norm('norm');
  const a = 'spatial_attn_agg';
  const cls = await read(`${a}.cls_token`);
  const norm1 = await norm(`${a}.norm1`);
  const inProj = await read(`${a}.self_attn.in_proj_weight`);
  const inBias = await read(`${a}.self_attn.in_proj_bias`);
  const out = await linear(`${a}.self_attn.out_proj`, [w, w]);
  const agg: AggregatorWeights = {
    cls,
    norm1,
    attn: { q: fused(inProj, inBias, 0), k: fused(inProj, inBias, 1), v: fused(inProj, inBias, 2), out },
    norm2: await norm(`${a}.norm2`),
    linear1: await linear(`${a}.linear1`, [w, dims.aggMlpWidth]),
    linear2: await linear(`${a}.linear2`, [dims.aggMlpWidth, w]),
  };
  return { dims, patchWeight, patchBias, clsToken, posEmbed, tempEmbed, blocks, norm: finalNorm, agg };
}
