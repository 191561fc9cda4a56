/**
 * @module The graph pieces the Synchformer graph is made of: linear layers, LayerNorm, exact GELU,
 * shared scalar and int64 shape constants, and multi-head attention in the layouts upstream uses
 * (heads split as `'b n (h d)' -> '(b h) n d'`: the width's h-th block of d is head h).
 */
import { attr, type OnnxGraph } from '../onnx-graph.js';
import type { AttentionWeights, LayerNormWeights, LinearWeights } from './weights.js';

export interface Ctx {
  g: OnnxGraph;
  /** A float32 scalar constant, shared by name. */
  scalar(name: string, value: number): string;
  /** An int64 vector constant (a Reshape shape, Slice bounds), shared by value. */
  ints(values: readonly number[]): string;
  /** LayerNorm epsilon (the config's). */
  eps: number;
}

export function graphContext(g: OnnxGraph, eps: number): Ctx {
  const made = new Map<string, string>();
  return {
    g,
    eps,
    scalar(name, value) {
      const key = `const.${name}`;
      if (!made.has(key)) made.set(key, g.addInitializer(key, [], new Float32Array([value])));
      return made.get(key)!;
    },
    ints(values) {
      const key = `ints.${values.join('_').replaceAll('-', 'm')}`;
      if (!made.has(key))
        made.set(
          key,
          g.addInitializer(
            key,
            [values.length],
            BigInt64Array.from(values, (v) => BigInt(v)),
          ),
        );
      return made.get(key)!;
    },
  };
}

/** x · Wᵀ + b, with W already transposed to [in, out]. */
export function linear(c: Ctx, x: string, o: { name: string; w: LinearWeights; inOut: readonly [number, number] }): string {
  const w = c.g.addInitializer(`${o.name}.weight_t`, [...o.inOut], o.w.weight);
  const b = c.g.addInitializer(`${o.name}.bias`, [o.inOut[1]], o.w.bias);
  c.g.addNode('MatMul', [x, w], [`${o.name}.mm`]);
  c.g.addNode('Add', [`${o.name}.mm`, b], [`${o.name}.out`]);
  return `${o.name}.out`;
}

/** `nn.LayerNorm(width, eps)` over the last axis. */
export function layerNorm(c: Ctx, x: string, o: { name: string; w: LayerNormWeights; width: number }): string {
  const scale = c.g.addInitializer(`${o.name}.weight`, [o.width], o.w.scale);
  const bias = c.g.addInitializer(`${o.name}.bias`, [o.width], o.w.bias);
  c.g.addNode('LayerNormalization', [x, scale, bias], [`${o.name}.out`], {
    attributes: [attr.int('axis', -1), attr.float('epsilon', c.eps)],
  });
  return `${o.name}.out`;
}

/** `nn.GELU()` (approximate='none'): 0.5 · x · (1 + erf(x / √2)); opset 17 has no Gelu operator. */
export function gelu(c: Ctx, x: string, name: string): string {
  c.g.addNode('Mul', [x, c.scalar('gelu.inv_sqrt2', Math.SQRT1_2)], [`${name}.xs`]);
  c.g.addNode('Erf', [`${name}.xs`], [`${name}.erf`]);
  c.g.addNode('Add', [`${name}.erf`, c.scalar('one', 1)], [`${name}.erf1`]);
  c.g.addNode('Mul', [x, `${name}.erf1`], [`${name}.xerf`]);
  c.g.addNode('Mul', [`${name}.xerf`, c.scalar('half', 0.5)], [`${name}.out`]);
  return `${name}.out`;
}

/** Linear → GELU → linear (vit_helper `Mlp`, and `nn.TransformerEncoderLayer`'s feed-forward). */
export function mlp(c: Ctx, x: string, o: { name: string; fc1: LinearWeights; fc2: LinearWeights; width: number; hidden: number }): string {
  const h = linear(c, x, { name: `${o.name}.fc1`, w: o.fc1, inOut: [o.width, o.hidden] });
  const a = gelu(c, h, `${o.name}.act`);
  return linear(c, a, { name: `${o.name}.fc2`, w: o.fc2, inOut: [o.hidden, o.width] });
}

export function transpose(c: Ctx, x: string, o: { name: string; perm: readonly number[] }): string {
  c.g.addNode('Transpose', [x], [o.name], { attributes: [attr.ints('perm', o.perm)] });
  return o.name;
}

export function reshape(c: Ctx, x: string, o: { name: string; shape: readonly number[] }): string {
  c.g.addNode('Reshape', [x, c.ints(o.shape)], [o.name]);
  return o.name;
}

/** x[..., from:to, ...] on one axis (`to` may be a large number for "to the end"). */
export function slice(c: Ctx, x: string, o: { name: string; axis: number; from: number; to: number }): string {
  c.g.addNode('Slice', [x, c.ints([o.from]), c.ints([o.to]), c.ints([o.axis])], [o.name]);
  return o.name;
}

/** softmax(q · kᵀ) · v over the last two axes (q already scaled); k is given as kᵀ ([…, d, keys]). */
export function attend(c: Ctx, o: { name: string; q: string; kT: string; v: string }): string {
  c.g.addNode('MatMul', [o.q, o.kT], [`${o.name}.logits`]);
  c.g.addNode('Softmax', [`${o.name}.logits`], [`${o.name}.probs`], { attributes: [attr.int('axis', -1)] });
  c.g.addNode('MatMul', [`${o.name}.probs`, o.v], [`${o.name}.ctx`]);
  return `${o.name}.ctx`;
}

/** q, k or v of a fused projection as heads: [B, T, width] → [B, heads, T, headSize]. */
export function headsOf(c: Ctx, x: string, o: { name: string; w: LinearWeights; width: number; heads: number }): string {
  const y = linear(c, x, { name: o.name, w: o.w, inOut: [o.width, o.width] });
  const split = reshape(c, y, { name: `${o.name}.split`, shape: [0, 0, o.heads, o.width / o.heads] });
  return transpose(c, split, { name: `${o.name}.heads`, perm: [0, 2, 1, 3] });
}

/** [B, heads, T, headSize] → [B, T, width] (`'(b h) n d -> b n (h d)'`), then the output projection. */
export function mergeHeads(c: Ctx, x: string, o: { name: string; w: AttentionWeights; width: number }): string {
  const t = transpose(c, x, { name: `${o.name}.merge.t`, perm: [0, 2, 1, 3] });
  const merged = reshape(c, t, { name: `${o.name}.merged`, shape: [0, 0, o.width] });
  return linear(c, merged, { name: `${o.name}.proj`, w: o.w.out, inOut: [o.width, o.width] });
}
