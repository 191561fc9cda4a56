/**
 * @module BigVGAN generator (PyTorch state dict) → ONNX, for MMAudio's two vocoders: v1 16 kHz
 * (Make-An-Audio 2's, `best_netG.pt`, mel `[B,80,F]` → wav `[B,1,256·F]`) and BigVGAN-v2 44 kHz
 * (`nvidia/bigvgan_v2_44khz_128band_512x`, mel `[B,128,F]` → wav `[B,1,512·F]`). The maths is
 * upstream's (`mmaudio/ext/bigvgan/models.py`, `mmaudio/ext/bigvgan_v2/bigvgan.py`):
 *
 *     conv_pre (k 7) → per stage i: ConvTranspose1d(rate u_i, kernel k_i, padding (k_i − u_i)/2)
 *       → mean over the stage's AMP blocks (one per resblock kernel size) → anti-aliased snake
 *       → conv_post (k 7, 1 channel) → tanh, or clamp to [-1, 1] (v2 with use_tanh_at_final false)
 *
 * AMPBlock1 per dilation d: x += conv(k, 1)(act(conv(k, d)(act(x)))); AMPBlock2: x += conv(k, d)(act(x)).
 * Every size comes from the tensors and is checked against the config (what the weights cannot say:
 * rates, kernel sizes where they are not in a shape, dilations, activation kind, log-scale, v2's
 * final switches). Anything missing, mis-shaped or left over is MODEL_LOAD_FAILED naming the tensor.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { createOnnxGraph } from '../onnx-graph.js';
import { BIGVGAN_V1_16K_CONFIG, type BigVganConfig } from './config.js';
import { ALIAS_FREE, resampleFilter } from './filter.js';
import { add, antiAliasedSnake, conv1d, convTranspose1d, divide, finalActivation, type GraphContext, graphContext } from './graph.js';
import { checkpointError, StateDict } from './weights.js';

/** Bump whenever the emitted graph changes (for a cache key). */
export const BIGVGAN_CONVERTER_VERSION = 'bigvgan-onnx/1';

export type BigVganVariant = 'v1-16k' | 'v2-44k';

export interface ConvertBigVganOptions {
  /** The generator's weights (`torch.save({'generator': state_dict})`, or the bare state dict as safetensors). */
  weights: WeightsFile;
  /**
   * v1: MMAudio's 16 kHz vocoder, whose code has no final-layer switches (always bias and tanh).
   * v2: BigVGAN-v2, whose config.json says `use_bias_at_final` / `use_tanh_at_final`.
   */
  variant: BigVganVariant;
  /**
   * The hyperparameters: `parseBigVganConfig` of the config.json shipped with the weights.
   * Required for v2; v1 defaults to MMAudio's table ({@link BIGVGAN_V1_16K_CONFIG}).
   */
  config?: BigVganConfig;
}

/** Output samples per mel frame: the product of the upsample rates (256 for v1 16k, 512 for v2 44k 512x). */
export function bigVganHop(config: Pick<BigVganConfig, 'upsampleRates'>): number {
  return config.upsampleRates.reduce((a, b) => a * b, 1);
}

/** ONNX input and output names. */
export const BIGVGAN_IO = Object.freeze({ input: 'mel', output: 'wav' });

const EDGE_KERNEL = 7;

interface Walk {
  ctx: GraphContext;
  sd: StateDict;
  config: BigVganConfig;
}

/** `${prefix}.bias` of `[channels]`, or undefined when the module has none and none is expected. */
async function bias(w: Walk, module: string, channels: number, expected = true) {
  const name = `${module}.bias`;
  if (!expected) {
    if (w.sd.has(name))
      throw checkpointError(`tensor "${w.sd.key(name)}" is present, but the config says use_bias_at_final: false`, w.sd.key(name));
    return undefined;
  }
  return w.sd.tensor(name, [channels]);
}

/** A filter buffer the checkpoint carries must be the one we build, else upstream would run another filter than ours. */
async function checkFilter(w: Walk, name: string): Promise<void> {
  if (!w.sd.has(name)) return;
  const stored = await w.sd.tensor(name, [1, 1, ALIAS_FREE.kernelSize]);
  const ours = resampleFilter(ALIAS_FREE.ratio, ALIAS_FREE.kernelSize);
  const worst = stored.data.reduce((m, v, i) => Math.max(m, Math.abs(v - ours[i]!)), 0);
  if (!(worst <= 1e-6)) {
    throw checkpointError(
      `tensor "${w.sd.key(name)}" differs from the Kaiser-sinc filter the config implies (by ${worst})`,
      w.sd.key(name),
    );
  }
}

/** An Activation1d of `channels` at `module` (its `act.alpha`, `act.beta` for snakebeta, and optional filter buffers). */
async function activation(w: Walk, module: string, x: string, channels: number): Promise<string> {
  const alpha = await w.sd.tensor(`${module}.act.alpha`, [channels]);
  const beta = w.config.activation === 'snakebeta' ? await w.sd.tensor(`${module}.act.beta`, [channels]) : undefined;
  await checkFilter(w, `${module}.upsample.filter`);
  await checkFilter(w, `${module}.downsample.lowpass.filter`);
  return antiAliasedSnake(w.ctx, x, { name: module, alpha, ...(beta ? { beta } : {}), logscale: w.config.snakeLogscale });
}

/** A weight-normed Conv1d `[channels, channels, k]` with dilation d and "same" padding. */
async function sameConv(w: Walk, module: string, x: string, o: { channels: number; kernel: number; dilation: number }): Promise<string> {
  const weight = await w.sd.weight(module, [o.channels, o.channels, o.kernel]);
  const b = await bias(w, module, o.channels);
  return conv1d(w.ctx, x, { name: module, weight, bias: b, dilation: o.dilation, padding: (o.kernel * o.dilation - o.dilation) / 2 });
}

/** AMPBlock1 or AMPBlock2 at `resblocks.<index>`. */
async function ampBlock(w: Walk, x: string, o: { index: number; channels: number; kernel: number; dilations: readonly number[] }) {
  const m = `resblocks.${o.index}`;
  const { channels, kernel } = o;
  let h = x;
  for (const [l, d] of o.dilations.entries()) {
    let t: string;
    if (w.config.resblock === '1') {
      // activations[::2] go before convs1, activations[1::2] before convs2.
      t = await activation(w, `${m}.activations.${2 * l}`, h, channels);
      t = await sameConv(w, `${m}.convs1.${l}`, t, { channels, kernel, dilation: d });
      t = await activation(w, `${m}.activations.${2 * l + 1}`, t, channels);
      t = await sameConv(w, `${m}.convs2.${l}`, t, { channels, kernel, dilation: 1 });
    } else {
      t = await activation(w, `${m}.activations.${l}`, h, channels);
      t = await sameConv(w, `${m}.convs.${l}`, t, { channels, kernel, dilation: d });
    }
    h = add(w.ctx, t, h);
  }
  return h;
}

/**
 * The generator as an ONNX model (opset 17, fp32): input `mel` `[batch, num_mels, frames]`, output
 * `wav` `[batch, 1, frames · hop]`. Rejects MODEL_LOAD_FAILED naming the tensor (missing, wrong
 * shape, unexpected) or the config key.
 */
export async function convertBigVgan(o: ConvertBigVganOptions): Promise<Uint8Array> {
  const given = o.config ?? (o.variant === 'v1-16k' ? BIGVGAN_V1_16K_CONFIG : undefined);
  if (!given) throw checkpointError('BigVGAN-v2 needs the config.json that ships with its weights');
  // v1's code has neither switch: a bias on conv_post and tanh, whatever a config file says.
  const sd = new StateDict(o.weights);
  // conv_pre and conv_post: kernel 7, padding 3 in both upstream versions. The width after conv_pre
  // is a size the tensors carry: read from them (a reduced network of v1's table converts too).
  const [initial, mels] = sd.weightShape('conv_pre', [undefined, given.numMels, EDGE_KERNEL]) as number[];
  const sized: BigVganConfig = { ...given, upsampleInitialChannel: initial! };
  const config: BigVganConfig = o.variant === 'v1-16k' ? { ...sized, useBiasAtFinal: true, useTanhAtFinal: true } : sized;
  const graph = createOnnxGraph(`bigvgan_${o.variant}`);
  const w: Walk = { ctx: graphContext(graph), sd, config };
  graph.addInput(BIGVGAN_IO.input, ['batch', mels!, 'frames']);
  let x = conv1d(w.ctx, BIGVGAN_IO.input, {
    name: 'conv_pre',
    weight: await sd.weight('conv_pre'),
    bias: await bias(w, 'conv_pre', initial!),
    padding: (EDGE_KERNEL - 1) / 2,
  });

  let channels = initial!;
  const kernels = config.resblockKernelSizes;
  for (const [i, rate] of config.upsampleRates.entries()) {
    const kernel = config.upsampleKernelSizes[i]!;
    const up = `ups.${i}.0`;
    const [, out] = sd.weightShape(up, [channels, undefined, kernel]);
    x = convTranspose1d(w.ctx, x, {
      name: up,
      weight: await sd.weight(up),
      bias: await bias(w, up, out!),
      stride: rate,
      padding: Math.floor((kernel - rate) / 2),
    });
    channels = out!;
    let sum: string | undefined;
    for (const [j, k] of kernels.entries()) {
      const dilations = config.resblockDilationSizes[j]!;
      const r = await ampBlock(w, x, { index: i * kernels.length + j, channels, kernel: k, dilations });
      sum = sum === undefined ? r : add(w.ctx, sum, r);
    }
    x = divide(w.ctx, sum!, kernels.length);
  }

  x = await activation(w, 'activation_post', x, channels);
  sd.weightShape('conv_post', [1, channels, EDGE_KERNEL]);
  x = conv1d(w.ctx, x, {
    name: 'conv_post',
    weight: await sd.weight('conv_post'),
    bias: await bias(w, 'conv_post', 1, config.useBiasAtFinal),
    padding: (EDGE_KERNEL - 1) / 2,
  });
  finalActivation(w.ctx, x, { tanh: config.useTanhAtFinal, output: BIGVGAN_IO.output });
  graph.addOutput(BIGVGAN_IO.output, ['batch', 1, 'samples']);

  const left = sd.unused();
  if (left.length > 0) {
    const more = left.length > 3 ? ` and ${left.length - 3} more` : '';
    throw checkpointError(`tensors the config does not account for: ${left.slice(0, 3).join(', ')}${more}`, left[0]);
  }
  const hop = bigVganHop(config);
  return graph.encode({
    producerName: 'foley-worker',
    producerVersion: BIGVGAN_CONVERTER_VERSION,
    docString: `BigVGAN ${o.variant}: mel [batch, ${mels}, frames] → wav [batch, 1, frames · ${hop}]`,
    metadata: { variant: o.variant, num_mels: String(mels), hop: String(hop), converter: BIGVGAN_CONVERTER_VERSION },
  });
}
