/**
 * @module The CLIP text tower as an ONNX graph (fp32, opset 17): int64 token ids [B, context] →
 * the L2-normalised state of every token after `ln_final` [B, context, width], which is what
 * MMAudio's patched `encode_text(tokens, normalize=True)` returns from open_clip's CLIP: no
 * pooling, no text projection. Each step names the upstream code it follows (open_clip
 * `transformer.py`: `TextTransformer`, `ResidualAttentionBlock`, `Attention`; `layers.py`).
 */
import { attr, createOnnxGraph, type OnnxGraph } from '../onnx-graph.js';
import type { ClipTextBlockWeights, ClipTextWeights, LayerNormWeights, LinearWeights } from './weights.js';

/** `nn.LayerNorm`'s default; open_clip passes no eps for this model (no `norm_kwargs` in its config). */
export const CLIP_LAYER_NORM_EPS = 1e-5;
/** `F.normalize`'s default eps: x / max(‖x‖, eps). */
export const L2_NORMALIZE_EPS = 1e-12;
/** QuickGELU (open_clip `layers.py`): x · sigmoid(1.702 x). */
const QUICK_GELU_ALPHA = 1.702;

/** The MLP's activation: `quick_gelu` for DFN5B (`ViT-H-14-378-quickgelu`), `gelu` (exact, erf) for configs without it. */
export type ClipTextActivation = 'quick_gelu' | 'gelu';

export const CLIP_TEXT_INPUT = 'tokens';
export const CLIP_TEXT_OUTPUT = 'features';

interface Ctx {
  g: OnnxGraph;
  /** A scalar float constant, shared by name. */
  scalar(name: string, value: number): string;
}

function linear(c: Ctx, x: string, o: { name: string; w: LinearWeights; inOut: [number, number] }): string {
  const w = c.g.addInitializer(`${o.name}.weight_t`, o.inOut, o.w.weight);
  const b = c.g.addInitializer(`${o.name}.bias`, [o.inOut[1]], o.w.bias);
  c.g.addNode('MatMul', [x, w], [`${o.name}.mm`]);
  c.g.addNode('Add', [`${o.name}.mm`, b], [`${o.name}.out`]);
  return `${o.name}.out`;
}

function layerNorm(c: Ctx, x: string, o: { name: string; w: LayerNormWeights; width: number }): string {
  const scale = c.g.addInitializer(`${o.name}.weight`, [o.width], o.w.scale);
  const bias = c.g.addInitializer(`${o.name}.bias`, [o.width], o.w.bias);
  c.g.addNode('LayerNormalization', [x, scale, bias], [`${o.name}.out`], {
    attributes: [attr.int('axis', -1), attr.float('epsilon', CLIP_LAYER_NORM_EPS)],
  });
  return `${o.name}.out`;
}

function activation(c: Ctx, x: string, o: { name: string; kind: ClipTextActivation }): string {
  const n = o.name;
  if (o.kind === 'quick_gelu') {
    c.g.addNode('Mul', [x, c.scalar('quick_gelu.alpha', QUICK_GELU_ALPHA)], [`${n}.ax`]);
    c.g.addNode('Sigmoid', [`${n}.ax`], [`${n}.sig`]);
    c.g.addNode('Mul', [x, `${n}.sig`], [`${n}.out`]);
  } else {
    // nn.GELU(approximate='none'): 0.5 · x · (1 + erf(x / √2)); opset 17 has no Gelu operator.
    c.g.addNode('Mul', [x, c.scalar('gelu.inv_sqrt2', Math.SQRT1_2)], [`${n}.xs`]);
    c.g.addNode('Erf', [`${n}.xs`], [`${n}.erf`]);
    c.g.addNode('Add', [`${n}.erf`, c.scalar('one', 1)], [`${n}.erf1`]);
    c.g.addNode('Mul', [x, `${n}.erf1`], [`${n}.xerf`]);
    c.g.addNode('Mul', [`${n}.xerf`, c.scalar('half', 0.5)], [`${n}.out`]);
  }
  return `${n}.out`;
}

interface BlockOptions {
  name: string;
  w: ClipTextBlockWeights;
  width: number;
  heads: number;
  mlpWidth: number;
  activation: ClipTextActivation;
  /** The additive causal mask [context, context]. */
  mask: string;
  /** Reshape targets: [0, 0, heads, headSize] and [0, 0, width]. */
  splitShape: string;
  mergeShape: string;
}

/**
 * `ResidualAttentionBlock.forward` (pre-LN, no layer scale for this model):
 * x + attn(ln_1(x)), then x + mlp(ln_2(x)), with `Attention.forward`'s self-attention path:
 * q, k, v from the fused in_proj, heads split as reshape(N, L, H, D).transpose(1, 2),
 * softmax(q·scale · kᵀ + mask) · v, heads merged back, out_proj.
 */
function block(c: Ctx, x: string, o: BlockOptions): string {
  const { name: n, width: w } = o;
  const headSize = w / o.heads;
  const h = layerNorm(c, x, { name: `${n}.ln_1`, w: o.w.ln1, width: w });
  const heads = (which: 'q' | 'k' | 'v', perm: number[]): string => {
    const y = linear(c, h, { name: `${n}.attn.${which}`, w: o.w[which], inOut: [w, w] });
    c.g.addNode('Reshape', [y, o.splitShape], [`${n}.attn.${which}.heads`]);
    c.g.addNode('Transpose', [`${n}.attn.${which}.heads`], [`${n}.attn.${which}.t`], { attributes: [attr.ints('perm', perm)] });
    return `${n}.attn.${which}.t`;
  };
  const q = heads('q', [0, 2, 1, 3]); // [B, H, L, D]
  const k = heads('k', [0, 2, 3, 1]); // [B, H, D, L]: kᵀ directly
  const v = heads('v', [0, 2, 1, 3]); // [B, H, L, D]
  // Attention.scale = head_dim ** -0.5, applied to q before q·kᵀ as upstream's explicit branch does
  // (SDPA with scale= computes the same product).
  c.g.addNode('Mul', [q, c.scalar(`attn.scale.${headSize}`, headSize ** -0.5)], [`${n}.attn.q.scaled`]);
  c.g.addNode('MatMul', [`${n}.attn.q.scaled`, k], [`${n}.attn.logits`]);
  c.g.addNode('Add', [`${n}.attn.logits`, o.mask], [`${n}.attn.masked`]);
  c.g.addNode('Softmax', [`${n}.attn.masked`], [`${n}.attn.probs`], { attributes: [attr.int('axis', -1)] });
  c.g.addNode('MatMul', [`${n}.attn.probs`, v], [`${n}.attn.ctx`]);
  c.g.addNode('Transpose', [`${n}.attn.ctx`], [`${n}.attn.ctx.t`], { attributes: [attr.ints('perm', [0, 2, 1, 3])] });
  c.g.addNode('Reshape', [`${n}.attn.ctx.t`, o.mergeShape], [`${n}.attn.merged`]);
  const attnOut = linear(c, `${n}.attn.merged`, { name: `${n}.attn.out_proj`, w: o.w.out, inOut: [w, w] });
  c.g.addNode('Add', [x, attnOut], [`${n}.res1`]);

  const h2 = layerNorm(c, `${n}.res1`, { name: `${n}.ln_2`, w: o.w.ln2, width: w });
  const fc = linear(c, h2, { name: `${n}.mlp.c_fc`, w: o.w.fc, inOut: [w, o.mlpWidth] });
  const act = activation(c, fc, { name: `${n}.mlp.act`, kind: o.activation });
  const proj = linear(c, act, { name: `${n}.mlp.c_proj`, w: o.w.proj, inOut: [o.mlpWidth, w] });
  c.g.addNode('Add', [`${n}.res1`, proj], [`${n}.out`]);
  return `${n}.out`;
}

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
  const { vocab, width, context, heads, mlpWidth, layers } = weights.dims;
  const g = createOnnxGraph('clip_text');
  const scalars = new Map<string, string>();
  const c: Ctx = {
    g,
    scalar(name, value) {
      let s = scalars.get(name);
      if (s === undefined) {
        s = g.addInitializer(`const.${name}`, [], new Float32Array([value]));
        scalars.set(name, s);
      }
      return s;
    },
  };

  g.addInput(CLIP_TEXT_INPUT, ['batch', context], 'int64');
  // token_embedding(text) + positional_embedding ([context, width], broadcast over the batch).
  g.addInitializer('token_embedding.weight', [vocab, width], weights.tokenEmbedding);
  g.addInitializer('positional_embedding', [context, width], weights.positionalEmbedding);
  g.addNode('Gather', ['token_embedding.weight', CLIP_TEXT_INPUT], ['embedded'], { attributes: [attr.int('axis', 0)] });
  g.addNode('Add', ['embedded', 'positional_embedding'], ['x.0']);

  const mask = g.addInitializer('attn_mask', [context, context], causalMask(context));
  const splitShape = g.addInitializer('shape.heads', [4], new BigInt64Array([0n, 0n, BigInt(heads), BigInt(width / heads)]));
  const mergeShape = g.addInitializer('shape.merge', [3], new BigInt64Array([0n, 0n, BigInt(width)]));
  let x = 'x.0';
  for (let i = 0; i < layers; i++) {
    x = block(c, x, {
      name: `transformer.resblocks.${i}`,
      w: weights.blocks[i]!,
      width,
      heads,
      mlpWidth,
      activation: o.activation,
      mask,
      splitShape,
      mergeShape,
    });
  }
  const final = layerNorm(c, x, { name: 'ln_final', w: weights.lnFinal, width });

  // F.normalize(x, dim=-1): x / max(‖x‖₂, 1e-12), per token.
  g.addNode('ReduceL2', [final], ['l2.norm'], { attributes: [attr.ints('axes', [-1]), attr.int('keepdims', 1)] });
  g.addNode('Max', ['l2.norm', c.scalar('l2.eps', L2_NORMALIZE_EPS)], ['l2.clamped']);
  g.addNode('Div', [final, 'l2.clamped'], [CLIP_TEXT_OUTPUT]);
  g.addOutput(CLIP_TEXT_OUTPUT, ['batch', context, width]);
  return g;
}
