/**
 * @module An MMAudio MM-DiT checkpoint's tensors (`weights/mmaudio_<variant>.pth`, or a reduced one
 * of the same architecture), by upstream's parameter names (`mmaudio/model/networks.py`). Every size
 * comes from the tensors' shapes: hidden from `audio_input_proj.0.weight`, depth from the highest
 * `joint_blocks.N` / `fused_blocks.N`, the MLP width from `global_cond_mlp.w1.weight`, the
 * t-embedding's frequency count from `t_embed.mlp.0.weight`, v2 from where the input projections'
 * MLPs sit (after a SiLU: `clip_input_proj.2.*`). Every expected tensor's presence and shape is
 * checked before anything is read: a missing one is MODEL_LOAD_FAILED naming it. `t_embed.freqs`,
 * `latent_rot` and `clip_rot` are never read (upstream recomputes them; see tables.ts).
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { checkpointError, expectTensor, readTensorTable } from '../checkpoint-tensors.js';
import { MMAUDIO_HEAD_SIZE } from './config.js';

/** What this converter's errors are led by. */
const WHAT = 'MMAudio MM-DiT';

/** The sizes of an MM-DiT, read off its tensors. */
export interface MmaudioDitDims {
  hidden: number;
  heads: number;
  /** Latent channels (20 at 16k, 40 at 44k). */
  latentDim: number;
  clipDim: number;
  syncDim: number;
  textDim: number;
  /** Rows of `empty_string_feat` (77). */
  textLength: number;
  /** Hidden width of every MLP / ConvMLP (`int(2·4·hidden/3)` rounded up to 256 upstream). */
  mlpHidden: number;
  /** Joint (MM) blocks; the last is pre-only (its clip and text streams end after attention). */
  joint: number;
  fused: number;
  /** t-embedding frequencies: 256 (v1) or hidden (v2). */
  frequencies: number;
  v2: boolean;
}

const missing = (name: string) => checkpointError(WHAT, `the checkpoint has no tensor "${name}"`, { tensor: name });

/** One past the highest N of `<prefix>.N.*` (0 when there is none). */
export function countBlocks(weights: WeightsFile, prefix: string): number {
  let n = 0;
  const re = new RegExp(`^${prefix.replace('.', '\\.')}\\.(\\d+)\\.`);
  for (const name of weights.tensors.keys()) {
    const i = re.exec(name)?.[1];
    if (i !== undefined) n = Math.max(n, Number(i) + 1);
  }
  return n;
}

/** The sizes, from the tensors' shapes alone (nothing is read). */
export function mmaudioDitDims(weights: WeightsFile): MmaudioDitDims {
  const [hidden, latentDim] = expectTensor(weights, 'audio_input_proj.0.weight', [-1, -1, 7], WHAT).shape as [number, number];
  const heads = hidden / MMAUDIO_HEAD_SIZE;
  if (!Number.isInteger(heads) || heads < 1)
    throw checkpointError(WHAT, `hidden size ${hidden} does not split into heads of 64`, { hidden });
  const clipDim = expectTensor(weights, 'clip_input_proj.0.weight', [hidden, -1], WHAT).shape[1]!;
  const syncDim = expectTensor(weights, 'sync_input_proj.0.weight', [hidden, -1, 7], WHAT).shape[1]!;
  const textDim = expectTensor(weights, 'text_input_proj.0.weight', [hidden, -1], WHAT).shape[1]!;
  const textLength = expectTensor(weights, 'empty_string_feat', [-1, textDim], WHAT).shape[0]!;
  const mlpHidden = expectTensor(weights, 'global_cond_mlp.w1.weight', [-1, hidden], WHAT).shape[0]!;
  const frequencies = expectTensor(weights, 't_embed.mlp.0.weight', [hidden, -1], WHAT).shape[1]!;
  // v1: clip_input_proj = Linear, ConvMLP; v2: Linear, SiLU, ConvMLP (index 2).
  const v2 = weights.tensors.has('clip_input_proj.2.w1.weight');
  const joint = countBlocks(weights, 'joint_blocks');
  if (joint === 0) throw missing('joint_blocks.0.latent_block.attn.qkv.weight');
  const fused = countBlocks(weights, 'fused_blocks');
  return { hidden, heads, latentDim, clipDim, syncDim, textDim, textLength, mlpHidden, joint, fused, frequencies, v2 };
}

type Shapes = Map<string, number[]>;

function linear(s: Shapes, name: string, o: { in: number; out: number; bias?: boolean }): void {
  s.set(`${name}.weight`, [o.out, o.in]);
  if (o.bias !== false) s.set(`${name}.bias`, [o.out]);
}
function conv(s: Shapes, name: string, o: { in: number; out: number; k: number }): void {
  s.set(`${name}.weight`, [o.out, o.in, o.k]);
  s.set(`${name}.bias`, [o.out]);
}
/** `MLP` (k = 1, bias-free Linears) or `ConvMLP` (bias-free convs of width k): w1, w2, w3. */
function mlp(s: Shapes, name: string, o: { dim: number; hidden: number; k: number }): void {
  const tail = o.k === 1 ? [] : [o.k];
  s.set(`${name}.w1.weight`, [o.hidden, o.dim, ...tail]);
  s.set(`${name}.w2.weight`, [o.dim, o.hidden, ...tail]);
  s.set(`${name}.w3.weight`, [o.hidden, o.dim, ...tail]);
}

/** `MMDitSingleBlock`'s tensors; `k` 3 (conv linear1 and ConvMLP) or 1 (Linear and MLP). */
function singleBlock(s: Shapes, name: string, o: { dims: MmaudioDitDims; preOnly: boolean; k: number }): void {
  const { hidden: h, mlpHidden } = o.dims;
  linear(s, `${name}.attn.qkv`, { in: h, out: 3 * h });
  s.set(`${name}.attn.q_norm.weight`, [MMAUDIO_HEAD_SIZE]);
  s.set(`${name}.attn.k_norm.weight`, [MMAUDIO_HEAD_SIZE]);
  linear(s, `${name}.adaLN_modulation.1`, { in: h, out: (o.preOnly ? 2 : 6) * h });
  if (o.preOnly) return;
  if (o.k === 1) linear(s, `${name}.linear1`, { in: h, out: h });
  else conv(s, `${name}.linear1`, { in: h, out: h, k: o.k });
  mlp(s, `${name}.ffn`, { dim: h, hidden: mlpHidden, k: o.k });
}

/** Every tensor the two graphs and the sampler need, with its expected shape. */
export function mmaudioDitTensorShapes(dims: MmaudioDitDims): Map<string, number[]> {
  const { hidden: h, mlpHidden: m, v2 } = dims;
  const s: Shapes = new Map();
  const after = v2 ? 2 : 1; // v2 puts a SiLU (index 1) before the MLPs of clip/text (sync and audio always have an activation there)
  conv(s, 'audio_input_proj.0', { in: dims.latentDim, out: h, k: 7 });
  mlp(s, 'audio_input_proj.2', { dim: h, hidden: m, k: 7 });
  linear(s, 'clip_input_proj.0', { in: dims.clipDim, out: h });
  mlp(s, `clip_input_proj.${after}`, { dim: h, hidden: m, k: 3 });
  conv(s, 'sync_input_proj.0', { in: dims.syncDim, out: h, k: 7 });
  mlp(s, 'sync_input_proj.2', { dim: h, hidden: m, k: 3 });
  linear(s, 'text_input_proj.0', { in: dims.textDim, out: h });
  mlp(s, `text_input_proj.${after}`, { dim: h, hidden: m, k: 1 });
  linear(s, 'clip_cond_proj', { in: h, out: h });
  linear(s, 'text_cond_proj', { in: h, out: h });
  mlp(s, 'global_cond_mlp', { dim: h, hidden: m, k: 1 });
  s.set('sync_pos_emb', [1, 1, 8, dims.syncDim]);
  linear(s, 't_embed.mlp.0', { in: dims.frequencies, out: h });
  linear(s, 't_embed.mlp.2', { in: h, out: h });
  for (let i = 0; i < dims.joint; i++) {
    const preOnly = i === dims.joint - 1;
    singleBlock(s, `joint_blocks.${i}.latent_block`, { dims, preOnly: false, k: 3 });
    singleBlock(s, `joint_blocks.${i}.clip_block`, { dims, preOnly, k: 3 });
    singleBlock(s, `joint_blocks.${i}.text_block`, { dims, preOnly, k: 1 });
  }
  for (let i = 0; i < dims.fused; i++) singleBlock(s, `fused_blocks.${i}`, { dims, preOnly: false, k: 3 });
  linear(s, 'final_layer.adaLN_modulation.1', { in: h, out: 2 * h });
  conv(s, 'final_layer.conv', { in: h, out: dims.latentDim, k: 7 });
  s.set('latent_mean', [1, 1, dims.latentDim]);
  s.set('latent_std', [1, 1, dims.latentDim]);
  s.set('empty_string_feat', [dims.textLength, dims.textDim]);
  s.set('empty_clip_feat', [1, dims.clipDim]);
  s.set('empty_sync_feat', [1, dims.syncDim]);
  return s;
}

/**
 * The checkpoint's tensors by name, widened to float32, in torch's layout. Each is handed out once
 * (`take` forgets it), so a linear's original is freed once its transposed copy is in the graph: for
 * large_44k_v2 that keeps the peak near one copy of the 4 GB of weights instead of two.
 */
export interface MmaudioDitWeights {
  dims: MmaudioDitDims;
  take(name: string): Float32Array;
}

/** Checks every tensor's presence and shape first, then reads them one at a time. */
export async function readMmaudioDitWeights(weights: WeightsFile): Promise<MmaudioDitWeights> {
  const dims = mmaudioDitDims(weights);
  const table = await readTensorTable(weights, { shapes: mmaudioDitTensorShapes(dims), what: WHAT, table: 'mmaudioDitTensorShapes' });
  return { dims, take: (name) => table.take(name) };
}
