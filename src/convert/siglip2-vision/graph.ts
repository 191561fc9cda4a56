/**
 * @module The SigLIP vision tower as an ONNX graph (fp32, opset 17, batch dynamic): normalised pixels
 * [B, 3, S, S] (S = grid · patch) → `SiglipModel.get_image_features(pixel_values)` [B, width], the
 * attention-pooled output of the MAP head, which HunyuanVideo-Foley takes per frame
 * (`encode_video_with_siglip2`). Each step names the HF `modeling_siglip.py` module it follows
 * (`SiglipVisionEmbeddings`, `SiglipEncoderLayer`, `SiglipVisionTransformer`,
 * `SiglipMultiheadAttentionPoolingHead`); the blocks and the attention are clip-transformer.ts's.
 */
import { attention, type ClipActivation, clipGraph, clipTransformer, layerNorm, mlp } from '../clip-transformer.js';
import { attr, createOnnxGraph, type OnnxGraph } from '../onnx-graph.js';
import type { Siglip2VisionWeights } from './weights.js';

export const SIGLIP2_VISION_INPUT = 'pixels';
export const SIGLIP2_VISION_OUTPUT = 'features';

/** `SiglipVisionConfig.layer_norm_eps` (siglip2-base-patch16-512 keeps the default): every LayerNorm of the tower. */
export const SIGLIP_LAYER_NORM_EPS = 1e-6;

/** The whole graph; `encode` is left to the caller (convert.ts). */
export function buildSiglip2VisionGraph(weights: Siglip2VisionWeights, o: { activation: ClipActivation }): OnnxGraph {
  const { width, patch, grid, heads, mlpWidth } = weights.dims;
  const size = grid * patch;
  const eps = SIGLIP_LAYER_NORM_EPS;
  const g = createOnnxGraph('siglip2_vision');
  const c = clipGraph(g);

  g.addInput(SIGLIP2_VISION_INPUT, ['batch', 3, size, size]);
  // SiglipVisionEmbeddings: patch_embedding (Conv2d, kernel = stride = patch, padding 'valid', with a
  // bias) → [B, width, grid, grid], then flatten(2).transpose(1, 2): patches row by row, as the
  // position rows are (position_ids = arange(grid²); no class token, no interpolation at the trained size).
  g.addInitializer('patch_embedding.weight', [width, 3, patch, patch], weights.conv);
  g.addInitializer('patch_embedding.bias', [width], weights.convBias);
  g.addNode('Conv', [SIGLIP2_VISION_INPUT, 'patch_embedding.weight', 'patch_embedding.bias'], ['patches.grid'], {
    attributes: [attr.ints('kernel_shape', [patch, patch]), attr.ints('strides', [patch, patch])],
  });
  g.addNode('Reshape', ['patches.grid', c.ints('shape.patches', [0, width, grid * grid])], ['patches.flat']);
  g.addNode('Transpose', ['patches.flat'], ['patches'], { attributes: [attr.ints('perm', [0, 2, 1])] });
  g.addInitializer('position_embedding', [grid * grid, width], weights.positionEmbedding);
  g.addNode('Add', ['patches', 'position_embedding'], ['x.0']);

  // SiglipEncoder: pre-LN layers (layer_norm1 → self_attn, layer_norm2 → fc1 → gelu_pytorch_tanh → fc2), no mask.
  const x = clipTransformer(c, 'x.0', { blocks: weights.blocks, width, heads, mlpWidth, activation: o.activation, eps });
  const post = layerNorm(c, x, { name: 'post_layernorm', w: weights.postLayerNorm, width, eps });

  // SiglipMultiheadAttentionPoolingHead: the probe [1, 1, width] as the only query over every token
  // (nn.MultiheadAttention, same heads as the encoder). The probe stays a batch of one: MatMul
  // broadcasts it against the tokens' batch, which is what probe.repeat(batch, 1, 1) spells out.
  g.addInitializer('head.probe', [1, 1, width], weights.head.probe);
  const h = weights.head;
  const pooled = attention(c, 'head.probe', { name: 'head.attention', w: h.attention, width, heads, keyValue: post });
  // residual = hidden; hidden = residual + mlp(layernorm(hidden)); then hidden[:, 0].
  const normed = layerNorm(c, pooled, { name: 'head.layernorm', w: h.layerNorm, width, eps });
  const ff = mlp(c, normed, { name: 'head.mlp', w: h, width, mlpWidth, activation: o.activation });
  g.addNode('Add', [pooled, ff], ['head.out']);
  g.addNode('Gather', ['head.out', g.addInitializer('index.probe', [], new BigInt64Array([0n]))], [SIGLIP2_VISION_OUTPUT], {
    attributes: [attr.int('axis', 1)],
  });
  g.addOutput(SIGLIP2_VISION_OUTPUT, ['batch', width]);
  return g;
}
