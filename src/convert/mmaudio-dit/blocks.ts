/**
 * @module The MM-DiT's blocks (`mmaudio/model/transformer_layers.py`): `MMDitSingleBlock`'s pre- and
 * post-attention halves, `JointBlock` (latent, clip and text streams attending jointly), the fused
 * single-stream block and `FinalBlock`.
 */
import { attr } from '../onnx-graph.js';
import { MMAUDIO_HEAD_SIZE } from './config.js';
import {
  adaLn,
  attention,
  type Ctx,
  channelLastConv,
  gatedMlp,
  interleavedQkv,
  layerNorm,
  linear,
  modulate,
  rmsNorm,
  rope,
  transpose,
} from './layers.js';

/** A stream's RoPE tables (initializer names), or none (text). */
export interface Rotation {
  cos: string;
  sin: string;
  swap: string;
}

interface PreAttention {
  qkv: [string, string, string];
  /** gate_msa, shift_mlp, scale_mlp, gate_mlp; absent for a pre-only block. */
  post?: [string, string, string, string];
}

/** `MMDitSingleBlock.pre_attention`: adaLN, modulated LayerNorm, q/k/v as [B, heads, N, 64] with RMS norm and RoPE. */
function preAttention(c: Ctx, x: string, o: { name: string; cond: string; preOnly: boolean; rot?: Rotation }): PreAttention {
  const { hidden, heads } = c.w.dims;
  const n = o.name;
  const parts = adaLn(c, o.cond, { name: `${n}.adaLN_modulation`, dim: hidden, parts: o.preOnly ? 2 : 6 });
  const h = modulate(c, layerNorm(c, x, { name: `${n}.norm1`, dim: hidden }), { name: `${n}.norm1`, shift: parts[0]!, scale: parts[1]! });
  const split = c.ints(`shape.heads`, [0, 0, heads, MMAUDIO_HEAD_SIZE]);
  const qkvRows = interleavedQkv(c, { name: `${n}.attn.qkv`, hidden });
  const head = (j: number, which: string): string => {
    const { weight, bias } = qkvRows[j]!;
    const y = c.op(
      'MatMul',
      [h, c.g.addInitializer(`${n}.attn.${which}.weight_t`, [hidden, hidden], transpose(weight, hidden, hidden))],
      `${n}.attn.${which}.mm`,
    );
    const biased = c.op('Add', [y, c.g.addInitializer(`${n}.attn.${which}.bias`, [hidden], bias)], `${n}.attn.${which}.lin`);
    const r = c.op('Reshape', [biased, split], `${n}.attn.${which}.heads`);
    return c.op('Transpose', [r], `${n}.attn.${which}.t`, [attr.ints('perm', [0, 2, 1, 3])]);
  };
  let q = rmsNorm(c, head(0, 'q'), { name: `${n}.attn.q_norm`, dim: MMAUDIO_HEAD_SIZE });
  let k = rmsNorm(c, head(1, 'k'), { name: `${n}.attn.k_norm`, dim: MMAUDIO_HEAD_SIZE });
  const v = head(2, 'v');
  if (o.rot) {
    q = rope(c, q, { name: `${n}.attn.q`, ...o.rot });
    k = rope(c, k, { name: `${n}.attn.k`, ...o.rot });
  }
  if (o.preOnly) return { qkv: [q, k, v] };
  return { qkv: [q, k, v], post: [parts[2]!, parts[3]!, parts[4]!, parts[5]!] };
}

/** `MMDitSingleBlock.post_attention`: x + linear1(attn)·gate_msa, then x + ffn(modulate(norm2(x)))·gate_mlp. */
function postAttention(c: Ctx, x: string, o: { name: string; attn: string; post: [string, string, string, string]; k: number }): string {
  const { hidden, mlpHidden } = c.w.dims;
  const n = o.name;
  const [gateMsa, shiftMlp, scaleMlp, gateMlp] = o.post;
  const l1 =
    o.k === 1
      ? linear(c, o.attn, { name: `${n}.linear1`, inOut: [hidden, hidden] })
      : channelLastConv(c, o.attn, { name: `${n}.linear1`, dims: [hidden, hidden, o.k] });
  const x1 = c.op('Add', [x, c.op('Mul', [l1, gateMsa], `${n}.gated1`)], `${n}.res1`);
  const r = modulate(c, layerNorm(c, x1, { name: `${n}.norm2`, dim: hidden }), { name: `${n}.norm2`, shift: shiftMlp, scale: scaleMlp });
  const f = gatedMlp(c, r, { name: `${n}.ffn`, dim: hidden, hidden: mlpHidden, k: o.k });
  return c.op('Add', [x1, c.op('Mul', [f, gateMlp], `${n}.gated2`)], `${n}.res2`);
}

export interface Streams {
  latent: string;
  clip: string;
  text: string;
}

/**
 * `JointBlock.forward`: each stream's pre-attention (latent conditioned on extended_c with the latent
 * RoPE, clip on global_c with the clip RoPE, text on global_c without RoPE), one attention over the
 * three concatenated along the sequence, split back; latent always continues, clip and text only
 * when the block is not pre-only (the last joint block).
 */
export function jointBlock(
  c: Ctx,
  x: Streams,
  o: { index: number; globalC: string; extendedC: string; latentRot: Rotation; clipRot: Rotation; lengths: [number, number, number] },
): Streams {
  const n = `joint_blocks.${o.index}`;
  const preOnly = o.index === c.w.dims.joint - 1;
  const lat = preAttention(c, x.latent, { name: `${n}.latent_block`, cond: o.extendedC, preOnly: false, rot: o.latentRot });
  const clip = preAttention(c, x.clip, { name: `${n}.clip_block`, cond: o.globalC, preOnly, rot: o.clipRot });
  const text = preAttention(c, x.text, { name: `${n}.text_block`, cond: o.globalC, preOnly });
  const joint = [0, 1, 2].map((i) =>
    c.op('Concat', [lat.qkv[i]!, clip.qkv[i]!, text.qkv[i]!], `${n}.joint.${'qkv'[i]}`, [attr.int('axis', 2)]),
  ) as [string, string, string];
  const out = attention(c, joint, { name: `${n}.attn`, hidden: c.w.dims.hidden, headSize: MMAUDIO_HEAD_SIZE });
  const parts = [`${n}.attn.latent`, `${n}.attn.clip`, `${n}.attn.text`];
  c.g.addNode('Split', [out, c.ints(`split.${o.lengths.join('x')}`, o.lengths)], parts, { attributes: [attr.int('axis', 1)] });
  const latent = postAttention(c, x.latent, { name: `${n}.latent_block`, attn: parts[0]!, post: lat.post!, k: 3 });
  if (preOnly) return { latent, clip: x.clip, text: x.text };
  return {
    latent,
    clip: postAttention(c, x.clip, { name: `${n}.clip_block`, attn: parts[1]!, post: clip.post!, k: 3 }),
    text: postAttention(c, x.text, { name: `${n}.text_block`, attn: parts[2]!, post: text.post!, k: 1 }),
  };
}

/** A fused block: `MMDitSingleBlock(kernel_size=3)` on the latent alone, conditioned on extended_c, latent RoPE. */
export function fusedBlock(c: Ctx, x: string, o: { index: number; extendedC: string; latentRot: Rotation }): string {
  const n = `fused_blocks.${o.index}`;
  const pre = preAttention(c, x, { name: n, cond: o.extendedC, preOnly: false, rot: o.latentRot });
  const out = attention(c, pre.qkv, { name: `${n}.attn`, hidden: c.w.dims.hidden, headSize: MMAUDIO_HEAD_SIZE });
  return postAttention(c, x, { name: n, attn: out, post: pre.post!, k: 3 });
}

/** `FinalBlock`: adaLN (2 parts) on global_c (upstream's "should be extended_c", issue #55, kept), LayerNorm, conv k7. */
export function finalBlock(c: Ctx, x: string, o: { globalC: string }): string {
  const { hidden, latentDim } = c.w.dims;
  const [shift, scale] = adaLn(c, o.globalC, { name: 'final_layer.adaLN_modulation', dim: hidden, parts: 2 });
  const h = modulate(c, layerNorm(c, x, { name: 'final_layer.norm', dim: hidden }), {
    name: 'final_layer.norm',
    shift: shift!,
    scale: scale!,
  });
  return channelLastConv(c, h, { name: 'final_layer.conv', dims: [latentDim, hidden, 7] });
}
