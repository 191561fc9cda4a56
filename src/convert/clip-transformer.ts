/**
 * @module What open_clip's text and image towers share, for the CLIP converters (clip-text/,
 * clip-image/): the `Transformer` of `ResidualAttentionBlock`s both towers are built of (open_clip
 * `transformer.py`: pre-LN blocks, `Attention` with a fused in_proj, an MLP c_fc → activation → c_proj;
 * `layers.py`: `LayerNorm`, `QuickGELU`), its tensors read by open_clip's names under a prefix (`''`
 * for the text tower, `visual.` for the image tower), and its ONNX pieces, down to `F.normalize`.
 * The towers differ only around it (embeddings, causal mask, pooling, projection).
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

/** The MLP's activation: `quick_gelu` for DFN5B (`ViT-H-14-378-quickgelu`), `gelu` (exact, erf) for configs without it. */
export type ClipActivation = 'quick_gelu' | 'gelu';

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
  const pattern = new RegExp(`^${o.prefix.replaceAll('.', '\\.')}transformer\\.resblocks\\.(\\d+)\\.`);
  let layers = 0;
  for (const name of weights.tensors.keys()) {
    const n = pattern.exec(name)?.[1];
    if (n !== undefined) layers = Math.max(layers, Number(n) + 1);
  }
  if (layers === 0) {
    const tensor = `${o.prefix}transformer.resblocks.0.ln_1.weight`;
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
async function readLinear(weights: WeightsFile, o: { prefix: string; in: number; out: number }): Promise<LinearWeights> {
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
}

export function clipGraph(g: OnnxGraph): ClipGraph {
  const scalars = new Map<string, string>();
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
  };
}

function linear(c: ClipGraph, x: string, o: { name: string; w: LinearWeights; inOut: [number, number] }): string {
  const w = c.g.addInitializer(`${o.name}.weight_t`, o.inOut, o.w.weight);
  const b = c.g.addInitializer(`${o.name}.bias`, [o.inOut[1]], o.w.bias);
  c.g.addNode('MatMul', [x, w], [`${o.name}.mm`]);
  c.g.addNode('Add', [`${o.name}.mm`, b], [`${o.name}.out`]);
  return `${o.name}.out`;
}

/** `LayerNorm` over the last axis (open_clip's `LayerNorm` casts to the input's dtype: fp32 here). */
export function layerNorm(c: ClipGraph, x: string, o: { name: string; w: LayerNormWeights; width: number }): string {
  const scale = c.g.addInitializer(`${o.name}.weight`, [o.width], o.w.scale);
  const bias = c.g.addInitializer(`${o.name}.bias`, [o.width], o.w.bias);
  c.g.addNode('LayerNormalization', [x, scale, bias], [`${o.name}.out`], {
    attributes: [attr.int('axis', -1), attr.float('epsilon', CLIP_LAYER_NORM_EPS)],
  });
  return `${o.name}.out`;
}

function activation(c: ClipGraph, x: string, o: { name: string; kind: ClipActivation }): string {
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
  w: ClipBlockWeights;
  width: number;
  heads: number;
  mlpWidth: number;
  activation: ClipActivation;
  /** The additive attention mask [L, L] (the text tower's causal one); none for the image tower. */
  mask: string | undefined;
  /** Reshape targets: [0, 0, heads, headSize] and [0, 0, width]. */
  splitShape: string;
  mergeShape: string;
}

/**
 * `ResidualAttentionBlock.forward` (pre-LN, no layer scale for DFN5B):
 * x + attn(ln_1(x)), then x + mlp(ln_2(x)), with `Attention.forward`'s self-attention path:
 * q, k, v from the fused in_proj, heads split as reshape(N, L, H, D).transpose(1, 2),
 * softmax(q·scale · kᵀ (+ mask)) · v, heads merged back, out_proj.
 */
function block(c: ClipGraph, x: string, o: BlockOptions): string {
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
  let logits = `${n}.attn.logits`;
  if (o.mask !== undefined) {
    c.g.addNode('Add', [logits, o.mask], [`${n}.attn.masked`]);
    logits = `${n}.attn.masked`;
  }
  c.g.addNode('Softmax', [logits], [`${n}.attn.probs`], { attributes: [attr.int('axis', -1)] });
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

export interface ClipTransformerOptions {
  blocks: readonly ClipBlockWeights[];
  width: number;
  heads: number;
  mlpWidth: number;
  activation: ClipActivation;
  /** An additive mask [L, L] added to every block's attention logits (`Transformer.forward(x, attn_mask)`). */
  mask?: string;
}

/** `Transformer.forward`: x [B, L, width] through every block, in order; returns the last block's output. */
export function clipTransformer(c: ClipGraph, x: string, o: ClipTransformerOptions): string {
  const { width, heads } = o;
  const splitShape = c.g.addInitializer('shape.heads', [4], new BigInt64Array([0n, 0n, BigInt(heads), BigInt(width / heads)]));
  const mergeShape = c.g.addInitializer('shape.merge', [3], new BigInt64Array([0n, 0n, BigInt(width)]));
  let y = x;
  for (const [i, w] of o.blocks.entries()) {
    const { mlpWidth, activation, mask } = o;
    y = block(c, y, { name: `transformer.resblocks.${i}`, w, width, heads, mlpWidth, activation, mask, splitShape, mergeShape });
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
