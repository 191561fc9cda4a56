/**
 * @module MMAudio's VAE checkpoint (`ext_weights/v1-16.pth`, `v1-44.pth`: the bare state dict of
 * `mmaudio/ext/autoencoder/vae.py`'s `VAE`) read for its decoder: tensors as float32 with their
 * shapes checked before a byte is read, `MPConv1D` weights normalised as upstream's
 * `remove_weight_norm` does at load, and a record of what was read so that a `decoder.*` tensor
 * the walk did not account for is refused, as upstream's strict `load_state_dict` would. The
 * encoder's tensors are never read.
 */
import { WorkerError } from '../../errors.js';
import { type TensorInfo, toFloat32, type WeightsFile } from '../../models/weights/index.js';

/** A float32 tensor in C order. */
export interface Tensor32 {
  data: Float32Array;
  shape: readonly number[];
}

/** An expected shape: a number must match, `undefined` takes whatever the file has. */
export type ShapeSpec = readonly (number | undefined)[];

/** edm2's `normalize` eps (the weights' and the activations' pixel norm alike). */
export const MP_NORMALIZE_EPS = 1e-4;

export function vaeCheckpointError(message: string, tensor?: string): WorkerError {
  return new WorkerError('MODEL_LOAD_FAILED', `MMAudio VAE checkpoint: ${message}`, { details: tensor === undefined ? {} : { tensor } });
}

const show = (shape: readonly (number | undefined)[]): string => `[${shape.map((d) => d ?? '?').join(',')}]`;

/**
 * An `MPConv1D` weight `[out, in, k]` as the forward pass uses it after `remove_weight_norm`:
 * per output channel, `w / (eps + ‖w‖ · sqrt(1 / (in · k)))` (edm2's `normalize`: the norm scaled by
 * sqrt(norm elements / tensor elements)), then `/ sqrt(in · k)`, then `· gain` (the decoder's
 * `conv_out` runs with `gain = learnable_gain + 1`). Norms in float64, one rounding at the end.
 */
export function foldMpConvWeight(raw: Tensor32, gain = 1): Float32Array {
  const [out = 0] = raw.shape;
  const fanIn = out === 0 ? 0 : raw.data.length / out;
  const alpha = Math.sqrt(1 / fanIn);
  const w = new Float32Array(raw.data.length);
  for (let o = 0; o < out; o++) {
    const base = o * fanIn;
    let sum = 0;
    for (let i = 0; i < fanIn; i++) sum += raw.data[base + i]! ** 2;
    const scale = gain / ((MP_NORMALIZE_EPS + Math.sqrt(sum) * alpha) * Math.sqrt(fanIn));
    for (let i = 0; i < fanIn; i++) w[base + i] = raw.data[base + i]! * scale;
  }
  return w;
}

export class VaeStateDict {
  readonly #file: WeightsFile;
  readonly #used = new Set<string>();

  constructor(file: WeightsFile) {
    this.#file = file;
  }

  has(name: string): boolean {
    return this.#file.tensors.has(name);
  }

  /** Every tensor name in the file. */
  names(): string[] {
    return [...this.#file.tensors.keys()];
  }

  #info(name: string): TensorInfo {
    const info = this.#file.tensors.get(name);
    if (!info) throw vaeCheckpointError(`tensor "${name}" is missing`, name);
    return info;
  }

  /** A tensor's shape without reading it; MODEL_LOAD_FAILED naming it when missing or not `spec`. */
  shape(name: string, spec?: ShapeSpec): readonly number[] {
    const { shape } = this.#info(name);
    if (spec && (shape.length !== spec.length || spec.some((d, i) => d !== undefined && d !== shape[i]))) {
      throw vaeCheckpointError(`tensor "${name}" has shape ${show(shape)}, expected ${show(spec)}`, name);
    }
    return shape;
  }

  /** A float tensor as float32, its shape checked first. */
  async tensor(name: string, spec?: ShapeSpec): Promise<Tensor32> {
    const shape = this.shape(name, spec);
    const { dtype } = this.#info(name);
    if (dtype === 'int64') throw vaeCheckpointError(`tensor "${name}" is int64, expected a float type`, name);
    this.#used.add(name);
    return { data: toFloat32(dtype, await this.#file.read(name)), shape };
  }

  /** An `MPConv1D` at `module`: its raw `weight` `[out, in, k]` (k odd, "same" padding), folded. */
  async mpConv(module: string, spec: ShapeSpec, gain = 1): Promise<Tensor32> {
    const name = `${module}.weight`;
    const raw = await this.tensor(name, spec);
    if (raw.shape[2]! % 2 !== 1) throw vaeCheckpointError(`tensor "${name}" has an even kernel (${raw.shape[2]})`, name);
    return { data: foldMpConvWeight(raw, gain), shape: raw.shape };
  }

  /** Tensors under `prefix` that nothing read (upstream's "unexpected keys"). */
  unused(prefix: string): string[] {
    return this.names().filter((k) => k.startsWith(prefix) && !this.#used.has(k));
  }
}

/** One decoder level `decoder.up.<i>`: its res blocks, attention blocks (after block j) and 2× upsample, by name. */
export interface DecoderLevel {
  index: number;
  blocks: number;
  attn: number;
  upsample: boolean;
}

/** The indices `n` of names `${prefix}<n>.…`, as a count (0 … max), MODEL_LOAD_FAILED when one is skipped. */
function countIndexed(names: readonly string[], prefix: string): number {
  const seen = new Set<number>();
  for (const k of names) {
    if (!k.startsWith(prefix)) continue;
    const m = /^(\d+)\./.exec(k.slice(prefix.length));
    if (m) seen.add(Number(m[1]));
  }
  const count = seen.size === 0 ? 0 : Math.max(...seen) + 1;
  for (let i = 0; i < count; i++) {
    if (!seen.has(i)) throw vaeCheckpointError(`no tensor under "${prefix}${i}." though "${prefix}${count - 1}." exists`, `${prefix}${i}`);
  }
  return count;
}

/**
 * The decoder's structure from its tensor names: levels `decoder.up.<i>` (upstream: len(ch_mult) = 3),
 * res blocks per level (num_res_blocks + 1 = 3), attention blocks per level (none: upstream's
 * attn_layers [3] names a level that does not exist), and which level upsamples (`up.<i>.upsample`:
 * level 1, from down_layers [0] + 1; resamp_with_conv is always true).
 */
export function decoderLevels(sd: VaeStateDict): DecoderLevel[] {
  const names = sd.names();
  const count = countIndexed(names, 'decoder.up.');
  if (count === 0) throw vaeCheckpointError('tensor "decoder.up.0.block.0.conv1.weight" is missing', 'decoder.up.0.block.0.conv1.weight');
  return Array.from({ length: count }, (_, index) => {
    const up = `decoder.up.${index}`;
    const blocks = countIndexed(names, `${up}.block.`);
    if (blocks === 0) throw vaeCheckpointError(`tensor "${up}.block.0.conv1.weight" is missing`, `${up}.block.0.conv1.weight`);
    const attn = countIndexed(names, `${up}.attn.`);
    if (attn !== 0 && attn !== blocks) {
      throw vaeCheckpointError(`"${up}" has ${blocks} blocks but ${attn} attention blocks (upstream pairs them)`, `${up}.attn.${attn - 1}`);
    }
    return { index, blocks, attn, upsample: names.some((k) => k.startsWith(`${up}.upsample.`)) };
  });
}

/**
 * The tensors of upstream's VAE file that matter here, with their shapes, for a `VAE` of
 * `hidden` channels (`VAE_16k`: latent 20, mels 80, hidden 384; `VAE_44k`: 40, 128, 512): `data_mean`,
 * `data_std`, every `decoder.*` tensor (ch_mult (1, 2, 4), 3 res blocks per level, attention in the
 * middle only, a 2× upsample at level 1, kernel 3), and `encoder.conv_in.weight` standing in for the
 * encoder, which the converter skips. For writing stand-in checkpoints (bench/mmaudio-stand-ins.ts).
 */
export function mmaudioVaeTensorShapes(o: { latent: number; mels: number; hidden: number }): Map<string, number[]> {
  const h = o.hidden;
  const mult = [1, 2, 4];
  const top = h * mult.at(-1)!;
  const s = new Map<string, number[]>([
    ['data_mean', [1, o.mels, 1]],
    ['data_std', [1, o.mels, 1]],
    ['encoder.conv_in.weight', [h, o.mels, 3]],
    ['decoder.learnable_gain', []],
    ['decoder.conv_in.weight', [top, o.latent, 3]],
  ]);
  const res = (m: string, io: [number, number]) => {
    s.set(`${m}.conv1.weight`, [io[1], io[0], 3]);
    s.set(`${m}.conv2.weight`, [io[1], io[1], 3]);
    if (io[0] !== io[1]) s.set(`${m}.nin_shortcut.weight`, [io[1], io[0], 1]);
  };
  res('decoder.mid.block_1', [top, top]);
  s.set('decoder.mid.attn_1.qkv.weight', [3 * top, top, 1]);
  s.set('decoder.mid.attn_1.proj_out.weight', [top, top, 1]);
  res('decoder.mid.block_2', [top, top]);
  let channels = top;
  for (let level = mult.length - 1; level >= 0; level--) {
    const out = h * mult[level]!;
    for (let j = 0; j < 3; j++) {
      res(`decoder.up.${level}.block.${j}`, [channels, out]);
      channels = out;
    }
    if (level === 1) s.set(`decoder.up.${level}.upsample.conv.weight`, [out, out, 3]);
  }
  s.set('decoder.conv_out.weight', [o.mels, h, 3]);
  return s;
}
