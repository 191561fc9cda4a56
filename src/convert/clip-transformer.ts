/**
 * @module What open_clip's text and image towers share, for the CLIP converters (clip-text/,
 * clip-image/): the `Transformer` of `ResidualAttentionBlock`s both towers are built of (open_clip
 * `transformer.py`: pre-LN blocks, `Attention` with a fused in_proj, an MLP c_fc → activation → c_proj;
 * `layers.py`: `LayerNorm`, `QuickGELU`), its tensors read by open_clip's names under a prefix (`''`
 * for the text tower, `visual.` for the image tower), and its ONNX pieces, down to `F.normalize`.
 * The towers differ only around it (embeddings, causal mask, pooling, projection).
 *
 * The same maths serves the Hugging Face towers HunyuanVideo-Foley uses (siglip2-vision/,
 * clap-text/): SigLIP's encoder is the same pre-LN block with separate q/k/v projections, tanh-GELU
 * and LayerNorm eps 1e-6, and its attention-pooling head is {@link attention} with a learned query;
 * RoBERTa's (CLAP's text tower) is the post-LN arrangement (`placement: 'post'`) with exact GELU,
 * eps 1e-12 and a padding mask. Those converters read their own tensor names into {@link ClipBlockWeights}.
 */
import type { WeightsFile } from '../models/weights/index.js';
import { checkpointError, readFloat32, transposeRows } from './checkpoint-tensors.js';
import { attr, type OnnxGraph } from './onnx-graph.js';

/** `nn.LayerNorm`'s default; open_clip passes no eps for DFN5B's towers (no `norm_kwargs` in its config). */
export const CLIP_LAYER_NORM_EPS = 1e-5;
/** `F.normalize`'s default eps: x / max(‖x‖, eps). */
export const L2_NORMALIZE_EPS = 1e-12;
/** QuickGELU (open_clip `layers.py`): x · sigmoid(1.702 x). */
const QUICK_GELU_ALPHA = 1.702;
/** The cubic term of the tanh approximation of GELU (Hendrycks & Gimpel; torch's `approximate='tanh'`). */
const GELU_TANH_CUBIC = 0.044715;

/**
 * The MLP's activation: `quick_gelu` for DFN5B (`ViT-H-14-378-quickgelu`), `gelu` (exact, erf) for configs
 * without it and for RoBERTa, `gelu_tanh` (`nn.GELU(approximate='tanh')`, HF's `gelu_pytorch_tanh`) for SigLIP.
 */
export type ClipActivation = 'quick_gelu' | 'gelu' | 'gelu_tanh';

/** One linear layer as `MatMul` wants it: the weight transposed to [in, out], and the bias. */
export interface LinearWeights {
  weight: Float32Array;
  bias: Float32Array;
}

export interface LayerNormWeights {
  scale: Float32Array;
  bias: Float32Array;
}

export interface ClipBlockWeights {
  ln1: LayerNormWeights;
  /** `attn.in_proj_weight` [3W, W] split into its q, k, v row blocks (nn.MultiheadAttention's layout), each transposed. */
  q: LinearWeights;
  k: LinearWeights;
  v: LinearWeights;
  out: LinearWeights;
  ln2: LayerNormWeights;
  fc: LinearWeights;
  proj: LinearWeights;
}

/** Where a tower's blocks are and how wide they are. */
export interface ClipTransformerShape {
  /** Prefix of `transformer.resblocks.N.*`: `''` (text tower) or `'visual.'` (image tower). */
  prefix: string;
  width: number;
  mlpWidth: number;
  layers: number;
}

// ---- weights

/**
 * Blocks: one past the highest N of any `<prefix>transformer.resblocks.N.*` (a block with a tensor
 * missing is then refused by name, not silently dropped with the blocks after it).
 */
export function clipBlockCount(weights: WeightsFile, o: { prefix: string; what: string }): number {
  return blockCount(weights, { blocks: `${o.prefix}transformer.resblocks.`, first: 'ln_1.weight', what: o.what });
}

/**
 * The same count for any layout: one past the highest N of `<blocks>N.*` (HF's `encoder.layers.`,
 * `encoder.layer.`); none is MODEL_LOAD_FAILED naming block 0's tensor `first`.
 */
export function blockCount(weights: WeightsFile, o: { blocks: string; first: string; what: string }): number {
  const pattern = new RegExp(`^${o.blocks.replaceAll('.', '\\.')}(\\d+)\\.`);
  let layers = 0;
  for (const name of weights.tensors.keys()) {
    const n = pattern.exec(name)?.[1];
    if (n !== undefined) layers = Math.max(layers, Number(n) + 1);
  }
  if (layers === 0) {
    const tensor = `${o.blocks}0.${o.first}`;
    throw checkpointError(o.what, `the checkpoint has no tensor "${tensor}"`, { tensor });
  }
  return layers;
}

/**
 * The head count: `heads` when given, else width / `headSize` (the tower's config's head width);
 * MODEL_LOAD_FAILED (led by `what`) when it does not split the width.
 */
export function clipHeads(o: { width: number; heads: number | undefined; headSize: number; what: string }): number {
  const heads = o.heads ?? o.width / o.headSize;
  if (!Number.isInteger(heads) || heads < 1 || o.width % heads !== 0) {
    const into = o.heads === undefined ? `heads of ${o.headSize}` : `${heads} heads`;
    throw checkpointError(o.what, `width ${o.width} does not split into ${into}`, { width: o.width, heads });
  }
  return heads;
}

/** Every block tensor's name and shape, in the order they are read. */
export function clipTransformerTensorShapes(s: ClipTransformerShape): [string, number[]][] {
  const { width: w, mlpWidth: m } = s;
  const shapes: [string, number[]][] = [];
  for (let i = 0; i < s.layers; i++) {
    const b = `${s.prefix}transformer.resblocks.${i}`;
    for (const [name, shape] of [
      ['ln_1.weight', [w]],
      ['ln_1.bias', [w]],
      ['attn.in_proj_weight', [3 * w, w]],
      ['attn.in_proj_bias', [3 * w]],
      ['attn.out_proj.weight', [w, w]],
      ['attn.out_proj.bias', [w]],
      ['ln_2.weight', [w]],
      ['ln_2.bias', [w]],
      ['mlp.c_fc.weight', [m, w]],
      ['mlp.c_fc.bias', [m]],
      ['mlp.c_proj.weight', [w, m]],
      ['mlp.c_proj.bias', [w]],
    ] as const) {
      shapes.push([`${b}.${name}`, [...shape]]);
    }
  }
  return shapes;
}

/** `nn.LayerNorm`'s weight and bias under `prefix` (already checked). */
export async function readLayerNorm(weights: WeightsFile, prefix: string): Promise<LayerNormWeights> {
  return { scale: await readFloat32(weights, `${prefix}.weight`), bias: await readFloat32(weights, `${prefix}.bias`) };
}

/** `nn.Linear` under `prefix` (already checked), its [out, in] weight transposed for MatMul. */
export async function readLinear(weights: WeightsFile, o: { prefix: string; in: number; out: number }): Promise<LinearWeights> {
  return {
    weight: transposeRows(await readFloat32(weights, `${o.prefix}.weight`), { cols: o.in, from: 0, rows: o.out }),
    bias: await readFloat32(weights, `${o.prefix}.bias`),
  };
}

/** The blocks (every tensor already checked against {@link clipTransformerTensorShapes}), one tensor at a time. */
export async function readClipTransformer(weights: WeightsFile, s: ClipTransformerShape): Promise<ClipBlockWeights[]> {
  const { width: w, mlpWidth: m } = s;
  const blocks: ClipBlockWeights[] = [];
  for (let i = 0; i < s.layers; i++) {
    const b = `${s.prefix}transformer.resblocks.${i}`;
    const inProj = await readFloat32(weights, `${b}.attn.in_proj_weight`);
    const inBias = await readFloat32(weights, `${b}.attn.in_proj_bias`);
    // F.linear(x, in_proj_weight, in_proj_bias).chunk(3, -1): output rows [0,W) are q, [W,2W) k, [2W,3W) v.
    const part = (j: number): LinearWeights => ({
      weight: transposeRows(inProj, { cols: w, from: j * w, rows: w }),
      bias: inBias.slice(j * w, (j + 1) * w),
    });
    blocks.push({
      ln1: await readLayerNorm(weights, `${b}.ln_1`),
      q: part(0),
      k: part(1),
      v: part(2),
      out: await readLinear(weights, { prefix: `${b}.attn.out_proj`, in: w, out: w }),
      ln2: await readLayerNorm(weights, `${b}.ln_2`),
      fc: await readLinear(weights, { prefix: `${b}.mlp.c_fc`, in: w, out: m }),
      proj: await readLinear(weights, { prefix: `${b}.mlp.c_proj`, in: m, out: w }),
    });
  }
  return blocks;
}

// ---- graph

/** A graph being built, with its scalar float constants shared by name. */
export interface ClipGraph {
  g: OnnxGraph;
  scalar(name: string, value: number): string;
  /** An int64 vector constant (a Reshape target, axes), shared by name: the first values given for a name win. */
  ints(name: string, values: readonly number[]): string;
}

export function clipGraph(g: OnnxGraph): ClipGraph {
  const scalars = new Map<string, string>();
  const vectors = new Map<string, string>();
  return {
    g,
    scalar(name, value) {
      let s = scalars.get(name);
      if (s === undefined) {
        s = g.addInitializer(`const.${name}`, [], new Float32Array([value]));
        scalars.set(name, s);
      }
      return s;
    },
    ints(name, values) {
      let s = vectors.get(name);
      if (s === undefined) {
        s = g.addInitializer(
          name,
          [values.length],
          BigInt64Array.from(values, (v) => BigInt(v)),
        );
        vectors.set(name, s);
      }
      return s;
    },
  };
}

/** `nn.Linear`: x · Wᵀ + b, with the weight already transposed to [in, out]. */
export function linear(c: ClipGraph, x: string, o: { name: string; w: LinearWeights; inOut: [number, number] }): string {
  const w = c.g.addInitializer(`${o.name}.weight_t`, o.inOut, o.w.weight);
  const b = c.g.addInitializer(`${o.name}.bias`, [o.inOut[1]], o.w.bias);
  c.g.addNode('MatMul', [x, w], [`${o.name}.mm`]);
  c.g.addNode('Add', [`${o.name}.mm`, b], [`${o.name}.out`]);
  return `${o.name}.out`;
}

/**
 * `LayerNorm` over the last axis (open_clip's `LayerNorm` casts to the input's dtype: fp32 here); `eps`
 * defaults to open_clip's {@link CLIP_LAYER_NORM_EPS} (HF configs set theirs: SigLIP 1e-6, RoBERTa 1e-12).
 */
export function layerNorm(c: ClipGraph, x: string, o: { name: string; w: LayerNormWeights; width: number; eps?: number }): string {
  const scale = c.g.addInitializer(`${o.name}.weight`, [o.width], o.w.scale);
  const bias = c.g.addInitializer(`${o.name}.bias`, [o.width], o.w.bias);
  c.g.addNode('LayerNormalization', [x, scale, bias], [`${o.name}.out`], {
    attributes: [attr.int('axis', -1), attr.float('epsilon', o.eps ?? CLIP_LAYER_NORM_EPS)],
  });
  return `${o.name}.out`;
}

function activation(c: ClipGraph, x: string, o: { name: string; kind: ClipActivation }): string {
  const n = o.name;
  if (o.kind === 'quick_gelu') {
    c.g.addNode('Mul', [x, c.scalar('quick_gelu.alpha', QUICK_GELU_ALPHA)], [`${n}.ax`]);
    c.g.addNode('Sigmoid', [`${n}.ax`], [`${n}.sig`]);
    c.g.addNode('Mul', [x, `${n}.sig`], [`${n}.out`]);
  } else if (o.kind === 'gelu') {
    // nn.GELU(approximate='none'): 0.5 · x · (1 + erf(x / √2)); opset 17 has no Gelu operator.
    c.g.addNode('Mul', [x, c.scalar('gelu.inv_sqrt2', Math.SQRT1_2)], [`${n}.xs`]);
    c.g.addNode('Erf', [`${n}.xs`], [`${n}.erf`]);
    c.g.addNode('Add', [`${n}.erf`, c.scalar('one', 1)], [`${n}.erf1`]);
    c.g.addNode('Mul', [x, `${n}.erf1`], [`${n}.xerf`]);
    c.g.addNode('Mul', [`${n}.xerf`, c.scalar('half', 0.5)], [`${n}.out`]);
  } else {
    // nn.GELU(approximate='tanh'): 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))), as torch computes it.
    c.g.addNode('Mul', [x, x], [`${n}.x2`]);
    c.g.addNode('Mul', [`${n}.x2`, x], [`${n}.x3`]);
    c.g.addNode('Mul', [`${n}.x3`, c.scalar('gelu_tanh.cubic', GELU_TANH_CUBIC)], [`${n}.cx3`]);
    c.g.addNode('Add', [x, `${n}.cx3`], [`${n}.inner`]);
    c.g.addNode('Mul', [`${n}.inner`, c.scalar('gelu_tanh.sqrt_2_over_pi', Math.sqrt(2 / Math.PI))], [`${n}.arg`]);
    c.g.addNode('Tanh', [`${n}.arg`], [`${n}.tanh`]);
    c.g.addNode('Add', [`${n}.tanh`, c.scalar('one', 1)], [`${n}.tanh1`]);
    c.g.addNode('Mul', [x, `${n}.tanh1`], [`${n}.xt`]);
    c.g.addNode('Mul', [`${n}.xt`, c.scalar('half', 0.5)], [`${n}.out`]);
  }
  return `${n}.out`;
}

/** The four projections of one multi-head attention (q, k, v and out), each [width, width] transposed. */
export interface AttentionWeights {
  q: LinearWeights;
  k: LinearWeights;
  v: LinearWeights;
  out: LinearWeights;
}

export interface AttentionOptions {
  name: string;
  w: AttentionWeights;
  width: number;
  heads: number;
  /** The tokens keys and values come from; the query input itself when omitted (self-attention). */
  keyValue?: string;
  /** An additive mask broadcast onto the logits [B, H, Lq, Lk] (a causal [L, L] or a padding [B, 1, 1, L]). */
  mask?: string | undefined;
}

/**
 * Multi-head attention as open_clip's `Attention`, `nn.MultiheadAttention` and HF's eager attention all
 * compute it: q, k, v projected, heads split as reshape(N, L, H, D).transpose(1, 2),
 * softmax(q·scale · kᵀ (+ mask)) · v, heads merged back, out projection. The query may have fewer
 * tokens than the keys (SigLIP's pooling probe: one) and a batch of 1 that broadcasts (MatMul does).
 */
export function attention(c: ClipGraph, query: string, o: AttentionOptions): string {
  const { name: n, width: w } = o;
  const headSize = w / o.heads;
  const split = c.ints(`shape.heads.${o.heads}x${headSize}`, [0, 0, o.heads, headSize]);
  const heads = (which: 'q' | 'k' | 'v', perm: number[]): string => {
    const y = linear(c, which === 'q' ? query : (o.keyValue ?? query), { name: `${n}.${which}`, w: o.w[which], inOut: [w, w] });
    c.g.addNode('Reshape', [y, split], [`${n}.${which}.heads`]);
    c.g.addNode('Transpose', [`${n}.${which}.heads`], [`${n}.${which}.t`], { attributes: [attr.ints('perm', perm)] });
    return `${n}.${which}.t`;
  };
  const q = heads('q', [0, 2, 1, 3]); // [B, H, L, D]
  const k = heads('k', [0, 2, 3, 1]); // [B, H, D, L]: kᵀ directly
  const v = heads('v', [0, 2, 1, 3]); // [B, H, L, D]
  // Attention.scale = head_dim ** -0.5, applied to q before q·kᵀ as open_clip's explicit branch does
  // (HF scales the product instead: the same maths, rounding aside).
  c.g.addNode('Mul', [q, c.scalar(`attn.scale.${headSize}`, headSize ** -0.5)], [`${n}.q.scaled`]);
  c.g.addNode('MatMul', [`${n}.q.scaled`, k], [`${n}.logits`]);
  let logits = `${n}.logits`;
  if (o.mask !== undefined) {
    c.g.addNode('Add', [logits, o.mask], [`${n}.masked`]);
    logits = `${n}.masked`;
  }
  c.g.addNode('Softmax', [logits], [`${n}.probs`], { attributes: [attr.int('axis', -1)] });
  c.g.addNode('MatMul', [`${n}.probs`, v], [`${n}.ctx`]);
  c.g.addNode('Transpose', [`${n}.ctx`], [`${n}.ctx.t`], { attributes: [attr.ints('perm', [0, 2, 1, 3])] });
  c.g.addNode('Reshape', [`${n}.ctx.t`, c.ints(`shape.merge.${w}`, [0, 0, w])], [`${n}.merged`]);
  return linear(c, `${n}.merged`, { name: `${n}.out_proj`, w: o.w.out, inOut: [w, w] });
}

/** fc → activation → proj (open_clip's `mlp`, HF's fc1/fc2 or intermediate/output dense). */
export function mlp(
  c: ClipGraph,
  x: string,
  o: { name: string; w: Pick<ClipBlockWeights, 'fc' | 'proj'>; width: number; mlpWidth: number; activation: ClipActivation },
): string {
  const fc = linear(c, x, { name: `${o.name}.c_fc`, w: o.w.fc, inOut: [o.width, o.mlpWidth] });
  const act = activation(c, fc, { name: `${o.name}.act`, kind: o.activation });
  return linear(c, act, { name: `${o.name}.c_proj`, w: o.w.proj, inOut: [o.mlpWidth, o.width] });
}

/**
 * Where a block's LayerNorms sit. `pre` (open_clip's `ResidualAttentionBlock`, SigLIP's encoder layer):
 * x + attn(ln_1(x)), then x + mlp(ln_2(x)). `post` (BERT/RoBERTa's layer): ln_1(x + attn(x)), then
 * ln_2(x + mlp(x)), `ln_1` being `attention.output.LayerNorm` and `ln_2` `output.LayerNorm`.
 */
export type NormPlacement = 'pre' | 'post';

interface BlockOptions {
  name: string;
  w: ClipBlockWeights;
  width: number;
  heads: number;
  mlpWidth: number;
  activation: ClipActivation;
  /** The additive attention mask (the text tower's causal one, RoBERTa's padding one); none for the image towers. */
  mask: string | undefined;
  eps: number;
  placement: NormPlacement;
}

/** One block, pre- or post-LN (no layer scale: none of the towers converted here has one). */
function block(c: ClipGraph, x: string, o: BlockOptions): string {
  const { name: n, width, eps } = o;
  const ln = (input: string, which: 'ln_1' | 'ln_2'): string =>
    layerNorm(c, input, { name: `${n}.${which}`, w: which === 'ln_1' ? o.w.ln1 : o.w.ln2, width, eps });
  const attn = (input: string): string => attention(c, input, { name: `${n}.attn`, w: o.w, width, heads: o.heads, mask: o.mask });
  const ff = (input: string): string => mlp(c, input, { name: `${n}.mlp`, w: o.w, width, mlpWidth: o.mlpWidth, activation: o.activation });
  if (o.placement === 'post') {
    c.g.addNode('Add', [x, attn(x)], [`${n}.res1`]);
    const h = ln(`${n}.res1`, 'ln_1');
    c.g.addNode('Add', [h, ff(h)], [`${n}.res2`]);
    return ln(`${n}.res2`, 'ln_2');
  }
  c.g.addNode('Add', [x, attn(ln(x, 'ln_1'))], [`${n}.res1`]);
  c.g.addNode('Add', [`${n}.res1`, ff(ln(`${n}.res1`, 'ln_2'))], [`${n}.out`]);
  return `${n}.out`;
}

export interface ClipTransformerOptions {
  blocks: readonly ClipBlockWeights[];
  width: number;
  heads: number;
  mlpWidth: number;
  activation: ClipActivation;
  /** An additive mask added to every block's attention logits (`Transformer.forward(x, attn_mask)`). */
  mask?: string;
  /** @default CLIP_LAYER_NORM_EPS */
  eps?: number;
  /** @default 'pre' */
  placement?: NormPlacement;
}

/** `Transformer.forward`: x [B, L, width] through every block, in order; returns the last block's output. */
export function clipTransformer(c: ClipGraph, x: string, o: ClipTransformerOptions): string {
  const { width, heads, mlpWidth, activation, mask } = o;
  const eps = o.eps ?? CLIP_LAYER_NORM_EPS;
  const placement = o.placement ?? 'pre';
  let y = x;
  for (const [i, w] of o.blocks.entries()) {
    y = block(c, y, { name: `transformer.resblocks.${i}`, w, width, heads, mlpWidth, activation, mask, eps, placement });
  }
  return y;
}

/** `F.normalize(x, dim=-1)`: x / max(‖x‖₂, 1e-12) along the last axis, written to `output` (once per graph). */
export function l2Normalize(c: ClipGraph, x: string, output: string): string {
  c.g.addNode('ReduceL2', [x], ['l2.norm'], { attributes: [attr.ints('axes', [-1]), attr.int('keepdims', 1)] });
  c.g.addNode('Max', ['l2.norm', c.scalar('l2.eps', L2_NORMALIZE_EPS)], ['l2.clamped']);
  c.g.addNode('Div', [x, 'l2.clamped'], [output]);
  return output;
}
