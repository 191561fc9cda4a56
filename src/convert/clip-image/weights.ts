/**
 * @module The image tower's tensors out of an open_clip CLIP checkpoint (`open_clip_pytorch_model.bin`
 * of DFN5B ViT-H/14, or a reduced one of the same architecture), by open_clip's parameter names:
 * only `visual.*` is read (never the text tower, `text_projection` or `logit_scale`), and every size
 * comes from the tensors' shapes. A missing tensor or a shape that does not fit the others is
 * MODEL_LOAD_FAILED naming it, before anything is read.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { checkpointError, expectTensor, readFloat32 } from '../checkpoint-tensors.js';
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
const WHAT = 'CLIP image tower';
/** Where the image tower's tensors are in a whole CLIP's state dict (`CLIP.visual`). */
const PREFIX = 'visual.';

/**
 * The vision head width of DFN5B's open_clip config `ViT-H-14-378-quickgelu` (`"head_width": 80`,
 * overriding `CLIPVisionCfg.head_width = 64`); `_build_vision_tower` makes `heads = width // head_width`:
 * 1280 / 80 = 16.
 */
export const CLIP_IMAGE_HEAD_SIZE = 80;

/** The sizes of an image tower, read off its tensors. */
export interface ClipImageDims {
  /** Model width: output channels of `visual.conv1.weight` (1280 for DFN5B ViT-H/14). */
  width: number;
  /** The patch side: `visual.conv1.weight`'s kernel size, also its stride (14). */
  patch: number;
  /**
   * Patches per side: √(rows of `visual.positional_embedding` − 1) (27). The graph's input is
   * grid · patch pixels square (378).
   */
  grid: number;
  /** `visual.transformer.resblocks.N` blocks: one past the highest N in the file (32). */
  layers: number;
  /** Rows of `mlp.c_fc.weight` (4 × width: 5120). */
  mlpWidth: number;
  /** Columns of `visual.proj`: the feature size (1024). */
  embed: number;
  /** Attention heads: width / 80 unless told otherwise (16). */
  heads: number;
}

export interface ClipImageWeights {
  dims: ClipImageDims;
  /** `conv1.weight` [width, 3, patch, patch], as ONNX Conv takes it. */
  conv: Float32Array;
  /** [width] */
  classEmbedding: Float32Array;
  /** [1 + grid², width]: the class token's row first, then the patches row by row. */
  positionalEmbedding: Float32Array;
  lnPre: LayerNormWeights;
  blocks: ClipBlockWeights[];
  lnPost: LayerNormWeights;
  /** [width, embed]: applied as `pooled @ proj`, already MatMul's layout. */
  proj: Float32Array;
}

/** The sizes, from the tensors' shapes alone (nothing is read). */
export function clipImageDims(weights: WeightsFile, o: { heads?: number } = {}): ClipImageDims {
  const conv = `${PREFIX}conv1.weight`;
  const [width, , patch] = expectTensor(weights, conv, [-1, 3, -1, -1], WHAT).shape as [number, number, number];
  expectTensor(weights, conv, [width, 3, patch, patch], WHAT); // square patches: upstream's to_2tuple(patch_size)
  const pos = `${PREFIX}positional_embedding`;
  const rows = expectTensor(weights, pos, [-1, width], WHAT).shape[0]!;
  const grid = Math.round(Math.sqrt(rows - 1));
  if (grid < 1 || grid * grid + 1 !== rows) {
    // VisionTransformer: one class token + grid_size[0] · grid_size[1] patches, square for a square image.
    throw checkpointError(WHAT, `tensor "${pos}" has ${rows} rows, expected 1 + a square number of patches`, { tensor: pos, rows });
  }
  const layers = clipBlockCount(weights, { prefix: PREFIX, what: WHAT });
  const mlpWidth = expectTensor(weights, `${PREFIX}transformer.resblocks.0.mlp.c_fc.weight`, [-1, width], WHAT).shape[0]!;
  const embed = expectTensor(weights, `${PREFIX}proj`, [width, -1], WHAT).shape[1]!;
  const heads = clipHeads({ width, heads: o.heads, headSize: CLIP_IMAGE_HEAD_SIZE, what: WHAT });
  return { width, patch, grid, layers, mlpWidth, embed, heads };
}

/**
 * Every tensor the image features need (all of `visual.*` for DFN5B), with its expected shape, in
 * the order they are read; also what a random stand-in checkpoint of given sizes must hold.
 */
export function clipImageTensorShapes(dims: ClipImageDims): Map<string, number[]> {
  const { width: w, patch, grid, embed } = dims;
  return new Map<string, number[]>([
    [`${PREFIX}conv1.weight`, [w, 3, patch, patch]],
    [`${PREFIX}class_embedding`, [w]],
    [`${PREFIX}positional_embedding`, [1 + grid * grid, w]],
    [`${PREFIX}ln_pre.weight`, [w]],
    [`${PREFIX}ln_pre.bias`, [w]],
    ...clipTransformerTensorShapes({ prefix: PREFIX, ...dims }),
    [`${PREFIX}ln_post.weight`, [w]],
    [`${PREFIX}ln_post.bias`, [w]],
    [`${PREFIX}proj`, [w, embed]],
  ]);
}

/**
 * Reads the image tower: checks every tensor's presence and shape first (so a bad checkpoint fails
 * before gigabytes are read), then reads them one at a time, widened to float32.
 */
export async function readClipImageWeights(weights: WeightsFile, o: { heads?: number } = {}): Promise<ClipImageWeights> {
  const dims = clipImageDims(weights, o);
  for (const [name, shape] of clipImageTensorShapes(dims)) expectTensor(weights, name, shape, WHAT);
  const read = (name: string): Promise<Float32Array> => readFloat32(weights, PREFIX + name);
  const conv = await read('conv1.weight');
  const classEmbedding = await read('class_embedding');
  const positionalEmbedding = await read('positional_embedding');
  const lnPre = await readLayerNorm(weights, `${PREFIX}ln_pre`);
  const blocks = await readClipTransformer(weights, { prefix: PREFIX, ...dims });
  const lnPost = await readLayerNorm(weights, `${PREFIX}ln_post`);
  return { dims, conv, classEmbedding, positionalEmbedding, lnPre, blocks, lnPost, proj: await read('proj') };
}
