/**
 * @module The CLIP image tower as an ONNX graph (fp32, opset 17, batch dynamic): normalised pixels
 * [B, 3, S, S] (S = grid · patch) → `encode_image(x, normalize=True)` [B, embed], what MMAudio's
 * `encode_video_with_clip` takes from open_clip's CLIP for every frame. Each step names the upstream
 * code it follows (open_clip `transformer.py`: `VisionTransformer._embeds`, `forward`, `_pool`,
 * `_global_pool`; `model.py`: `CLIP._encode_image`); the blocks are the shared clip-transformer.ts.
 */
import { type ClipActivation, clipGraph, clipTransformer, l2Normalize, layerNorm } from '../clip-transformer.js';
import { attr, createOnnxGraph, type OnnxGraph } from '../onnx-graph.js';
import type { ClipImageWeights } from './weights.js';

export const CLIP_IMAGE_INPUT = 'pixels';
export const CLIP_IMAGE_OUTPUT = 'features';

/** The whole graph; `encode` is left to the caller (convert.ts). */
export function buildClipImageGraph(weights: ClipImageWeights, o: { activation: ClipActivation }): OnnxGraph {
  const { width, patch, grid, heads, mlpWidth, embed } = weights.dims;
  const size = grid * patch;
  const g = createOnnxGraph('clip_image');
  const c = clipGraph(g);
  const i64 = (name: string, values: readonly number[]): string =>
    g.addInitializer(
      name,
      [values.length],
      BigInt64Array.from(values, (v) => BigInt(v)),
    );

  g.addInput(CLIP_IMAGE_INPUT, ['batch', 3, size, size]);
  // _embeds: conv1 (kernel = stride = patch, no bias, no padding) → [B, width, grid, grid], then
  // reshape(B, width, grid²).permute(0, 2, 1): patches row by row, as the positional rows are.
  g.addInitializer('conv1.weight', [width, 3, patch, patch], weights.conv);
  g.addNode('Conv', [CLIP_IMAGE_INPUT, 'conv1.weight'], ['patches.grid'], {
    attributes: [attr.ints('kernel_shape', [patch, patch]), attr.ints('strides', [patch, patch])],
  });
  g.addNode('Reshape', ['patches.grid', i64('shape.patches', [0, width, grid * grid])], ['patches.flat']);
  g.addNode('Transpose', ['patches.flat'], ['patches'], { attributes: [attr.ints('perm', [0, 2, 1])] });

  // torch.cat([_expand_token(class_embedding, B), x], dim=1): the class token [1, 1, width] expanded
  // to the batch (B from the input's shape, so the batch stays dynamic) in front of the patches.
  g.addInitializer('class_embedding', [1, 1, width], weights.classEmbedding);
  g.addNode('Shape', [CLIP_IMAGE_INPUT], ['batch.size'], { attributes: [attr.int('start', 0), attr.int('end', 1)] });
  g.addNode('Concat', ['batch.size', i64('shape.class_tail', [1, width])], ['shape.class'], { attributes: [attr.int('axis', 0)] });
  g.addNode('Expand', ['class_embedding', 'shape.class'], ['class.tokens']);
  g.addNode('Concat', ['class.tokens', 'patches'], ['tokens'], { attributes: [attr.int('axis', 1)] });
  // + positional_embedding [1 + grid², width] (broadcast over the batch); patch_dropout is the
  // identity (0 in the config, and eval), then ln_pre (no_ln_pre is false).
  g.addInitializer('positional_embedding', [1 + grid * grid, width], weights.positionalEmbedding);
  g.addNode('Add', ['tokens', 'positional_embedding'], ['x.0']);
  const pre = layerNorm(c, 'x.0', { name: 'ln_pre', w: weights.lnPre, width });

  // transformer(x): no attention mask for the image tower.
  const x = clipTransformer(c, pre, { blocks: weights.blocks, width, heads, mlpWidth, activation: o.activation });

  // _pool with no attentional pool and final_ln_after_pool false: ln_post(x), then _global_pool with
  // pool_type 'tok': x[:, 0]. LayerNorm normalises each token alone, so taking the class token first
  // and normalising it gives the same numbers without normalising the grid² patch tokens for nothing.
  g.addNode('Gather', [x, g.addInitializer('index.class', [], new BigInt64Array([0n]))], ['pooled'], {
    attributes: [attr.int('axis', 1)],
  });
  const post = layerNorm(c, 'pooled', { name: 'ln_post', w: weights.lnPost, width });
  // pooled @ proj ([width, embed], no bias), then _encode_image's F.normalize(features, dim=-1).
  g.addInitializer('proj', [width, embed], weights.proj);
  g.addNode('MatMul', [post, 'proj'], ['projected']);
  l2Normalize(c, 'projected', CLIP_IMAGE_OUTPUT);
  g.addOutput(CLIP_IMAGE_OUTPUT, ['batch', embed]);
  return g;
}
