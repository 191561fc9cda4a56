/**
 * @module The two attentions of Synchformer's visual encoder, as ONNX subgraphs:
 * MotionFormer's `DividedAttention` (vit_helper.py), run once over time and once over space in every
 * block, and the spatial aggregator `SpatialTransformerEncoderLayer` (motionformer.py), of which only
 * the CLS token's output is kept.
 */
import { attr } from '../onnx-graph.js';
import { attend, type Ctx, gelu, headsOf, layerNorm, linear, mergeHeads, reshape, slice, transpose } from './ops.js';
import type { AggregatorWeights, AttentionWeights } from './weights.js';

/** Slice end meaning "to the end of the axis". */
const TO_END = 2 ** 31 - 1;

export interface TokenLayout {
  width: number;
  heads: number;
  /** Temporal tokens per segment (F). */
  temporal: number;
  /** Spatial tokens per frame (N = grid²). */
  spatial: number;
}

/** `row` [1, 1, W] repeated over the batch of `like` ([M, …]): [M, 1, W]. */
export function expandBatch(c: Ctx, row: string, o: { name: string; like: string; width: number }): string {
  c.g.addNode('Shape', [o.like], [`${o.name}.batch`], { attributes: [attr.int('start', 0), attr.int('end', 1)] });
  c.g.addNode('Concat', [`${o.name}.batch`, c.ints([1, o.width])], [`${o.name}.shape`], { attributes: [attr.int('axis', 0)] });
  c.g.addNode('Expand', [row, `${o.name}.shape`], [o.name]);
  return o.name;
}

/**
 * `DividedAttention.forward(x, einops_from, einops_to, …)` without a token mask, on
 * x [BS, 1 + F·N, W] whose patch tokens are laid out f-major ('b (f n) d'):
 * q, k, v from the fused qkv (q scaled by head_size^-0.5 first); the CLS query attends to every
 * key; the patch queries attend within their group, each group's keys and values led by the CLS
 * token's: over time ('(b n) f d': per spatial position, across the F temporal tokens) or over space
 * ('(b f) n d': per temporal token, across the N patches). CLS output first, heads merged, `proj`.
 */
export function dividedAttention(c: Ctx, x: string, o: { name: string; w: AttentionWeights; layout: TokenLayout; over: 'time' | 'space' }) {
  const { width, heads, temporal: f, spatial: n } = o.layout;
  const d = width / heads;
  const p = o.name;
  const q = headsOf(c, x, { name: `${p}.q`, w: o.w.q, width, heads });
  const k = headsOf(c, x, { name: `${p}.k`, w: o.w.k, width, heads });
  const v = headsOf(c, x, { name: `${p}.v`, w: o.w.v, width, heads });
  c.g.addNode('Mul', [q, c.scalar(`attn.scale.${d}`, d ** -0.5)], [`${p}.q.scaled`]);
  const qs = `${p}.q.scaled`;

  // cls_out = qkv_attn(cls_q, k, v): the CLS query over all 1 + F·N keys.
  const clsQ = slice(c, qs, { name: `${p}.cls_q`, axis: 2, from: 0, to: 1 });
  const kT = transpose(c, k, { name: `${p}.kT`, perm: [0, 1, 3, 2] });
  const clsOut = attend(c, { name: `${p}.cls`, q: clsQ, kT, v });

  // Patch tokens [BS, H, F·N, d] → [BS, H, F, N, d]; over time the groups are the N positions: [BS, H, N, F, d].
  const groups = o.over === 'time' ? n : f;
  const grouped = (t: string, which: string): string => {
    const patches = slice(c, t, { name: `${p}.${which}_`, axis: 2, from: 1, to: TO_END });
    const five = reshape(c, patches, { name: `${p}.${which}_.fn`, shape: [0, 0, f, n, d] });
    return o.over === 'time' ? transpose(c, five, { name: `${p}.${which}_.nf`, perm: [0, 1, 3, 2, 4] }) : five;
  };
  // The CLS key and value lead every group: repeat 'b () d -> (b r) () d', then cat on the sequence axis.
  const withCls = (t: string, which: string): string => {
    const cls = slice(c, t, { name: `${p}.cls_${which}`, axis: 2, from: 0, to: 1 });
    const cls5 = reshape(c, cls, { name: `${p}.cls_${which}.5d`, shape: [0, 0, 1, 1, d] });
    c.g.addNode('Expand', [cls5, c.ints([1, 1, groups, 1, 1])], [`${p}.cls_${which}.groups`]);
    c.g.addNode('Concat', [`${p}.cls_${which}.groups`, grouped(t, which)], [`${p}.${which}_.cat`], { attributes: [attr.int('axis', 3)] });
    return `${p}.${which}_.cat`;
  };
  const kCat = transpose(c, withCls(k, 'k'), { name: `${p}.k_.catT`, perm: [0, 1, 2, 4, 3] });
  const out = attend(c, { name: `${p}.groups`, q: grouped(qs, 'q'), kT: kCat, v: withCls(v, 'v') });
  const back = o.over === 'time' ? transpose(c, out, { name: `${p}.groups.fn`, perm: [0, 1, 3, 2, 4] }) : out;
  const flat = reshape(c, back, { name: `${p}.groups.flat`, shape: [0, 0, f * n, d] });
  c.g.addNode('Concat', [clsOut, flat], [`${p}.all`], { attributes: [attr.int('axis', 2)] });
  return mergeHeads(c, `${p}.all`, { name: p, w: o.w, width });
}

/**
 * `SpatialTransformerEncoderLayer` on x [BS·F, N, W] (each temporal token's patches): its CLS token
 * prepended, then `nn.TransformerEncoderLayer(norm_first=True, activation=GELU)`:
 * x + self_attn(norm1(x)), then x + linear2(gelu(linear1(norm2(x)))); only the CLS row is returned,
 * [BS·F, 1, W]. Rows do not mix outside attention, so only the CLS query is computed; the keys and
 * values are every token's. nn.MultiheadAttention scales q by 1/√head_size.
 */
export function spatialAggregator(
  c: Ctx,
  x: string,
  o: { name: string; w: AggregatorWeights; width: number; heads: number; hidden: number },
) {
  const { width, heads } = o;
  const p = o.name;
  const clsRow = c.g.addInitializer(`${p}.cls_token`, [1, 1, width], o.w.cls);
  const cls = expandBatch(c, clsRow, { name: `${p}.cls`, like: x, width });
  c.g.addNode('Concat', [cls, x], [`${p}.in`], { attributes: [attr.int('axis', 1)] });
  const h = layerNorm(c, `${p}.in`, { name: `${p}.norm1`, w: o.w.norm1, width });
  const hCls = slice(c, h, { name: `${p}.norm1.cls`, axis: 1, from: 0, to: 1 });
  const q = headsOf(c, hCls, { name: `${p}.q`, w: o.w.attn.q, width, heads });
  const k = headsOf(c, h, { name: `${p}.k`, w: o.w.attn.k, width, heads });
  const v = headsOf(c, h, { name: `${p}.v`, w: o.w.attn.v, width, heads });
  c.g.addNode('Div', [q, c.scalar(`mha.sqrt.${width / heads}`, Math.sqrt(width / heads))], [`${p}.q.scaled`]);
  const kT = transpose(c, k, { name: `${p}.kT`, perm: [0, 1, 3, 2] });
  const ctx = attend(c, { name: `${p}.attn`, q: `${p}.q.scaled`, kT, v });
  const attnOut = mergeHeads(c, ctx, { name: `${p}.out`, w: o.w.attn, width });
  c.g.addNode('Add', [cls, attnOut], [`${p}.res1`]);
  const h2 = layerNorm(c, `${p}.res1`, { name: `${p}.norm2`, w: o.w.norm2, width });
  const l1 = linear(c, h2, { name: `${p}.linear1`, w: o.w.linear1, inOut: [width, o.hidden] });
  const act = gelu(c, l1, `${p}.act`);
  const l2 = linear(c, act, { name: `${p}.linear2`, w: o.w.linear2, inOut: [o.hidden, width] });
  c.g.addNode('Add', [`${p}.res1`, l2], [`${p}.out`]);
  return `${p}.out`;
}
