/**
 * @module The CLIP text tower as an ONNX graph (fp32, opset 17): int64 token ids [B, context] →
 * the L2-normalised state of every token after `ln_final` [B, context, width], which is what
 * MMAudio's patched `encode_text(tokens, normalize=True)` returns from open_clip's CLIP: no
 * pooling, no text projection. Each step names the upstream code it follows (open_clip
 * `transformer.py`: `TextTransformer`; the blocks are the shared clip-transformer.ts).
 */
import { type ClipActivation, clipGraph, clipTransformer, l2Normalize, layerNorm } from '../clip-transformer.js';
import { attr, createOnnxGraph, type OnnxGraph } from '../onnx-graph.js';
import type { ClipTextWeights } from './weights.js';

/** The MLP's activation (the same choice for both towers). */
export type ClipTextActivation = ClipActivation;

export const CLIP_TEXT_INPUT = 'tokens';
export const CLIP_TEXT_OUTPUT = 'features';

/**
 * `TextTransformer.build_causal_mask`: an additive mask, 0 on and below the diagonal and -inf above
 * it (token i sees tokens 0..i). Every row keeps its diagonal, so no softmax row is all -inf.
 */
export function causalMask(context: number): Float32Array {
  const mask = new Float32Array(context * context);
  for (let i = 0; i < context; i++) for (let j = i + 1; j < context; j++) mask[i * context + j] = Number.NEGATIVE_INFINITY;
  return mask;
}

/** The whole graph; `encode` is left to the caller (convert.ts). */
export function buildClipTextGraph(weights: ClipTextWeights, o: { activation: ClipTextActivation }): OnnxGraph {
  const { vocab, width, context, heads, mlpWidth } = weights.dims;
  const g = createOnnxGraph('clip_text');
  const c = clipGraph(g);

  g.addInput(CLIP_TEXT_INPUT, ['batch', context], 'int64');
  // token_embedding(text) + positional_embedding ([context, width], broadcast over the batch).
  g.addInitializer('token_embedding.weight', [vocab, width], weights.tokenEmbedding);
  g.addInitializer('positional_embedding', [context, width], weights.positionalEmbedding);
  g.addNode('Gather', ['token_embedding.weight', CLIP_TEXT_INPUT], ['embedded'], { attributes: [attr.int('axis', 0)] });
  g.addNode('Add', ['embedded', 'positional_embedding'], ['x.0']);

  const mask = g.addInitializer('attn_mask', [context, context], causalMask(context));
  const x = clipTransformer(c, 'x.0', { blocks: weights.blocks, width, heads, mlpWidth, activation: o.activation, mask });
  const final = layerNorm(c, x, { name: 'ln_final', w: weights.lnFinal, width });
  // F.normalize(x, dim=-1), per token.
  l2Normalize(c, final, CLIP_TEXT_OUTPUT);
  g.addOutput(CLIP_TEXT_OUTPUT, ['batch', context, width]);
  return g;
}
