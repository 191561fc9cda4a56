/**
 * @module A HunyuanVideo-Foley DiT checkpoint's tensors (`hunyuanvideo_foley_xl.pth`,
 * `hunyuanvideo_foley.pth`, or a reduced one of the same architecture), by upstream's parameter names
 * (`hunyuanvideo_foley/models/hifi_foley.py` `HunyuanVideoFoley`). The file is the bare state dict
 * (`utils/model_utils.load_state_dict` hands `torch.load`'s result straight to `load_state_dict`).
 * Every size comes from the tensors' shapes: hidden and latent channels from
 * `audio_embedder.proj.weight`, the head size from a q-norm's weight, feature widths from the input
 * projections, MLP widths from their first layers, depths from the highest block index. Every expected
 * tensor's presence and shape is checked before anything is read: a missing one is MODEL_LOAD_FAILED
 * naming it. bf16 tensors are widened to float32 by the reader.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { checkpointError, expectTensor, fp32Bytes, readTensorTable } from '../checkpoint-tensors.js';
import type { TensorSource } from '../mmaudio-dit/layers.js';
import { countBlocks } from '../mmaudio-dit/weights.js';
import { HVF_VARIANTS, type HvfVariant } from './config.js';

/** What this converter's errors are led by. */
export const WHAT = 'HunyuanVideo-Foley DiT';

/** The sizes of a HunyuanVideo-Foley DiT, read off its tensors. */
export interface HvfDitDims {
  hidden: number;
  heads: number;
  headSize: number;
  /** DAC-VAE latent channels (`audio_vae_latent_dim`, 128). */
  latentDim: number;
  /** SigLIP2 (`clip_dim`), Synchformer (`sync_feat_dim`), CLAP text (`condition_dim`) widths: 768 each. */
  clipDim: number;
  syncDim: number;
  textDim: number;
  /** `TimestepEmbedder`'s sinusoid size (256). */
  frequencies: number;
  /** The triple blocks' `MLP` width (hidden · mlp_ratio). */
  mlpHidden: number;
  /** `ConvMLP(hidden, 4·hidden)`'s width in the single blocks and in `sync_in`: int(2·4h/3) rounded up to 256. */
  convMlpHidden: number;
  syncMlpHidden: number;
  triple: number;
  single: number;
}

/** The sizes, from the tensors' shapes alone (nothing is read). */
export function hvfDitDims(weights: WeightsFile): HvfDitDims {
  const [hidden, latentDim] = expectTensor(weights, 'audio_embedder.proj.weight', [-1, -1, 1], WHAT).shape as [number, number];
  const headSize = expectTensor(weights, 'triple_blocks.0.audio_self_q_norm.weight', [-1], WHAT).shape[0]!;
  const heads = hidden / headSize;
  if (!Number.isInteger(heads) || headSize % 2 !== 0) {
    throw checkpointError(WHAT, `hidden size ${hidden} does not split into heads of ${headSize} (an even size)`, { hidden, headSize });
  }
  const clipDim = expectTensor(weights, 'visual_proj.w1.weight', [hidden, -1], WHAT).shape[1]!;
  const syncDim = expectTensor(weights, 'sync_in.0.weight', [hidden, -1], WHAT).shape[1]!;
  const textDim = expectTensor(weights, 'cond_in.linear_1.weight', [hidden, -1], WHAT).shape[1]!;
  const frequencies = expectTensor(weights, 'time_in.mlp.0.weight', [hidden, -1], WHAT).shape[1]!;
  const mlpHidden = expectTensor(weights, 'triple_blocks.0.audio_mlp.fc1.weight', [-1, hidden], WHAT).shape[0]!;
  const syncMlpHidden = expectTensor(weights, 'sync_in.2.w1.weight', [-1, hidden, 1], WHAT).shape[0]!;
  const triple = countBlocks(weights, 'triple_blocks');
  const single = countBlocks(weights, 'single_blocks');
  const convMlpHidden = single === 0 ? 0 : expectTensor(weights, 'single_blocks.0.linear2.w1.weight', [-1, hidden, 3], WHAT).shape[0]!;
  return {
    hidden,
    heads,
    headSize,
    latentDim,
    clipDim,
    syncDim,
    textDim,
    frequencies,
    mlpHidden,
    convMlpHidden,
    syncMlpHidden,
    triple,
    single,
  };
}

/**
 * A released network's sizes without its file (for random stand-ins of the real shapes): the
 * yaml's hidden, heads and depths, 768-wide features, 128 latent channels, mlp_ratio 4, and
 * `ConvMLP`'s int(2·4h/3) rounded up to 256 (3840 for XL, 4096 for XXL).
 */
export function hvfVariantDims(variant: HvfVariant): HvfDitDims {
  const { hidden, heads, triple, single } = HVF_VARIANTS[variant];
  const conv = 256 * Math.ceil(Math.trunc((2 * 4 * hidden) / 3) / 256);
  const features = { clipDim: 768, syncDim: 768, textDim: 768 };
  const mlps = { mlpHidden: 4 * hidden, convMlpHidden: conv, syncMlpHidden: conv };
  return { hidden, heads, headSize: hidden / heads, latentDim: 128, ...features, frequencies: 256, ...mlps, triple, single };
}

type Shapes = Map<string, number[]>;

/**
 * Tensors a checkpoint holds that change nothing upstream, so they are neither required nor read:
 * `FinalLayer1D`'s adaLN, whose per-token shift and scale upstream's `modulate` drops (blocks.ts `finalLayer`).
 */
export const UNUSED_TENSORS = ['final_layer.adaLN_modulation.1.weight', 'final_layer.adaLN_modulation.1.bias'] as const;

function linear(s: Shapes, name: string, o: { in: number; out: number; bias?: boolean }): void {
  s.set(`${name}.weight`, [o.out, o.in]);
  if (o.bias !== false) s.set(`${name}.bias`, [o.out]);
}
/** `ConvMLP`: bias-free `ChannelLastConv1d`s w1, w2, w3 of width k. */
function convMlp(s: Shapes, name: string, o: { dim: number; hidden: number; k: number }): void {
  s.set(`${name}.w1.weight`, [o.hidden, o.dim, o.k]);
  s.set(`${name}.w2.weight`, [o.dim, o.hidden, o.k]);
  s.set(`${name}.w3.weight`, [o.hidden, o.dim, o.k]);
}

/** `TwoStreamCABlock`: audio and visual (`v_cond`) streams, each self-attention, text cross-attention and MLP. */
function tripleBlock(s: Shapes, n: string, d: HvfDitDims): void {
  const h = d.hidden;
  for (const stream of ['audio', 'v_cond']) {
    linear(s, `${n}.${stream}_mod.linear`, { in: h, out: 9 * h });
    linear(s, `${n}.${stream === 'audio' ? 'audio_self_attn_qkv' : 'v_cond_attn_qkv'}`, { in: h, out: 3 * h });
    linear(s, `${n}.${stream}_self_proj`, { in: h, out: h });
    linear(s, `${n}.${stream}_cross_q`, { in: h, out: h });
    linear(s, `${n}.${stream}_cross_proj`, { in: h, out: h });
    linear(s, `${n}.${stream}_mlp.fc1`, { in: h, out: d.mlpHidden });
    linear(s, `${n}.${stream}_mlp.fc2`, { in: d.mlpHidden, out: h });
  }
  for (const norm of [
    'audio_self_q',
    'audio_self_k',
    'v_cond_attn_q',
    'v_cond_attn_k',
    'audio_cross_q',
    'v_cond_cross_q',
    'text_cross_k',
  ]) {
    s.set(`${n}.${norm}_norm.weight`, [d.headSize]);
  }
  linear(s, `${n}.text_cross_kv`, { in: h, out: 2 * h });
}

/** `SingleStreamBlock`: ModulateDiT(6), fused qkv, conv k3 `linear1`, ConvMLP k3 `linear2`, q/k RMS norms. */
function singleBlock(s: Shapes, n: string, d: HvfDitDims): void {
  const h = d.hidden;
  linear(s, `${n}.modulation.linear`, { in: h, out: 6 * h });
  linear(s, `${n}.linear_qkv`, { in: h, out: 3 * h });
  s.set(`${n}.linear1.weight`, [h, h, 3]);
  s.set(`${n}.linear1.bias`, [h]);
  convMlp(s, `${n}.linear2`, { dim: h, hidden: d.convMlpHidden, k: 3 });
  s.set(`${n}.q_norm.weight`, [d.headSize]);
  s.set(`${n}.k_norm.weight`, [d.headSize]);
}

/** Every tensor the two graphs and the sampler need, with its expected shape (what a checkpoint must hold). */
export function hvfDitTensorShapes(d: HvfDitDims): Map<string, number[]> {
  const h = d.hidden;
  const s: Shapes = new Map();
  s.set('audio_embedder.proj.weight', [h, d.latentDim, 1]);
  s.set('audio_embedder.proj.bias', [h]);
  for (const w of ['w1', 'w3']) s.set(`visual_proj.${w}.weight`, [h, d.clipDim]);
  s.set('visual_proj.w2.weight', [h, h]);
  linear(s, 'cond_in.linear_1', { in: d.textDim, out: h });
  linear(s, 'cond_in.linear_2', { in: h, out: h });
  linear(s, 'time_in.mlp.0', { in: d.frequencies, out: h });
  linear(s, 'time_in.mlp.2', { in: h, out: h });
  linear(s, 'sync_in.0', { in: d.syncDim, out: h });
  convMlp(s, 'sync_in.2', { dim: h, hidden: d.syncMlpHidden, k: 1 });
  s.set('sync_pos_emb', [1, 1, 8, d.syncDim]);
  for (let i = 0; i < d.triple; i++) tripleBlock(s, `triple_blocks.${i}`, d);
  for (let i = 0; i < d.single; i++) singleBlock(s, `single_blocks.${i}`, d);
  linear(s, 'final_layer.linear', { in: h, out: d.latentDim });
  s.set('empty_clip_feat', [1, d.clipDim]);
  s.set('empty_sync_feat', [1, d.syncDim]);
  return s;
}

/** The bytes the network's weights take in fp32 (what `precision: 'auto'` weighs): XL 10.8 GiB, XXL 19.1 GiB. */
export function hvfDitFp32Bytes(d: HvfDitDims): number {
  return fp32Bytes(hvfDitTensorShapes(d));
}

/** The checkpoint's tensors by name, widened to float32, each handed out once (`take` forgets it). */
export interface HvfDitWeights extends TensorSource {
  dims: HvfDitDims;
}

/** Checks every tensor's presence and shape first, then reads them one at a time. */
export async function readHvfDitWeights(weights: WeightsFile): Promise<HvfDitWeights> {
  const dims = hvfDitDims(weights);
  if (dims.triple === 0) throw checkpointError(WHAT, 'the checkpoint has no triple-stream block', { tensor: 'triple_blocks.0' });
  const table = await readTensorTable(weights, { shapes: hvfDitTensorShapes(dims), what: WHAT, table: 'hvfDitTensorShapes' });
  return { dims, take: (name) => table.take(name) };
}
