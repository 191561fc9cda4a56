/**
 * @module The MM-DiT's layers as ONNX nodes (fp32, opset 17), each named after the upstream code it
 * follows (`mmaudio/model/low_level.py`, `transformer_layers.py`). Tensors are channel-last
 * [B, N, D] as upstream's are; the convolutions (`ChannelLastConv1d`) transpose to [B, D, N] and
 * back, once per conv or per ConvMLP.
 */
import { attr, type OnnxAttribute, type OnnxGraph } from '../onnx-graph.js';
import type { MmaudioDitWeights } from './weights.js';

/** `nn.LayerNorm`'s default eps (upstream passes none). */
export const LAYER_NORM_EPS = 1e-5;
/** `nn.RMSNorm(eps=None)` uses `torch.finfo(float32).eps`. */
export const RMS_NORM_EPS = 2 ** -23;

/** Where a builder takes a checkpoint tensor from (each handed out once); the HVF converter builds with these layers too. */
export interface TensorSource {
  take(name: string): Float32Array;
}

export interface Ctx<W extends TensorSource = MmaudioDitWeights> {
  g: OnnxGraph;
  w: W;
  /** A float scalar constant, shared by value. */
  scalar(value: number): string;
  /** A float constant shared by name (a table, ones, zeros). */
  constant(name: string, dims: readonly number[], data: () => Float32Array): string;
  /** An int64 constant shared by name (shapes, indices). */
  ints(name: string, values: readonly number[] | BigInt64Array): string;
  /** Adds a node whose single output is named `out`; returns `out`. */
  op(type: string, inputs: readonly string[], out: string, attributes?: readonly OnnxAttribute[]): string;
}

/** [rows, cols] → [cols, rows]. */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c]!;
  return out;
}

/** `nn.Linear` on the last axis: x · Wᵀ (+ b), from the checkpoint's `<name>.weight` and `<name>.bias`. */
export function linear(c: Ctx<TensorSource>, x: string, o: { name: string; inOut: [number, number]; bias?: boolean }): string {
  const [fanIn, fanOut] = o.inOut;
  const w = c.g.addInitializer(`${o.name}.weight_t`, [fanIn, fanOut], transpose(c.w.take(`${o.name}.weight`), fanOut, fanIn));
  const mm = c.op('MatMul', [x, w], `${o.name}.mm`);
  if (o.bias === false) return mm;
  const b = c.g.addInitializer(`${o.name}.bias`, [fanOut], c.w.take(`${o.name}.bias`));
  return c.op('Add', [mm, b], `${o.name}.out`);
}

/**
 * A fused `qkv` Linear whose rows are laid out `(h d j)` with j (q, k, v) innermost (MMAudio's
 * `Rearrange('b n (h d j) -> b h n d j')`, HunyuanVideo-Foley's single-stream `'B L (H D K) -> B H L D K'`):
 * row (h·headSize + d)·3 + j. Returns q's, k's and v's rows in (h d) order, with their biases.
 */
export function interleavedQkv(c: Ctx<TensorSource>, o: { name: string; hidden: number }): { weight: Float32Array; bias: Float32Array }[] {
  const { hidden } = o;
  const w = c.w.take(`${o.name}.weight`);
  const b = c.w.take(`${o.name}.bias`);
  return [0, 1, 2].map((j) => {
    const weight = new Float32Array(hidden * hidden);
    const bias = new Float32Array(hidden);
    for (let r = 0; r < hidden; r++) {
      weight.set(w.subarray((r * 3 + j) * hidden, (r * 3 + j + 1) * hidden), r * hidden);
      bias[r] = b[r * 3 + j]!;
    }
    return { weight, bias };
  });
}

/** [B, N, D] ↔ [B, D, N]. */
export function swapLast(c: Ctx<TensorSource>, x: string, out: string): string {
  return c.op('Transpose', [x], out, [attr.ints('perm', [0, 2, 1])]);
}

/** `nn.Conv1d` (stride 1, 'same' padding k // 2) on a channel-first [B, D, N] tensor. */
export function conv(c: Ctx<TensorSource>, x: string, o: { name: string; dims: [number, number, number]; bias?: boolean }): string {
  const [out, inCh, k] = o.dims;
  const w = c.g.addInitializer(`${o.name}.weight`, [out, inCh, k], c.w.take(`${o.name}.weight`));
  const bias = o.bias === false ? [] : [c.g.addInitializer(`${o.name}.bias`, [out], c.w.take(`${o.name}.bias`))];
  const pad = (k - 1) / 2;
  return c.op('Conv', [x, w, ...bias], `${o.name}.out`, [attr.ints('kernel_shape', [k]), attr.ints('pads', [pad, pad])]);
}

/** `ChannelLastConv1d` with a bias: [B, N, in] → [B, N, out]. */
export function channelLastConv(c: Ctx<TensorSource>, x: string, o: { name: string; dims: [number, number, number] }): string {
  const cf = swapLast(c, x, `${o.name}.cf`);
  return swapLast(c, conv(c, cf, o), `${o.name}.cl`);
}

export function silu(c: Ctx<TensorSource>, x: string, name: string): string {
  return c.op('Mul', [x, c.op('Sigmoid', [x], `${name}.sig`)], `${name}.silu`);
}

/** `nn.SELU`: ONNX Selu's default alpha and gamma are torch's constants. */
export function selu(c: Ctx<TensorSource>, x: string, name: string): string {
  return c.op('Selu', [x], `${name}.selu`);
}

/**
 * `MLP` (k = 1: bias-free Linears) or `ConvMLP` (bias-free convs of width k, 'same' padding):
 * w2(silu(w1(x)) · w3(x)), on [B, N, dim].
 */
export function gatedMlp(c: Ctx<TensorSource>, x: string, o: { name: string; dim: number; hidden: number; k: number }): string {
  const { name: n, dim, hidden, k } = o;
  if (k === 1) {
    const a = linear(c, x, { name: `${n}.w1`, inOut: [dim, hidden], bias: false });
    const b = linear(c, x, { name: `${n}.w3`, inOut: [dim, hidden], bias: false });
    const gated = c.op('Mul', [silu(c, a, `${n}.w1`), b], `${n}.gated`);
    return linear(c, gated, { name: `${n}.w2`, inOut: [hidden, dim], bias: false });
  }
  const cf = swapLast(c, x, `${n}.cf`);
  const a = conv(c, cf, { name: `${n}.w1`, dims: [hidden, dim, k], bias: false });
  const b = conv(c, cf, { name: `${n}.w3`, dims: [hidden, dim, k], bias: false });
  const gated = c.op('Mul', [silu(c, a, `${n}.w1`), b], `${n}.gated`);
  return swapLast(c, conv(c, gated, { name: `${n}.w2`, dims: [dim, hidden, k], bias: false }), `${n}.cl`);
}

/** `nn.LayerNorm(dim, elementwise_affine=False)`: opset 17 wants a scale and bias, so ones and zeros. eps: torch's default unless given. */
export function layerNorm(c: Ctx<TensorSource>, x: string, o: { name: string; dim: number; eps?: number }): string {
  const ones = c.constant(`ones.${o.dim}`, [o.dim], () => new Float32Array(o.dim).fill(1));
  const zeros = c.constant(`zeros.${o.dim}`, [o.dim], () => new Float32Array(o.dim));
  return c.op('LayerNormalization', [x, ones, zeros], `${o.name}.out`, [
    attr.int('axis', -1),
    attr.float('epsilon', o.eps ?? LAYER_NORM_EPS),
  ]);
}

/** `modulate`: x · (1 + scale) + shift. */
export function modulate(c: Ctx<TensorSource>, x: string, o: { name: string; shift: string; scale: string }): string {
  const onePlus = c.op('Add', [o.scale, c.scalar(1)], `${o.name}.1p`);
  return c.op('Add', [c.op('Mul', [x, onePlus], `${o.name}.scaled`), o.shift], `${o.name}.mod`);
}

/** `adaLN_modulation` = SiLU then Linear(dim, parts·dim), chunked into `parts` on the last axis. */
export function adaLn(c: Ctx<TensorSource>, cond: string, o: { name: string; dim: number; parts: number }): string[] {
  const y = linear(c, silu(c, cond, `${o.name}.in`), { name: `${o.name}.1`, inOut: [o.dim, o.parts * o.dim] });
  const outs = Array.from({ length: o.parts }, (_, i) => `${o.name}.chunk${i}`);
  c.g.addNode('Split', [y, c.ints(`split.${o.parts}x${o.dim}`, Array(o.parts).fill(o.dim))], outs, { attributes: [attr.int('axis', -1)] });
  return outs;
}

/** `nn.RMSNorm(64)` over each head: x · rsqrt(mean(x²) + eps) · weight (eps: nn.RMSNorm's float32 default unless given). */
export function rmsNorm(c: Ctx<TensorSource>, x: string, o: { name: string; dim: number; eps?: number }): string {
  const n = o.name;
  const sq = c.op('Mul', [x, x], `${n}.sq`);
  const mean = c.op('ReduceMean', [sq], `${n}.ms`, [attr.ints('axes', [-1]), attr.int('keepdims', 1)]);
  const root = c.op('Sqrt', [c.op('Add', [mean, c.scalar(o.eps ?? RMS_NORM_EPS)], `${n}.mse`)], `${n}.rms`);
  const y = c.op('Mul', [x, c.op('Reciprocal', [root], `${n}.rrms`)], `${n}.normed`);
  return c.op('Mul', [y, c.g.addInitializer(`${n}.weight`, [o.dim], c.w.take(`${n}.weight`))], `${n}.out`);
}

/** `apply_rope` as x · cos + swap(x) · sin (tables from tables.ts, [N, 64], broadcast over batch and heads). */
export function rope(c: Ctx<TensorSource>, x: string, o: { name: string; cos: string; sin: string; swap: string }): string {
  const swapped = c.op('Gather', [x, o.swap], `${o.name}.swapped`, [attr.int('axis', -1)]);
  const a = c.op('Mul', [x, o.cos], `${o.name}.xc`);
  return c.op('Add', [a, c.op('Mul', [swapped, o.sin], `${o.name}.xs`)], `${o.name}.roped`);
}

/**
 * `F.scaled_dot_product_attention(q, k, v)` (no mask, scale 1/√headSize) on [B, H, N, headSize], then
 * `rearrange('b h n d -> b n (h d)')`.
 */
export function attention(
  c: Ctx<TensorSource>,
  qkv: [string, string, string],
  o: { name: string; hidden: number; headSize: number },
): string {
  const n = o.name;
  const kt = c.op('Transpose', [qkv[1]], `${n}.kt`, [attr.ints('perm', [0, 1, 3, 2])]);
  const logits = c.op('MatMul', [qkv[0], kt], `${n}.logits`);
  const scaled = c.op('Mul', [logits, c.scalar(1 / Math.sqrt(o.headSize))], `${n}.scaled`);
  const probs = c.op('Softmax', [scaled], `${n}.probs`, [attr.int('axis', -1)]);
  const ctx = c.op('Transpose', [c.op('MatMul', [probs, qkv[2]], `${n}.ctx`)], `${n}.ctx.t`, [attr.ints('perm', [0, 2, 1, 3])]);
  return c.op('Reshape', [ctx, c.ints('shape.merge', [0, 0, o.hidden])], `${n}.merged`);
}
