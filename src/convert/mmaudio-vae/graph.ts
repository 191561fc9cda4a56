/**
 * @module The magnitude-preserving ops of MMAudio's VAE decoder as ONNX nodes (fp32, opset 17),
 * each after the upstream code it follows (`mmaudio/ext/autoencoder/vae_modules.py` and the EDM2
 * maths of `edm2_utils.py`; written from the maths, not copied). Tensors are `[B, C, L]`.
 */
import { attr, type OnnxGraph } from '../onnx-graph.js';
import { MP_NORMALIZE_EPS, type Tensor32 } from './weights.js';

/** `mp_silu`: SiLU divided by 0.596, its magnitude under a unit normal input. */
export const MP_SILU_DIVISOR = 0.596;
/** `mp_sum`'s blend in every res and attention block: `mp_sum(x, h, t=0.3)`. */
export const MP_SUM_T = 0.3;

export interface GraphContext {
  g: OnnxGraph;
  /** A float scalar constant, shared by value. */
  scalar(value: number): string;
  /** An int64 constant, shared by value. */
  ints(values: readonly number[]): string;
}

export function graphContext(g: OnnxGraph): GraphContext {
  const floats = new Map<number, string>();
  const ints = new Map<string, string>();
  return {
    g,
    scalar(value) {
      let s = floats.get(value);
      if (s === undefined) {
        s = g.addInitializer(`const.f${floats.size}`, [], new Float32Array([value]));
        floats.set(value, s);
      }
      return s;
    },
    ints(values) {
      const key = values.join(',');
      let s = ints.get(key);
      if (s === undefined) {
        s = g.addInitializer(`const.i${ints.size}`, [values.length], BigInt64Array.from(values, BigInt));
        ints.set(key, s);
      }
      return s;
    },
  };
}

/** `MPConv1D.forward` with its weight folded: `conv1d(x, w, padding=k // 2)`, no bias. */
export function conv(c: GraphContext, x: string, o: { name: string; weight: Tensor32 }): string {
  const w = c.g.addInitializer(`${o.name}.weight`, o.weight.shape, o.weight.data);
  const k = o.weight.shape[2]!;
  c.g.addNode('Conv', [x, w], [`${o.name}.out`], {
    attributes: [attr.ints('kernel_shape', [k]), attr.ints('pads', [(k - 1) / 2, (k - 1) / 2])],
  });
  return `${o.name}.out`;
}

/**
 * edm2 `normalize(x, dim=1)` over `channels`: `x / (eps + ‖x‖₂ · sqrt(1 / channels))`, the L2 norm
 * taken over the channel axis at each batch and position (the res blocks' pixel norm, and q, k, v).
 */
export function pixelNorm(c: GraphContext, x: string, o: { name: string; channels: number }): string {
  const n = o.name;
  c.g.addNode('ReduceL2', [x], [`${n}.l2`], { attributes: [attr.ints('axes', [1]), attr.int('keepdims', 1)] });
  c.g.addNode('Mul', [`${n}.l2`, c.scalar(Math.sqrt(1 / o.channels))], [`${n}.rms`]);
  c.g.addNode('Add', [`${n}.rms`, c.scalar(MP_NORMALIZE_EPS)], [`${n}.den`]);
  c.g.addNode('Div', [x, `${n}.den`], [`${n}.out`]);
  return `${n}.out`;
}

/** `mp_silu(x) = silu(x) / 0.596`. */
export function mpSilu(c: GraphContext, x: string, name: string): string {
  c.g.addNode('Sigmoid', [x], [`${name}.sig`]);
  c.g.addNode('Mul', [x, `${name}.sig`], [`${name}.silu`]);
  c.g.addNode('Div', [`${name}.silu`, c.scalar(MP_SILU_DIVISOR)], [`${name}.out`]);
  return `${name}.out`;
}

/** `mp_sum(a, b, t) = a.lerp(b, t) / sqrt((1 − t)² + t²)`, lerp as torch computes it for t < 0.5: a + t · (b − a). */
export function mpSum(c: GraphContext, a: string, o: { name: string; b: string; t: number }): string {
  const n = o.name;
  c.g.addNode('Sub', [o.b, a], [`${n}.diff`]);
  c.g.addNode('Mul', [`${n}.diff`, c.scalar(o.t)], [`${n}.step`]);
  c.g.addNode('Add', [a, `${n}.step`], [`${n}.lerp`]);
  c.g.addNode('Div', [`${n}.lerp`, c.scalar(Math.sqrt((1 - o.t) ** 2 + o.t ** 2))], [`${n}.out`]);
  return `${n}.out`;
}

/** `h.clamp(-clip_act, clip_act)` after every block (clip_act 256). */
export function clamp(c: GraphContext, x: string, o: { name: string; bound: number }): string {
  c.g.addNode('Clip', [x, c.scalar(-o.bound), c.scalar(o.bound)], [`${o.name}.out`]);
  return `${o.name}.out`;
}

/**
 * `F.interpolate(x, scale_factor=2, mode='nearest-exact')` on `[B, C, L]`: output position i reads
 * input floor((i + 0.5) / 2) = floor(i / 2), so each sample is repeated twice. Built as
 * unsqueeze → concat with itself → reshape `[B, C, 2L]`, exact for any length.
 */
export function repeatTwice(c: GraphContext, x: string, name: string): string {
  c.g.addNode('Unsqueeze', [x, c.ints([3])], [`${name}.col`]);
  c.g.addNode('Concat', [`${name}.col`, `${name}.col`], [`${name}.pair`], { attributes: [attr.int('axis', 3)] });
  c.g.addNode('Reshape', [`${name}.pair`, c.ints([0, 0, -1])], [`${name}.out`]);
  return `${name}.out`;
}

/**
 * `AttnBlock1D` (one head, as upstream builds it) after its qkv conv: `y` holds q, k, v already
 * split by the weight's row order (see convert.ts), each `[B, C, L]`. q, k, v are pixel-normed over
 * C, then softmax(qᵀk / sqrt(C)) weights v (F.scaled_dot_product_attention, default scale), giving
 * `[B, C, L]` for proj_out.
 */
export function attention(c: GraphContext, qkv: string, o: { name: string; channels: number }): string {
  const n = o.name;
  const C = o.channels;
  c.g.addNode('Split', [qkv, c.ints([C, C, C])], [`${n}.q`, `${n}.k`, `${n}.v`], { attributes: [attr.int('axis', 1)] });
  const q = pixelNorm(c, `${n}.q`, { name: `${n}.q.norm`, channels: C });
  const k = pixelNorm(c, `${n}.k`, { name: `${n}.k.norm`, channels: C });
  const v = pixelNorm(c, `${n}.v`, { name: `${n}.v.norm`, channels: C });
  c.g.addNode('Transpose', [q], [`${n}.qt`], { attributes: [attr.ints('perm', [0, 2, 1])] });
  c.g.addNode('MatMul', [`${n}.qt`, k], [`${n}.logits`]); // [B, Lq, Lk]
  c.g.addNode('Mul', [`${n}.logits`, c.scalar(1 / Math.sqrt(C))], [`${n}.scaled`]);
  c.g.addNode('Softmax', [`${n}.scaled`], [`${n}.probs`], { attributes: [attr.int('axis', -1)] });
  c.g.addNode('Transpose', [`${n}.probs`], [`${n}.probs.t`], { attributes: [attr.ints('perm', [0, 2, 1])] });
  c.g.addNode('MatMul', [v, `${n}.probs.t`], [`${n}.ctx`]); // [B, C, Lk] · [B, Lk, Lq] = [B, C, Lq]
  return `${n}.ctx`;
}
