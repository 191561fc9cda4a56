/**
 * @module HunyuanVideo-Foley's DAC-VAE decoder (`vae_128d_48k.pth`, Descript's DAC as a continuous
 * VAE) from its original PyTorch weights to ONNX: latent z `[B, 128, frames]` (50 frames a second)
 * → audio `[B, 1, frames · 960]` at 48 kHz in [-1, 1], fp32, any batch and length. It is
 * `DAC.decode(z)` of upstream's `hunyuanvideo_foley/models/dac_vae/model/dac.py`, which
 * `utils/model_utils.py` `denoise_process` calls on the sampler's latents as they are: no latent
 * scaling or shift sits between the DiT and the VAE (the trim to the requested duration is the
 * caller's). Step by step, as upstream:
 *
 *     post_quant_conv (1×1, only when the VAE is continuous: `DAC.decode`)
 *       → decoder.model.0: WNConv1d(latent, C, 7, padding 3)                      (`Decoder`)
 *       → per DecoderBlock i (stride s, C_i → C_i / 2):                           (`DecoderBlock`)
 *           Snake1d → WNConvTranspose1d(kernel 2s, stride s, padding ⌈s/2⌉, output_padding s % 2)
 *           → ResidualUnit(dilation 1, 3, 9): x + conv1×1(snake(conv7,d(snake(x))))   (`ResidualUnit`)
 *       → Snake1d → WNConv1d(C_n, 1, 7, padding 3) → tanh
 *
 * Snake1d is `x + 1/(α + 1e-9) · sin²(αx)` (nn/layers.py `snake`); weight norm is folded into plain
 * weights (src/convert/snake-conv.ts). Sizes come from the tensors (weights.ts says which, and what
 * comes from upstream's code instead). Anything missing, mis-shaped, or a decoder tensor left over is
 * MODEL_LOAD_FAILED naming it.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { type ConvertedGraph, createOnnxGraph, EXTERNAL_DATA_FROM, encodeGraph, graphMetadata } from '../onnx-graph.js';
import { add, type ConvGraphContext, conv1d, convTranspose1d, snake } from '../snake-conv.js';
import {
  DAC_DILATIONS,
  DAC_KERNEL,
  type DacVaeDims,
  DacVaeStateDict,
  dacVaeCheckpointError,
  dacVaeHop,
  readDacVaeDims,
} from './weights.js';

/** Bump whenever the emitted graph changes (for a cache key). */
export const DAC_VAE_CONVERTER_VERSION = 'dac-vae-decoder/1';

/** ONNX input and output names. */
export const DAC_VAE_IO = Object.freeze({ input: 'z', output: 'wav' });

/** The data file's name beside the model, when the weights go external (the model refers to it by this name). */
export const DAC_VAE_DATA_LOCATION = 'dac_vae_decoder.onnx.data';

export interface ConvertDacVaeOptions {
  /**
   * The VAE's checkpoint: the original `{state_dict, metadata}` file, or a bare state dict (torch.save
   * or safetensors; fp32, fp16 or bf16). Only `decoder.*` and `post_quant_conv.*` are read.
   */
  weights: WeightsFile;
  /** Stored in the model's metadata (where the weights came from). */
  source?: string;
  /**
   * Where the weights go: `inline`, `external` (a data file to write beside the model under
   * `data.location`, {@link DAC_VAE_DATA_LOCATION}), or `auto`: external past
   * {@link EXTERNAL_DATA_FROM} (the real decoder's ~75 M parameters, ~0.3 GB, stay inline).
   * @default 'auto'
   */
  storage?: 'auto' | 'inline' | 'external';
}

export interface ConvertedDacVae extends ConvertedGraph {
  dims: DacVaeDims;
}

interface Walk {
  ctx: ConvGraphContext;
  sd: DacVaeStateDict;
}

/** A weight-normed Conv1d `[out, in, k]` with its bias, "same" padding for dilation d (every DAC conv but the transposed). */
async function wnConv(w: Walk, x: string, o: { module: string; spec: [number, number, number]; dilation?: number }): Promise<string> {
  const weight = await w.sd.weight(o.module, o.spec);
  const bias = await w.sd.tensor(`${o.module}.bias`, [o.spec[0]]);
  const dilation = o.dilation ?? 1;
  return conv1d(w.ctx, x, { name: o.module, weight, bias, dilation, padding: ((o.spec[2] - 1) * dilation) / 2 });
}

/** Snake1d at `module` over `channels` (its `alpha` is `[1, C, 1]`). */
async function snake1d(w: Walk, x: string, o: { module: string; channels: number }): Promise<string> {
  const alpha = await w.sd.tensor(`${o.module}.alpha`, [1, o.channels, 1]);
  return snake(w.ctx, x, { name: o.module, alpha, logscale: false });
}

/** `ResidualUnit(dim, dilation)`: its convs keep the length, so upstream's crop of x is never taken. */
async function residualUnit(w: Walk, x: string, o: { module: string; channels: number; dilation: number }): Promise<string> {
  const m = `${o.module}.block`;
  const c = o.channels;
  let y = await snake1d(w, x, { module: `${m}.0`, channels: c });
  y = await wnConv(w, y, { module: `${m}.1`, spec: [c, c, DAC_KERNEL], dilation: o.dilation });
  y = await snake1d(w, y, { module: `${m}.2`, channels: c });
  y = await wnConv(w, y, { module: `${m}.3`, spec: [c, c, 1] });
  return add(w.ctx, x, y);
}

/** `DecoderBlock(C, C / 2, stride)` at `decoder.model.<index>`. */
async function decoderBlock(w: Walk, x: string, o: { index: number; channels: number; stride: number }): Promise<string> {
  const m = `decoder.model.${o.index}.block`;
  const out = Math.floor(o.channels / 2);
  const s = o.stride;
  let h = await snake1d(w, x, { module: `${m}.0`, channels: o.channels });
  h = convTranspose1d(w.ctx, h, {
    name: `${m}.1`,
    weight: await w.sd.weight(`${m}.1`, [o.channels, out, 2 * s]),
    bias: await w.sd.tensor(`${m}.1.bias`, [out]),
    stride: s,
    // Upstream's padding and output_padding: the block's output is exactly s times its input.
    padding: Math.ceil(s / 2),
    outputPadding: s % 2,
  });
  for (const [j, dilation] of DAC_DILATIONS.entries()) {
    h = await residualUnit(w, h, { module: `${m}.${j + 2}`, channels: out, dilation });
  }
  return h;
}

/**
 * The decoder as an ONNX model (opset 17, fp32): input `z` `[batch, latent_dim, frames]`, output `wav`
 * `[batch, 1, frames · hop]` (hop 960 for the 48 kHz VAE). With `data`, write it beside the model under
 * `data.location` before ORT loads the model from its path. Rejects MODEL_LOAD_FAILED naming the tensor
 * (missing, wrong shape, a decoder tensor the walk does not account for) or the metadata key.
 */
export async function convertDacVaeDecoder(o: ConvertDacVaeOptions): Promise<ConvertedDacVae> {
  const sd = new DacVaeStateDict(o.weights);
  const dims = readDacVaeDims(sd);
  const graph = createOnnxGraph('dac_vae_decoder');
  const w: Walk = { ctx: { graph, counter: 0 }, sd };
  const { latentDim, channels } = dims;
  graph.addInput(DAC_VAE_IO.input, ['batch', latentDim, 'frames']);

  let x: string = DAC_VAE_IO.input;
  if (dims.continuous) {
    const weight = await sd.weight('post_quant_conv', [latentDim, latentDim, 1]);
    const bias = await sd.tensor('post_quant_conv.bias', [latentDim]);
    x = conv1d(w.ctx, x, { name: 'post_quant_conv', weight, bias, padding: 0 });
  }
  x = await wnConv(w, x, { module: 'decoder.model.0', spec: [channels, latentDim, DAC_KERNEL] });
  let width = channels;
  for (const [i, stride] of dims.rates.entries()) {
    x = await decoderBlock(w, x, { index: i + 1, channels: width, stride });
    width = Math.floor(width / 2);
  }
  const n = dims.rates.length;
  x = await snake1d(w, x, { module: `decoder.model.${n + 1}`, channels: width });
  x = await wnConv(w, x, { module: `decoder.model.${n + 2}`, spec: [dims.outChannels, width, DAC_KERNEL] });
  graph.addNode('Tanh', [x], [DAC_VAE_IO.output]);
  const hop = dacVaeHop(dims);
  graph.addOutput(DAC_VAE_IO.output, ['batch', dims.outChannels, `frames*${hop}`]);

  // Upstream loads with strict=False, but a decoder tensor we did not read means another structure than ours.
  const left = [...sd.unused('decoder.'), ...sd.unused('post_quant_conv.')];
  if (left.length > 0) {
    const more = left.length > 3 ? ` and ${left.length - 3} more` : '';
    throw dacVaeCheckpointError(`decoder tensors the structure does not account for: ${left.slice(0, 3).join(', ')}${more}`, left[0]);
  }
  const e = {
    producerName: 'foley-worker',
    producerVersion: DAC_VAE_CONVERTER_VERSION,
    docString: `DAC-VAE decoder: z [batch, ${latentDim}, frames] → wav [batch, ${dims.outChannels}, frames · ${hop}]`,
    metadata: graphMetadata(o.source, {
      latent_dim: latentDim,
      decoder_dim: channels,
      rates: dims.rates.join(','),
      hop,
      sample_rate: dims.sampleRate,
      continuous: dims.continuous,
      converter: DAC_VAE_CONVERTER_VERSION,
    }),
  };
  const encoded = encodeGraph(graph, { ...e, storage: o.storage, location: DAC_VAE_DATA_LOCATION });
  return { ...encoded, dims };
}
