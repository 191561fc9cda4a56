/**
 * @module What the Snake-activated, weight-normed 1-D conv networks share (BigVGAN, src/convert/bigvgan/;
 * Descript's DAC as HunyuanVideo-Foley's VAE, src/convert/dac-vae/): reading a state dict whose conv
 * weights carry weight norm, and the ONNX pieces their graphs are made of (Conv1d, ConvTranspose1d
 * with folded weights, Snake, a residual Add). Factored out of bigvgan/ so that both converters
 * fold weight norm and compute snake the same way, rather than two copies drifting apart.
 *
 * Weight norm, `w = g · v / ‖v‖` with the norm over every dimension but `dim` (upstream: dim 0, so
 * per output channel of a Conv1d `[out, in, k]` and per input channel of a ConvTranspose1d
 * `[in, out, k]`), is found in any of the three ways a checkpoint carries it: `weight_g`/`weight_v`
 * (torch.nn.utils.weight_norm: NVIDIA's BigVGAN-v2 file, HunyuanVideo-Foley's `vae_128d_48k.pth`),
 * `parametrizations.weight.original0/1` (torch.nn.utils.parametrizations.weight_norm, what
 * `state_dict()` gives under torch ≥ 2.1), or a plain `weight` (weight norm already removed).
 */
import { WorkerError } from '../errors.js';
import { type TensorInfo, toFloat32, type WeightsFile } from '../models/weights/index.js';
import { attr, type OnnxGraph } from './onnx-graph.js';

/** A float32 tensor in C order. */
export interface Tensor32 {
  data: Float32Array;
  shape: readonly number[];
}

/** An expected shape: a number must match, `undefined` takes whatever the file has. */
export type ShapeSpec = readonly (number | undefined)[];

/** MODEL_LOAD_FAILED led by `what` (e.g. "BigVGAN checkpoint"), naming the tensor in details when there is one. */
export function weightsError(what: string, message: string, tensor?: string): WorkerError {
  return new WorkerError('MODEL_LOAD_FAILED', `${what}: ${message}`, { details: tensor === undefined ? {} : { tensor } });
}

const show = (shape: readonly (number | undefined)[]): string => `[${shape.map((d) => d ?? '?').join(',')}]`;

/** The two stored forms of a weight-normed `weight` that keep g and v apart, by the names they use. */
const G_V_FORMS: readonly (readonly [string, string])[] = [
  ['weight_g', 'weight_v'],
  ['parametrizations.weight.original0', 'parametrizations.weight.original1'],
];

export interface WeightNormStateDictOptions {
  /** Leads every error: "BigVGAN checkpoint", "DAC-VAE checkpoint". */
  what: string;
  /** Where the state dict sits in the flattened file (`generator.`, `state_dict.`), or `''` at the top. */
  prefix: string;
}

/**
 * A state dict read through {@link WeightsFile}: tensors as float32 with their shapes checked before
 * a byte is read, conv weights with weight norm folded, and a record of what was read so that a
 * converter can refuse what it did not account for (as upstream's strict `load_state_dict` would).
 */
export class WeightNormStateDict {
  readonly #file: WeightsFile;
  readonly #used = new Set<string>();
  readonly what: string;
  readonly prefix: string;

  constructor(file: WeightsFile, o: WeightNormStateDictOptions) {
    this.#file = file;
    this.what = o.what;
    this.prefix = o.prefix;
  }

  /** The full name in the file (what errors show). */
  key(name: string): string {
    return this.prefix + name;
  }

  has(name: string): boolean {
    return this.#file.tensors.has(this.key(name));
  }

  /** MODEL_LOAD_FAILED led by this dict's `what`. */
  error(message: string, tensor?: string): WorkerError {
    return weightsError(this.what, message, tensor);
  }

  #info(name: string): TensorInfo {
    const info = this.#file.tensors.get(this.key(name));
    if (!info) throw this.error(`tensor "${this.key(name)}" is missing`, this.key(name));
    return info;
  }

  /** A tensor's shape without reading it; MODEL_LOAD_FAILED naming it when missing or not `spec`. */
  shape(name: string, spec?: ShapeSpec): readonly number[] {
    const { shape } = this.#info(name);
    if (spec && (shape.length !== spec.length || spec.some((d, i) => d !== undefined && d !== shape[i]))) {
      throw this.error(`tensor "${this.key(name)}" has shape ${show(shape)}, expected ${show(spec)}`, this.key(name));
    }
    return shape;
  }

  /** A float tensor as float32 (fp16 and bf16 widened), its shape checked first. */
  async tensor(name: string, spec?: ShapeSpec): Promise<Tensor32> {
    const shape = this.shape(name, spec);
    const { dtype } = this.#info(name);
    if (dtype === 'int64') throw this.error(`tensor "${this.key(name)}" is int64, expected a float type`, this.key(name));
    this.#used.add(this.key(name));
    return { data: toFloat32(dtype, await this.#file.read(this.key(name))), shape };
  }

  /** Whether the module has a `weight` in any of the three forms. */
  hasWeight(module: string): boolean {
    return this.has(`${module}.weight`) || G_V_FORMS.some(([, v]) => this.has(`${module}.${v}`));
  }

  /** The name a module's `weight` is stored under (its v when weight-normed), relative to the prefix. */
  weightName(module: string): string {
    if (this.has(`${module}.weight`)) return `${module}.weight`;
    for (const [, v] of G_V_FORMS) if (this.has(`${module}.${v}`)) return `${module}.${v}`;
    throw this.#missingWeight(module);
  }

  /** The shape of a module's `weight`, whichever form it is stored in. */
  weightShape(module: string, spec?: ShapeSpec): readonly number[] {
    return this.shape(this.weightName(module), spec);
  }

  #missingWeight(module: string) {
    const name = this.key(`${module}.weight`);
    return this.error(`tensor "${name}" is missing (nor weight_g/weight_v, nor parametrizations.weight.original0/1)`, name);
  }

  /** A module's `weight`, weight norm folded when stored as g and v. */
  async weight(module: string, spec?: ShapeSpec): Promise<Tensor32> {
    if (this.has(`${module}.weight`)) return this.tensor(`${module}.weight`, spec);
    for (const [g, v] of G_V_FORMS) {
      if (!this.has(`${module}.${v}`)) continue;
      const vt = await this.tensor(`${module}.${v}`, spec);
      const gt = await this.tensor(`${module}.${g}`);
      return { data: foldWeightNorm(gt, vt, this.key(`${module}.${g}`), this.what), shape: vt.shape };
    }
    throw this.#missingWeight(module);
  }

  /** Tensors under the prefix (and `under`, when given) that no conversion step read: upstream's "unexpected keys". */
  unused(under = ''): string[] {
    const from = this.prefix + under;
    return [...this.#file.tensors.keys()].filter((k) => k.startsWith(from) && !this.#used.has(k));
  }
}

/**
 * w = g · v / ‖v‖₂, the norm taken over every dimension except the one g keeps (g's shape is v's
 * with every other dimension 1; a g of one value means the norm of all of v). Norms in float64,
 * `g/‖v‖` rounded to float32 and then multiplied, as torch's `v * (g / norm_except_dim(v))`.
 * `what` leads the error when g fits no dimension of v.
 */
export function foldWeightNorm(g: Tensor32, v: Tensor32, gName: string, what = 'checkpoint'): Float32Array {
  const rank = v.shape.length;
  let dim = -1;
  if (g.data.length !== 1 || v.shape[0] === 1) {
    dim = v.shape.findIndex((d, i) => g.shape.length === rank && g.shape.every((gd, j) => (j === i ? gd === d : gd === 1)));
    if (dim < 0)
      throw weightsError(what, `tensor "${gName}" has shape ${show(g.shape)}, which fits no dimension of ${show(v.shape)}`, gName);
  }
  const outer = dim < 0 ? 1 : v.shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const size = dim < 0 ? 1 : v.shape[dim]!;
  const inner = dim < 0 ? v.data.length : v.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const sums = new Float64Array(size);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < size; c++) {
      const base = (o * size + c) * inner;
      for (let i = 0; i < inner; i++) sums[c]! += v.data[base + i]! ** 2;
    }
  }
  const scale = Float32Array.from(sums, (s, c) => g.data[c]! / Math.fround(Math.sqrt(s)));
  const w = new Float32Array(v.data.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < size; c++) {
      const base = (o * size + c) * inner;
      for (let i = 0; i < inner; i++) w[base + i] = v.data[base + i]! * scale[c]!;
    }
  }
  return w;
}

/** What the graph pieces need: the graph, and a counter for fresh intermediate names. */
export interface ConvGraphContext {
  graph: OnnxGraph;
  counter: number;
}

/** A name not used before in this graph: `<what>_<n>`. */
export function fresh(ctx: ConvGraphContext, what: string): string {
  ctx.counter += 1;
  return `${what}_${ctx.counter}`;
}

export interface ConvSpec {
  /** Initializer names are `<name>.weight` / `<name>.bias` (the state dict's module, so a graph reads like the checkpoint). */
  name: string;
  weight: Tensor32;
  bias?: Tensor32 | undefined;
  dilation?: number;
  padding: number;
}

/** torch Conv1d (stride 1): weight `[out, in, k]`, symmetric zero padding. */
export function conv1d(ctx: ConvGraphContext, x: string, spec: ConvSpec): string {
  const { graph } = ctx;
  const inputs = [x, graph.addInitializer(`${spec.name}.weight`, spec.weight.shape, spec.weight.data)];
  if (spec.bias) inputs.push(graph.addInitializer(`${spec.name}.bias`, spec.bias.shape, spec.bias.data));
  const y = fresh(ctx, spec.name);
  graph.addNode('Conv', inputs, [y], {
    attributes: [
      attr.ints('kernel_shape', [spec.weight.shape[2]!]),
      attr.ints('dilations', [spec.dilation ?? 1]),
      attr.ints('pads', [spec.padding, spec.padding]),
      attr.ints('strides', [1]),
    ],
  });
  return y;
}

/**
 * torch ConvTranspose1d: weight `[in, out, k]` (ONNX's layout too), stride, `padding` cropped from
 * both ends, and `outputPadding` samples added at the end (DAC's odd strides: `stride % 2`).
 */
export function convTranspose1d(ctx: ConvGraphContext, x: string, spec: ConvSpec & { stride: number; outputPadding?: number }): string {
  const { graph } = ctx;
  const inputs = [x, graph.addInitializer(`${spec.name}.weight`, spec.weight.shape, spec.weight.data)];
  if (spec.bias) inputs.push(graph.addInitializer(`${spec.name}.bias`, spec.bias.shape, spec.bias.data));
  const y = fresh(ctx, spec.name);
  graph.addNode('ConvTranspose', inputs, [y], {
    attributes: [
      attr.ints('kernel_shape', [spec.weight.shape[2]!]),
      attr.ints('strides', [spec.stride]),
      attr.ints('pads', [spec.padding, spec.padding]),
      // Only when set, so BigVGAN's graphs stay byte-for-byte what they were.
      ...(spec.outputPadding ? [attr.ints('output_padding', [spec.outputPadding])] : []),
    ],
  });
  return y;
}

/** Snake: x + 1/(α + 1e-9)·sin²(αx); SnakeBeta: x + 1/(β + 1e-9)·sin²(αx); log-scale parameters are exp'd first. */
export interface SnakeSpec {
  name: string;
  /** One value per channel (a `[1, C, 1]` or `[C]` tensor alike: only the data is used). */
  alpha: Tensor32;
  /** SnakeBeta's β; absent for Snake (the magnitude is α's). */
  beta?: Tensor32;
  logscale: boolean;
}

/**
 * α and 1/(β + 1e-9) as `[1, C, 1]` constants, rounded to float32 at each step as torch computes
 * them (exp, + 1e-9, reciprocal): only the elementwise part is left to the graph.
 */
function snakeConstants(spec: SnakeSpec): { a: Float32Array; inv: Float32Array } {
  const f = Math.fround;
  const lift = (v: number) => (spec.logscale ? f(Math.exp(v)) : v);
  const a = Float32Array.from(spec.alpha.data, lift);
  const magnitude = spec.beta ? Float32Array.from(spec.beta.data, lift) : a;
  const inv = Float32Array.from(magnitude, (m) => f(1 / f(m + 1e-9)));
  return { a, inv };
}

/** The snake itself on `[B, C, T]` (BigVGAN wraps it in anti-aliasing resampling; DAC's Snake1d is this alone). */
export function snake(ctx: ConvGraphContext, x: string, spec: SnakeSpec): string {
  const { graph } = ctx;
  const channels = spec.alpha.data.length;
  const { a, inv } = snakeConstants(spec);
  const alpha = graph.addInitializer(`${spec.name}.alpha`, [1, channels, 1], a);
  const scale = graph.addInitializer(`${spec.name}.inv_magnitude`, [1, channels, 1], inv);
  const [ax, s, s2, t, y] = ['ax', 'sin', 'sin2', 'scaled', 'out'].map((p) => fresh(ctx, `${spec.name}.${p}`)) as [
    string,
    string,
    string,
    string,
    string,
  ];
  graph.addNode('Mul', [x, alpha], [ax]);
  graph.addNode('Sin', [ax], [s]);
  graph.addNode('Mul', [s, s], [s2]);
  graph.addNode('Mul', [scale, s2], [t]);
  graph.addNode('Add', [x, t], [y]);
  return y;
}

/** `a + b` (a residual, or a sum in upstream's order). */
export function add(ctx: ConvGraphContext, a: string, b: string): string {
  const y = fresh(ctx, 'add');
  ctx.graph.addNode('Add', [a, b], [y]);
  return y;
}
