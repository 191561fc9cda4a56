/**
 * @module A BigVGAN state dict read through {@link WeightsFile}: tensors as float32 with their
 * shapes checked before a byte is read, conv weights with weight norm folded, and a record of
 * what was used so that anything left over (a config that does not match the file) is refused,
 * as upstream's strict `load_state_dict` would.
 *
 * Weight norm, `w = g · v / ‖v‖` with the norm over every dimension but `dim` (upstream: dim 0, so
 * per output channel of a Conv1d `[out, in, k]` and per input channel of a ConvTranspose1d
 * `[in, out, k]`), is found in any of the three ways a checkpoint carries it: `weight_g`/`weight_v`
 * (torch.nn.utils.weight_norm, NVIDIA's BigVGAN-v2 file), `parametrizations.weight.original0/1`
 * (torch.nn.utils.parametrizations.weight_norm, what upstream's `state_dict()` gives today), or a
 * plain `weight` (weight norm already removed).
 */
import { WorkerError } from '../../errors.js';
import { type TensorInfo, toFloat32, type WeightsFile } from '../../models/weights/index.js';
import type { BigVganConfig } from './config.js';

/** A float32 tensor in C order. */
export interface Tensor32 {
  data: Float32Array;
  shape: readonly number[];
}

/** An expected shape: a number must match, `undefined` takes whatever the file has. */
export type ShapeSpec = readonly (number | undefined)[];

export function checkpointError(message: string, tensor?: string): WorkerError {
  return new WorkerError('MODEL_LOAD_FAILED', `BigVGAN checkpoint: ${message}`, { details: tensor === undefined ? {} : { tensor } });
}

const show = (shape: readonly (number | undefined)[]): string => `[${shape.map((d) => d ?? '?').join(',')}]`;

/** The three stored forms of a weight-normed `weight`, by the names they use. */
const G_V_FORMS: readonly (readonly [string, string])[] = [
  ['weight_g', 'weight_v'],
  ['parametrizations.weight.original0', 'parametrizations.weight.original1'],
];

export class StateDict {
  readonly #file: WeightsFile;
  readonly #prefix: string;
  readonly #used = new Set<string>();

  /** Keys under `generator.` when the file has them there (torch.save({'generator': …})), else at the top. */
  constructor(file: WeightsFile) {
    this.#file = file;
    this.#prefix = [...file.tensors.keys()].some((k) => k.startsWith('generator.')) ? 'generator.' : '';
  }

  /** The full name in the file (what errors show). */
  key(name: string): string {
    return this.#prefix + name;
  }

  has(name: string): boolean {
    return this.#file.tensors.has(this.key(name));
  }

  #info(name: string): TensorInfo {
    const info = this.#file.tensors.get(this.key(name));
    if (!info) throw checkpointError(`tensor "${this.key(name)}" is missing`, this.key(name));
    return info;
  }

  /** A tensor's shape without reading it; MODEL_LOAD_FAILED naming it when missing or not `spec`. */
  shape(name: string, spec?: ShapeSpec): readonly number[] {
    const { shape } = this.#info(name);
    if (spec && (shape.length !== spec.length || spec.some((d, i) => d !== undefined && d !== shape[i]))) {
      throw checkpointError(`tensor "${this.key(name)}" has shape ${show(shape)}, expected ${show(spec)}`, this.key(name));
    }
    return shape;
  }

  /** A float tensor as float32, its shape checked first. */
  async tensor(name: string, spec?: ShapeSpec): Promise<Tensor32> {
    const shape = this.shape(name, spec);
    const { dtype } = this.#info(name);
    if (dtype === 'int64') throw checkpointError(`tensor "${this.key(name)}" is int64, expected a float type`, this.key(name));
    this.#used.add(this.key(name));
    return { data: toFloat32(dtype, await this.#file.read(this.key(name))), shape };
  }

  /** The shape of a module's `weight`, whichever form it is stored in. */
  weightShape(module: string, spec?: ShapeSpec): readonly number[] {
    if (this.has(`${module}.weight`)) return this.shape(`${module}.weight`, spec);
    for (const [, v] of G_V_FORMS) if (this.has(`${module}.${v}`)) return this.shape(`${module}.${v}`, spec);
    throw this.#missingWeight(module);
  }

  #missingWeight(module: string) {
    const name = this.key(`${module}.weight`);
    return checkpointError(`tensor "${name}" is missing (nor weight_g/weight_v, nor parametrizations.weight.original0/1)`, name);
  }

  /** A module's `weight`, weight norm folded when stored as g and v. */
  async weight(module: string, spec?: ShapeSpec): Promise<Tensor32> {
    if (this.has(`${module}.weight`)) return this.tensor(`${module}.weight`, spec);
    for (const [g, v] of G_V_FORMS) {
      if (!this.has(`${module}.${v}`)) continue;
      const vt = await this.tensor(`${module}.${v}`, spec);
      const gt = await this.tensor(`${module}.${g}`);
      return { data: foldWeightNorm(gt, vt, this.key(`${module}.${g}`)), shape: vt.shape };
    }
    throw this.#missingWeight(module);
  }

  /** Tensors of the file no conversion step read (upstream's "unexpected keys"). Filter buffers count as read when checked. */
  unused(): string[] {
    return [...this.#file.tensors.keys()].filter((k) => k.startsWith(this.#prefix) && !this.#used.has(k));
  }
}

/**
 * w = g · v / ‖v‖₂, the norm taken over every dimension except the one g keeps (g's shape is v's
 * with every other dimension 1; a g of one value means the norm of all of v). Norms in float64,
 * `g/‖v‖` rounded to float32 and then multiplied, as torch's `v * (g / norm_except_dim(v))`.
 */
export function foldWeightNorm(g: Tensor32, v: Tensor32, gName: string): Float32Array {
  const rank = v.shape.length;
  let dim = -1;
  if (g.data.length !== 1 || v.shape[0] === 1) {
    dim = v.shape.findIndex((d, i) => g.shape.length === rank && g.shape.every((gd, j) => (j === i ? gd === d : gd === 1)));
    if (dim < 0) throw checkpointError(`tensor "${gName}" has shape ${show(g.shape)}, which fits no dimension of ${show(v.shape)}`, gName);
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

/**
 * Every tensor of a BigVGAN generator state dict for `config`, with its shape, as upstream's
 * `BigVGAN` builds it (stage i: `upsample_initial_channel / 2^(i+1)` channels): weight norm stored
 * as `weight_g` / `weight_v` (NVIDIA's files), the filter buffers included (`filterTaps` each). For
 * writing stand-in checkpoints (bench/mmaudio-stand-ins.ts); keys without the `generator.` wrapper.
 */
export function bigVganTensorShapes(config: BigVganConfig, o: { filterTaps: number }): Map<string, number[]> {
  const s = new Map<string, number[]>();
  const conv = (m: string, shape: [number, number, number], bias = true) => {
    s.set(`${m}.weight_g`, [shape[0], 1, 1]);
    s.set(`${m}.weight_v`, shape);
    if (bias) s.set(`${m}.bias`, [m.startsWith('ups.') ? shape[1] : shape[0]]);
  };
  const act = (m: string, channels: number) => {
    s.set(`${m}.act.alpha`, [channels]);
    if (config.activation === 'snakebeta') s.set(`${m}.act.beta`, [channels]);
    s.set(`${m}.upsample.filter`, [1, 1, o.filterTaps]);
    s.set(`${m}.downsample.lowpass.filter`, [1, 1, o.filterTaps]);
  };
  const initial = config.upsampleInitialChannel;
  conv('conv_pre', [initial, config.numMels, 7]);
  let channels = initial;
  const kernels = config.resblockKernelSizes;
  for (const [i, k] of config.upsampleKernelSizes.entries()) {
    const out = Math.floor(initial / 2 ** (i + 1));
    conv(`ups.${i}.0`, [channels, out, k]);
    channels = out;
  }
  for (const i of config.upsampleRates.keys()) {
    const c = Math.floor(initial / 2 ** (i + 1));
    for (const [j, k] of kernels.entries()) {
      const m = `resblocks.${i * kernels.length + j}`;
      const dilations = config.resblockDilationSizes[j]!;
      for (const l of dilations.keys()) {
        if (config.resblock === '1') {
          conv(`${m}.convs1.${l}`, [c, c, k]);
          conv(`${m}.convs2.${l}`, [c, c, k]);
        } else {
          conv(`${m}.convs.${l}`, [c, c, k]);
        }
      }
      const acts = config.resblock === '1' ? 2 * dilations.length : dilations.length;
      for (let a = 0; a < acts; a++) act(`${m}.activations.${a}`, c);
    }
  }
  act('activation_post', channels);
  conv('conv_post', [1, channels, 7], config.useBiasAtFinal);
  return s;
}
