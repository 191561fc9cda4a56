/**
 * @module HunyuanVideo-Foley's DAC-VAE checkpoint (`vae_128d_48k.pth`) read for its decoder: where
 * the state dict sits (under `state_dict.` in the original `{state_dict, metadata}` file that
 * audiotools' `BaseModel.save(..., package=False)` writes, or at the top of a bare state dict), the
 * decoder's sizes read off its tensors, the constructor kwargs of `metadata` checked against them,
 * and the tensor table of a decoder for writing stand-ins. Weight norm and the tensor reads are the
 * shared reader's (src/convert/snake-conv.ts). Encoder, quantizer and `quant_conv` tensors are
 * never read.
 *
 * What the tensors carry (upstream `hunyuanvideo_foley/models/dac_vae/model/dac.py`, `Decoder`):
 * latent_dim and decoder_dim (`decoder.model.0`: `[decoder_dim, latent_dim, 7]`), the number of
 * `DecoderBlock`s (`decoder.model.1 … n`), each block's stride (its `WNConvTranspose1d` kernel is
 * `2 · stride`) and width (`decoder_dim / 2^(i+1)`, its out channels), d_out (the last conv's out
 * channels), and whether the VAE is continuous (`post_quant_conv` present: `DAC.decode` applies it
 * first). What they do not carry, from upstream's code: the residual units' dilations 1, 3, 9 and
 * every padding (`ceil(stride / 2)` and `output_padding = stride % 2` for the transposed convs,
 * "same" for the others). The sample rate is not in any tensor either: `metadata.kwargs.sample_rate`
 * when the file has it, else {@link DAC_VAE_DEFAULT_SAMPLE_RATE}.
 */
import type { WeightsFile, WeightsScalar } from '../../models/weights/index.js';
import { WeightNormStateDict, weightsError } from '../snake-conv.js';

const WHAT = 'DAC-VAE checkpoint';

export function dacVaeCheckpointError(message: string, tensor?: string) {
  return weightsError(WHAT, message, tensor);
}

/** `ResidualUnit`'s dilated conv and the decoder's first and last convs: kernel 7 in upstream's code. */
export const DAC_KERNEL = 7;
/** The three `ResidualUnit`s of every `DecoderBlock` (upstream's code, not the checkpoint). */
export const DAC_DILATIONS: readonly number[] = [1, 3, 9];
/**
 * HunyuanVideo-Foley's VAE decodes to 48 kHz (`vae_128d_48k`; hop 8·5·4·3·2 = 960, 50 latent frames a
 * second): the rate when the file has no `metadata.kwargs.sample_rate` (a bare state dict).
 */
export const DAC_VAE_DEFAULT_SAMPLE_RATE = 48_000;

/** The decoder's sizes, as read off a checkpoint (and what {@link dacVaeTensorShapes} writes). */
export interface DacVaeDims {
  /** Latent channels (HunyuanVideo-Foley: 128). */
  latentDim: number;
  /** `decoder_dim`: channels after the first conv, halved by each block. */
  channels: number;
  /** Each `DecoderBlock`'s stride, in order (their product is the hop). */
  rates: readonly number[];
  /** `d_out`: audio channels (1). */
  outChannels: number;
  /** `post_quant_conv` (a 1×1 conv on z) runs before the decoder. */
  continuous: boolean;
  /** Output samples a second: from the checkpoint's metadata, else the default (not used by the graph). */
  sampleRate: number;
}

/** Output samples per latent frame: the product of the strides (960 for the 48 kHz VAE). */
export function dacVaeHop(dims: Pick<DacVaeDims, 'rates'>): number {
  return dims.rates.reduce((a, b) => a * b, 1);
}

/** The decoder's tensors in a DAC-VAE file, under `state_dict.` when it is the original wrapped file. */
export class DacVaeStateDict extends WeightNormStateDict {
  readonly metadata: ReadonlyMap<string, WeightsScalar>;

  constructor(file: WeightsFile) {
    const wrapped = [...file.tensors.keys()].some((k) => k.startsWith('state_dict.'));
    super(file, { what: WHAT, prefix: wrapped ? 'state_dict.' : '' });
    this.metadata = file.metadata;
  }

  /** A constructor kwarg as `BaseModel.save` stores it (`metadata.kwargs.<key>`, lists as `.0`, `.1` …), or undefined. */
  kwarg(key: string): WeightsScalar | readonly WeightsScalar[] | undefined {
    const name = `metadata.kwargs.${key}`;
    if (this.metadata.has(name)) return this.metadata.get(name);
    const list: WeightsScalar[] = [];
    while (this.metadata.has(`${name}.${list.length}`)) list.push(this.metadata.get(`${name}.${list.length}`)!);
    return list.length > 0 ? list : undefined;
  }
}

/** A kwarg the metadata gives must be what the tensors say, else the file is not what it claims. */
function agree(sd: DacVaeStateDict, key: string, fromTensors: unknown, tensor: string): void {
  const stored = sd.kwarg(key);
  // null is upstream's "derive it" (latent_dim = None in DAC's signature): nothing to compare.
  if (stored === undefined || stored === null || JSON.stringify(stored) === JSON.stringify(fromTensors)) return;
  throw dacVaeCheckpointError(
    `metadata.kwargs.${key} is ${JSON.stringify(stored)}, but the tensors say ${JSON.stringify(fromTensors)} ("${sd.key(tensor)}")`,
    sd.key(tensor),
  );
}

/**
 * Every size of the decoder, read off the tensors' shapes (nothing read yet), and checked against
 * the metadata's kwargs where the file has them. MODEL_LOAD_FAILED naming the tensor or the key.
 */
export function readDacVaeDims(sd: DacVaeStateDict): DacVaeDims {
  const [channels, latentDim] = sd.weightShape('decoder.model.0', [undefined, undefined, DAC_KERNEL]) as [number, number];
  const rates: number[] = [];
  let width = channels;
  for (let i = 1; sd.hasWeight(`decoder.model.${i}.block.1`); i++) {
    const up = `decoder.model.${i}.block.1`;
    const [, out, kernel] = sd.weightShape(up, [width, Math.floor(width / 2), undefined]) as [number, number, number];
    if (kernel % 2 !== 0 || kernel < 2) {
      const name = sd.key(sd.weightName(up));
      throw dacVaeCheckpointError(`tensor "${name}" has kernel ${kernel}; a DecoderBlock's is 2 · stride`, name);
    }
    rates.push(kernel / 2);
    width = out;
  }
  if (rates.length === 0) sd.weightShape('decoder.model.1.block.1'); // throws, naming the first block's missing conv
  const [outChannels] = sd.weightShape(`decoder.model.${rates.length + 2}`, [undefined, width, DAC_KERNEL]) as [number];
  const continuous = sd.hasWeight('post_quant_conv');
  agree(sd, 'latent_dim', latentDim, sd.weightName('decoder.model.0'));
  agree(sd, 'decoder_dim', channels, sd.weightName('decoder.model.0'));
  agree(sd, 'decoder_rates', rates, sd.weightName('decoder.model.1.block.1'));
  agree(sd, 'continuous', continuous, continuous ? sd.weightName('post_quant_conv') : 'post_quant_conv.weight');
  return { latentDim, channels, rates, outChannels, continuous, sampleRate: sampleRate(sd) };
}

/** `metadata.kwargs.sample_rate`, else the default: it only labels the output, the graph does not use it. */
function sampleRate(sd: DacVaeStateDict): number {
  const rate = sd.kwarg('sample_rate');
  if (rate === undefined) return DAC_VAE_DEFAULT_SAMPLE_RATE;
  if (typeof rate === 'number' && Number.isInteger(rate) && rate > 0) return rate;
  throw dacVaeCheckpointError(`metadata.kwargs.sample_rate is ${JSON.stringify(rate)}, expected a positive whole number`);
}

/**
 * Every tensor the converter reads, with its shape, as upstream's `DAC(..., continuous=True)` stores
 * them with torch.nn.utils.weight_norm (`weight_g` / `weight_v`, as `vae_128d_48k.pth`): for writing
 * random stand-ins. Keys of the bare state dict (the original file nests them under `state_dict.`);
 * the encoder, `quant_conv` and the metadata are not needed to decode and are left out.
 */
export function dacVaeTensorShapes(dims: Omit<DacVaeDims, 'sampleRate'>): Map<string, number[]> {
  const s = new Map<string, number[]>();
  const conv = (m: string, shape: [number, number, number], o: { transposed?: boolean } = {}) => {
    s.set(`${m}.bias`, [o.transposed ? shape[1] : shape[0]]);
    s.set(`${m}.weight_g`, [shape[0], 1, 1]);
    s.set(`${m}.weight_v`, shape);
  };
  const snake = (m: string, c: number) => s.set(`${m}.alpha`, [1, c, 1]);
  if (dims.continuous) {
    s.set('post_quant_conv.weight', [dims.latentDim, dims.latentDim, 1]);
    s.set('post_quant_conv.bias', [dims.latentDim]);
  }
  conv('decoder.model.0', [dims.channels, dims.latentDim, DAC_KERNEL]);
  let width = dims.channels;
  for (const [i, stride] of dims.rates.entries()) {
    const m = `decoder.model.${i + 1}.block`;
    const out = Math.floor(width / 2);
    snake(`${m}.0`, width);
    conv(`${m}.1`, [width, out, 2 * stride], { transposed: true });
    for (const j of DAC_DILATIONS.keys()) {
      snake(`${m}.${j + 2}.block.0`, out);
      conv(`${m}.${j + 2}.block.1`, [out, out, DAC_KERNEL]);
      snake(`${m}.${j + 2}.block.2`, out);
      conv(`${m}.${j + 2}.block.3`, [out, out, 1]);
    }
    width = out;
  }
  snake(`decoder.model.${dims.rates.length + 1}`, width);
  conv(`decoder.model.${dims.rates.length + 2}`, [dims.outChannels, width, DAC_KERNEL]);
  return s;
}
