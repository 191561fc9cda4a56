/**
 * @module HunyuanVideo-Foley's DiT blocks (`hunyuanvideo_foley/models/hifi_foley.py`): the
 * triple-stream `TwoStreamCABlock` (audio and visual self-attention with the interleaved RoPE, then
 * both attending to the text), the `SingleStreamBlock` (audio alone, per-token modulation, conv
 * projections) and `FinalLayer1D`. Built from the MMAudio converter's layers (same ONNX forms:
 * LayerNorm, RMS norm, RoPE, attention, ChannelLastConv1d, ConvMLP); eps values are upstream's own.
 */
import { attr } from '../onnx-graph.js';
import {
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
} from '../mmaudio-dit/layers.js';
import type { HvfDitWeights } from './weights.js';

export type HvfCtx = Ctx<HvfDitWeights>;

/** `TwoStreamCABlock`'s and `FinalLayer1D`'s LayerNorms and the triple blocks' `RMSNorm` pass eps=1e-6. */
const EPS = 1e-6;
/**
 * `SingleStreamBlock`'s `nn.LayerNorm(hidden, elementwise_affine=False)`: torch's default. Its `nn.RMSNorm`
 * keeps eps=None, finfo(float32).eps (the MMAudio layers' default).
 */
const SINGLE_LN_EPS = 1e-5;

/** A RoPE table pair (initializer names) and the shared pair swap. */
export interface Rotation {
  cos: string;
  sin: string;
  swap: string;
}

/** The tables each attention uses (graphs.ts builds them once). */
export interface Rotations {
  /** Triple self-attention: audio tokens at positions 2j, visual tokens at 2·down[c] + 1, gathered from `visualSource`. */
  audioInterleaved: Rotation;
  visualInterleaved: Rotation;
  visualSource?: string;
  /** Cross-attention queries and the single blocks: positions 0 … n − 1. */
  audio: Rotation;
  visual: Rotation;
  /** Text keys: positions 0 … T − 1, sliced to the text's length at run time. */
  text: Rotation;
}

/** [B, N, hidden] → [B, heads, N, headSize]. */
export function heads(c: HvfCtx, x: string, name: string): string {
  const { heads: h, headSize } = c.w.dims;
  const r = c.op('Reshape', [x, c.ints('shape.heads', [0, 0, h, headSize])], `${name}.heads`);
  return c.op('Transpose', [r], `${name}.bhnd`, [attr.ints('perm', [0, 2, 1, 3])]);
}

/** `x.chunk(parts, dim=-1)` into outputs `${name}.chunk<i>`. */
export function chunks(c: HvfCtx, x: string, o: { name: string; parts: number; size: number }): string[] {
  const outs = Array.from({ length: o.parts }, (_, i) => `${o.name}.chunk${i}`);
  c.g.addNode('Split', [x, c.ints(`split.${o.parts}x${o.size}`, Array(o.parts).fill(o.size))], outs, {
    attributes: [attr.int('axis', -1)],
  });
  return outs;
}

/** `ModulateDiT`: Linear(SiLU(x)) chunked; `act` is the SiLU'd condition, shared by every block that reads it. */
function modulation(c: HvfCtx, act: string, o: { name: string; parts: number }): string[] {
  const h = c.w.dims.hidden;
  return chunks(c, linear(c, act, { name: `${o.name}.linear`, inOut: [h, o.parts * h] }), { name: o.name, parts: o.parts, size: h });
}

/** `x + apply_gate(y, gate)`. */
const gated = (c: HvfCtx, x: string, o: { y: string; gate: string; name: string }): string =>
  c.op('Add', [x, c.op('Mul', [o.y, o.gate], `${o.name}.gated`)], `${o.name}.res`);

/** `nn.GELU(approximate='tanh')` (opset 17 has no Gelu): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
function geluTanh(c: HvfCtx, x: string, name: string): string {
  const cube = c.op('Mul', [c.op('Mul', [x, x], `${name}.x2`), x], `${name}.x3`);
  const inner = c.op('Add', [x, c.op('Mul', [cube, c.scalar(0.044715)], `${name}.cx3`)], `${name}.inner`);
  const t = c.op('Tanh', [c.op('Mul', [inner, c.scalar(Math.sqrt(2 / Math.PI))], `${name}.arg`)], `${name}.tanh`);
  const half = c.op('Mul', [x, c.scalar(0.5)], `${name}.half`);
  return c.op('Mul', [half, c.op('Add', [t, c.scalar(1)], `${name}.1pt`)], `${name}.gelu`);
}

/** `MLP`: fc1 → GELU(tanh) → fc2, both with bias. */
function mlp(c: HvfCtx, x: string, name: string): string {
  const { hidden: h, mlpHidden: m } = c.w.dims;
  const a = geluTanh(c, linear(c, x, { name: `${name}.fc1`, inOut: [h, m] }), `${name}.act`);
  return linear(c, a, { name: `${name}.fc2`, inOut: [m, h] });
}

/** [B, N, H] → heads → RMS norm (upstream's `RMSNorm(head_dim, eps=1e-6)`), for a q or k that is not part of a fused qkv. */
function normedHeads(c: HvfCtx, x: string, o: { norm: string }): string {
  return rmsNorm(c, heads(c, x, o.norm), { name: o.norm, dim: c.w.dims.headSize, eps: EPS });
}

export interface TripleStreams {
  audio: string;
  visual: string;
}

/**
 * `TwoStreamCABlock.forward` (no `sync_vec`: sync_modulation is off). Modulation from vec alone
 * (the SiLU'd t-embedding, [B, 1, H]). 1: each stream's modulated LayerNorm → qkv (rows (K H D), K
 * outermost) → q/k RMS norms → the interleaved RoPE; one attention over [visual, audio]; gated
 * projections. 2: cross-attention, queries [visual, audio] (RoPE from 0 each) against the text's
 * k (RMS norm, RoPE) and v. 3: gated MLPs. The last block's visual stream is never read again, so
 * its update after the self-attention is not built.
 */
export function tripleBlock(
  c: HvfCtx,
  x: TripleStreams,
  o: { index: number; vecAct: string; text: string; rot: Rotations; split: string },
): TripleStreams {
  const n = `triple_blocks.${o.index}`;
  const { hidden: h, headSize } = c.w.dims;
  const last = o.index === c.w.dims.triple - 1;
  const am = modulation(c, o.vecAct, { name: `${n}.audio_mod`, parts: 9 });
  const vm = modulation(c, o.vecAct, { name: `${n}.v_cond_mod`, parts: 9 });

  const selfQkv = (s: string, p: { mod: string[]; norm: string; qkv: string; q: string; k: string }) => {
    const m = modulate(c, layerNorm(c, s, { name: `${p.norm}1`, dim: h, eps: EPS }), {
      name: `${p.norm}1`,
      shift: p.mod[0]!,
      scale: p.mod[1]!,
    });
    const [q, k, v] = chunks(c, linear(c, m, { name: p.qkv, inOut: [h, 3 * h] }), { name: p.qkv, parts: 3, size: h });
    return [normedHeads(c, q!, { norm: p.q }), normedHeads(c, k!, { norm: p.k }), heads(c, v!, `${p.qkv}.v`)] as const;
  };
  const [aq, ak, av] = selfQkv(x.audio, {
    mod: am,
    norm: `${n}.audio_norm`,
    qkv: `${n}.audio_self_attn_qkv`,
    q: `${n}.audio_self_q_norm`,
    k: `${n}.audio_self_k_norm`,
  });
  const [vq0, vk0, vv] = selfQkv(x.visual, {
    mod: vm,
    norm: `${n}.v_cond_norm`,
    qkv: `${n}.v_cond_attn_qkv`,
    q: `${n}.v_cond_attn_q_norm`,
    k: `${n}.v_cond_attn_k_norm`,
  });
  // interleave_two_sequences → apply_rotary_emb → decouple: per token, a gather and a rotation (tables.ts interleavedRope).
  const pick = (t: string, name: string) =>
    o.rot.visualSource ? c.op('Gather', [t, o.rot.visualSource], `${name}.interleaved`, [attr.int('axis', 2)]) : t;
  const vq = rope(c, pick(vq0, `${n}.vq`), { name: `${n}.self.vq`, ...o.rot.visualInterleaved });
  const vk = rope(c, pick(vk0, `${n}.vk`), { name: `${n}.self.vk`, ...o.rot.visualInterleaved });
  const aqr = rope(c, aq, { name: `${n}.self.aq`, ...o.rot.audioInterleaved });
  const akr = rope(c, ak, { name: `${n}.self.ak`, ...o.rot.audioInterleaved });
  const cat = (a: string, b: string, name: string) => c.op('Concat', [a, b], `${n}.self.${name}`, [attr.int('axis', 2)]);
  const selfOut = attention(c, [cat(vq, aqr, 'q'), cat(vk, akr, 'k'), cat(vv, av, 'v')], { name: `${n}.self`, hidden: h, headSize });
  const [vAttn, aAttn] = [`${n}.self.visual`, `${n}.self.audio`];
  c.g.addNode('Split', [selfOut, o.split], [vAttn, aAttn], {
    attributes: [attr.int('axis', 1)],
  });
  let audio = gated(c, x.audio, { y: linear(c, aAttn, { name: `${n}.audio_self_proj`, inOut: [h, h] }), gate: am[2]!, name: `${n}.a1` });
  let visual = last
    ? x.visual
    : gated(c, x.visual, { y: linear(c, vAttn, { name: `${n}.v_cond_self_proj`, inOut: [h, h] }), gate: vm[2]!, name: `${n}.v1` });

  // 2. Cross-attention to the text (each query attends on its own, so the last block's audio needs no visual queries).
  const [tk, tv] = chunks(c, linear(c, o.text, { name: `${n}.text_cross_kv`, inOut: [h, 2 * h] }), {
    name: `${n}.text_cross_kv`,
    parts: 2,
    size: h,
  });
  const textK = rope(c, normedHeads(c, tk!, { norm: `${n}.text_cross_k_norm` }), { name: `${n}.cross.tk`, ...o.rot.text });
  const textV = heads(c, tv!, `${n}.cross.tv`);
  const crossQ = (s: string, p: { stream: string; mod: string[]; rot: Rotation }) => {
    const m = modulate(c, layerNorm(c, s, { name: `${n}.${p.stream}_norm2`, dim: h, eps: EPS }), {
      name: `${n}.${p.stream}_norm2`,
      shift: p.mod[3]!,
      scale: p.mod[4]!,
    });
    const q = normedHeads(c, linear(c, m, { name: `${n}.${p.stream}_cross_q`, inOut: [h, h] }), { norm: `${n}.${p.stream}_cross_q_norm` });
    return rope(c, q, { name: `${n}.cross.${p.stream}q`, ...p.rot });
  };
  const aCq = crossQ(audio, { stream: 'audio', mod: am, rot: o.rot.audio });
  let aCross: string;
  let vCross = '';
  if (last) {
    aCross = attention(c, [aCq, textK, textV], { name: `${n}.cross`, hidden: h, headSize });
  } else {
    const vCq = crossQ(visual, { stream: 'v_cond', mod: vm, rot: o.rot.visual });
    const q = c.op('Concat', [vCq, aCq], `${n}.cross.q`, [attr.int('axis', 2)]);
    const out = attention(c, [q, textK, textV], { name: `${n}.cross`, hidden: h, headSize });
    [vCross, aCross] = [`${n}.cross.visual`, `${n}.cross.audio`];
    c.g.addNode('Split', [out, o.split], [vCross, aCross], {
      attributes: [attr.int('axis', 1)],
    });
  }
  audio = gated(c, audio, { y: linear(c, aCross, { name: `${n}.audio_cross_proj`, inOut: [h, h] }), gate: am[5]!, name: `${n}.a2` });

  // 3. MLPs.
  const ffn = (s: string, p: { stream: string; mod: string[] }) => {
    const norm = `${n}.${p.stream}_norm3`;
    const m = modulate(c, layerNorm(c, s, { name: norm, dim: h, eps: EPS }), { name: norm, shift: p.mod[6]!, scale: p.mod[7]! });
    return gated(c, s, { y: mlp(c, m, `${n}.${p.stream}_mlp`), gate: p.mod[8]!, name: `${n}.${p.stream}3` });
  };
  audio = ffn(audio, { stream: 'audio', mod: am });
  if (last) return { audio, visual };
  visual = gated(c, visual, { y: linear(c, vCross, { name: `${n}.v_cond_cross_proj`, inOut: [h, h] }), gate: vm[5]!, name: `${n}.v2` });
  return { audio, visual: ffn(visual, { stream: 'v_cond', mod: vm }) };
}

/**
 * `SingleStreamBlock.forward` on the audio alone, conditioned per token (`condAct` = SiLU(sync + vec),
 * [B, L, H]): modulated LayerNorm → qkv with rows (H D K), K innermost → RMS norms (nn.RMSNorm,
 * eps None) → RoPE from 0 → attention → conv k3 `linear1`, gated; modulated LayerNorm → ConvMLP k3, gated.
 */
export function singleBlock(c: HvfCtx, x: string, o: { index: number; condAct: string; rot: Rotation }): string {
  const n = `single_blocks.${o.index}`;
  const { hidden: h, headSize, convMlpHidden } = c.w.dims;
  const [shiftMsa, scaleMsa, gateMsa, shiftMlp, scaleMlp, gateMlp] = modulation(c, o.condAct, { name: `${n}.modulation`, parts: 6 });
  const m = modulate(c, layerNorm(c, x, { name: `${n}.norm1`, dim: h, eps: SINGLE_LN_EPS }), {
    name: `${n}.norm1`,
    shift: shiftMsa!,
    scale: scaleMsa!,
  });
  const parts = interleavedQkv(c, { name: `${n}.linear_qkv`, hidden: h }).map(({ weight, bias }, j) => {
    const which = 'qkv'[j]!;
    const w = c.g.addInitializer(`${n}.linear_qkv.${which}.weight_t`, [h, h], transpose(weight, h, h));
    const y = c.op(
      'Add',
      [c.op('MatMul', [m, w], `${n}.${which}.mm`), c.g.addInitializer(`${n}.linear_qkv.${which}.bias`, [h], bias)],
      `${n}.${which}.lin`,
    );
    return heads(c, y, `${n}.${which}`);
  });
  const q = rope(c, rmsNorm(c, parts[0]!, { name: `${n}.q_norm`, dim: headSize }), { name: `${n}.q`, ...o.rot });
  const k = rope(c, rmsNorm(c, parts[1]!, { name: `${n}.k_norm`, dim: headSize }), { name: `${n}.k`, ...o.rot });
  const out = attention(c, [q, k, parts[2]!], { name: `${n}.attn`, hidden: h, headSize });
  const x1 = gated(c, x, { y: channelLastConv(c, out, { name: `${n}.linear1`, dims: [h, h, 3] }), gate: gateMsa!, name: `${n}.r1` });
  const m2 = modulate(c, layerNorm(c, x1, { name: `${n}.norm2`, dim: h, eps: SINGLE_LN_EPS }), {
    name: `${n}.norm2`,
    shift: shiftMlp!,
    scale: scaleMlp!,
  });
  return gated(c, x1, {
    y: gatedMlp(c, m2, { name: `${n}.linear2`, dim: h, hidden: convMlpHidden, k: 3 }),
    gate: gateMlp!,
    name: `${n}.r2`,
  });
}

/**
 * `FinalLayer1D.forward` as it runs upstream: Linear(LayerNorm(x), eps 1e-6) → [B, L, latentDim].
 * Its adaLN shift and scale are computed from the per-token condition [B, L, H], but upstream's
 * `modulate` only broadcasts a 2-D shift/scale and silently drops a 3-D one (`shift.unsqueeze(1) if
 * shift.ndim == 2 else None`), so the trained network never saw them: `final_layer.adaLN_modulation.1`
 * has no effect and is not read (weights.ts `UNUSED_TENSORS`).
 */
export function finalLayer(c: HvfCtx, x: string): string {
  const { hidden: h, latentDim } = c.w.dims;
  const normed = layerNorm(c, x, { name: 'final_layer.norm_final', dim: h, eps: EPS });
  return linear(c, normed, { name: 'final_layer.linear', inOut: [h, latentDim] });
}
