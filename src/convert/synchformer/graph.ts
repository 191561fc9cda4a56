/**
 * @module Synchformer's visual encoder as an ONNX graph (fp32, opset 17): video segments
 * [B, S, frames, 3, image, image] → [B, S, temporalTokens, width] (MMAudio: [B, S, 16, 3, 224, 224] →
 * [B, S, 8, 768]), which is what `Synchformer.forward` returns (MotionFormer with
 * `extract_features=True`, `factorize_space_time=True`, spatial TransformerEncoderLayer aggregation,
 * Identity temporal aggregation). Each step names the upstream code it follows (mmaudio/ext/synchformer:
 * synchformer.py, motionformer.py, video_model_builder.py `forward_features`, vit_helper.py).
 */
import { attr, createOnnxGraph, type OnnxGraph } from '../onnx-graph.js';
import { dividedAttention, expandBatch, spatialAggregator, type TokenLayout } from './attention.js';
import { type Ctx, graphContext, layerNorm, mlp, reshape, slice, transpose } from './ops.js';
import type { BlockWeights, SynchformerWeights } from './weights.js';

export const SYNCHFORMER_INPUT = 'frames';
export const SYNCHFORMER_OUTPUT = 'features';

/**
 * `DividedSpaceTimeBlock.forward`: time attention first (on norm3), then space attention (on norm1),
 * each added to its input, then the MLP (on norm2); drop path is Identity.
 */
function block(c: Ctx, x: string, o: { name: string; w: BlockWeights; layout: TokenLayout; mlpWidth: number }): string {
  const { name: n, w, layout } = o;
  const width = layout.width;
  const t = dividedAttention(c, layerNorm(c, x, { name: `${n}.norm3`, w: w.norm3, width }), {
    name: `${n}.timeattn`,
    w: w.timeattn,
    layout,
    over: 'time',
  });
  c.g.addNode('Add', [x, t], [`${n}.time_residual`]);
  const s = dividedAttention(c, layerNorm(c, `${n}.time_residual`, { name: `${n}.norm1`, w: w.norm1, width }), {
    name: `${n}.attn`,
    w: w.attn,
    layout,
    over: 'space',
  });
  c.g.addNode('Add', [`${n}.time_residual`, s], [`${n}.space_residual`]);
  const h = layerNorm(c, `${n}.space_residual`, { name: `${n}.norm2`, w: w.norm2, width });
  const m = mlp(c, h, { name: `${n}.mlp`, fc1: w.fc1, fc2: w.fc2, width, hidden: o.mlpWidth });
  c.g.addNode('Add', [`${n}.space_residual`, m], [`${n}.out`]);
  return `${n}.out`;
}

/** The whole graph; `encode` is left to the caller (convert.ts). */
export function buildSynchformerGraph(weights: SynchformerWeights, o: { layerNormEps: number }): OnnxGraph {
  const d = weights.dims;
  const { width, channels, tubelet, patch, grid, image, frames, temporalTokens: f } = d;
  const n = grid * grid;
  const g = createOnnxGraph('synchformer_visual');
  const c = graphContext(g, o.layerNormEps);
  const layout: TokenLayout = { width, heads: d.heads, temporal: f, spatial: n };

  g.addInput(SYNCHFORMER_INPUT, ['batch', 'segments', frames, channels, image, image]);
  // Synchformer.forward: (B, S, T, C, H, W) → (B, S, C, T, H, W); MotionFormer.forward views it as (B·S, C, T, H, W).
  const flat = reshape(c, SYNCHFORMER_INPUT, { name: 'segments.flat', shape: [-1, frames, channels, image, image] });
  const ncthw = transpose(c, flat, { name: 'segments.ncthw', perm: [0, 2, 1, 3, 4] });
  // PatchEmbed3D: Conv3d, kernel = stride = (tubelet, patch, patch) → (BS, W, F, grid, grid); flatten(2).transpose(1, 2).
  const convW = g.addInitializer('patch_embed_3d.proj.weight', [width, channels, tubelet, patch, patch], weights.patchWeight);
  const convB = g.addInitializer('patch_embed_3d.proj.bias', [width], weights.patchBias);
  g.addNode('Conv', [ncthw, convW, convB], ['patch_embed_3d.out'], {
    attributes: [attr.ints('kernel_shape', [tubelet, patch, patch]), attr.ints('strides', [tubelet, patch, patch])],
  });
  const tokens = transpose(c, reshape(c, 'patch_embed_3d.out', { name: 'patch_embed_3d.flat', shape: [0, width, f * n] }), {
    name: 'patches',
    perm: [0, 2, 1],
  });

  // 'separate' position embedding: token (f, n) gets pos_embed[1 + n] + temp_embed[f] (tile + repeat_interleave),
  // summed first as upstream does; the CLS token gets cls_token + pos_embed[0].
  g.addInitializer('pos_embed.patches', [1, 1, n, width], weights.posEmbed.subarray(width));
  g.addInitializer('temp_embed', [1, f, 1, width], weights.tempEmbed);
  g.addNode('Add', ['pos_embed.patches', 'temp_embed'], ['total_pos_embed.fn']);
  const totalPos = reshape(c, 'total_pos_embed.fn', { name: 'total_pos_embed', shape: [1, f * n, width] });
  g.addNode('Add', [tokens, totalPos], ['patches.pos']);
  g.addInitializer('cls_token', [1, 1, width], weights.clsToken);
  g.addInitializer('pos_embed.cls', [1, 1, width], weights.posEmbed.subarray(0, width));
  g.addNode('Add', ['cls_token', 'pos_embed.cls'], ['cls.pos']);
  const cls = expandBatch(c, 'cls.pos', { name: 'cls.batch', like: 'patches.pos', width });
  g.addNode('Concat', [cls, 'patches.pos'], ['x.0'], { attributes: [attr.int('axis', 1)] });

  let x = 'x.0';
  for (let i = 0; i < d.depth; i++) x = block(c, x, { name: `blocks.${i}`, w: weights.blocks[i]!, layout, mlpWidth: d.mlpWidth });

  // forward_segments: drop the CLS token, norm; restore_spatio_temp_dims + 'BS D t h w -> (BS t) (h w) D'.
  const patches = slice(c, x, { name: 'x.patches', axis: 1, from: 1, to: 2 ** 31 - 1 });
  const normed = layerNorm(c, patches, { name: 'norm', w: weights.norm, width });
  const perFrame = reshape(c, normed, { name: 'agg.in', shape: [-1, n, width] });
  const pooled = spatialAggregator(c, perFrame, {
    name: 'spatial_attn_agg',
    w: weights.agg,
    width,
    heads: d.heads,
    hidden: d.aggMlpWidth,
  });
  // '(BS t) D -> BS t D', temp_attn_agg = Identity, then MotionFormer.forward's view(B, S, t, D).
  g.addNode('Shape', [SYNCHFORMER_INPUT], ['out.bs'], { attributes: [attr.int('start', 0), attr.int('end', 2)] });
  g.addNode('Concat', ['out.bs', c.ints([f, width])], ['out.shape'], { attributes: [attr.int('axis', 0)] });
  g.addNode('Reshape', [pooled, 'out.shape'], [SYNCHFORMER_OUTPUT]);
  g.addOutput(SYNCHFORMER_OUTPUT, ['batch', 'segments', f, width]);
  return g;
}
