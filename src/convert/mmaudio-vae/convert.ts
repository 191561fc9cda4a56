/**
 * @module MMAudio's VAE decoder (the EDM2-style 1-D U-Net of `mmaudio/ext/autoencoder/vae.py`,
 * `Decoder1D`) from its original weights to ONNX: latent z `[B, C_lat, T]` → the mel the vocoder
 * takes, `[B, n_mels, 2T]`, fp32, any batch and length. That mel is `VAE.decode(z)`: the decoder,
 * then `unnormalize` (`x · data_std + data_mean`, the buffers stored in the checkpoint), which is
 * what `AutoEncoderModule.decode` returns and `eval_utils.generate` hands to `vocode`. The latent
 * is channels-first: MMAudio's `FeaturesUtils.decode` transposes the DiT's `[B, T, C_lat]` before
 * calling it (and the DiT's own latent unnormalisation happens before that, outside the VAE).
 *
 *     conv_in → mid (res, attention, res) → clamp ±256
 *       → per level from the deepest: (res block [→ attention]) → clamp ±256, each; then a 2× upsample where stored
 *       → mp_silu → conv_out (weight · (learnable_gain + 1)) → · data_std + data_mean
 *
 * Res block: x = pixel-norm(x); h = conv2(mp_silu(conv1(mp_silu(x)))); x = shortcut(x) when the
 * width changes; mp_sum(x, h, 0.3). Every width and kernel comes from the tensors, the structure
 * from their names (see weights.ts `decoderLevels`); what neither carries is the table below.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { createOnnxGraph, graphMetadata } from '../onnx-graph.js';
import { attention, clamp, conv, type GraphContext, graphContext, MP_SUM_T, mpSilu, mpSum, pixelNorm, repeatTwice } from './graph.js';
import { decoderLevels, type Tensor32, VaeStateDict, vaeCheckpointError } from './weights.js';

/** Bump whenever the emitted graph changes (for a cache key). */
export const MMAUDIO_VAE_CONVERTER_VERSION = 'mmaudio-vae-decoder/1';

export type MmaudioVaeVariant = '16k' | '44k';

/**
 * Upstream's `VAE_16k` / `VAE_44k` (vae.py): latent channels (embed_dim) and mel bins (data_dim),
 * checked against conv_in and conv_out; hidden_dim is for information (the tensors say it).
 * Not in any tensor, the same for both: clip_act 256, one attention head, mp_sum t 0.3.
 */
export const MMAUDIO_VAE_VARIANTS: Readonly<Record<MmaudioVaeVariant, { latent: number; mels: number; hidden: number }>> = {
  '16k': { latent: 20, mels: 80, hidden: 384 },
  '44k': { latent: 40, mels: 128, hidden: 512 },
};

/** `Decoder1D`'s clip_act: every block's output is clamped to ±256. */
export const CLIP_ACT = 256;

/** ONNX input and output names. */
export const MMAUDIO_VAE_IO = Object.freeze({ input: 'z', output: 'mel' });

export interface ConvertMmaudioVaeOptions {
  /** The VAE's checkpoint (`ext_weights/v1-16.pth` or `v1-44.pth`, or the same names as safetensors); encoder tensors are skipped. */
  weights: WeightsFile;
  variant: MmaudioVaeVariant;
  /** Stored in the model's metadata (where the weights came from). */
  source?: string;
}

interface Walk {
  c: GraphContext;
  sd: VaeStateDict;
}

async function mpConv(w: Walk, x: string, o: { module: string; spec: (number | undefined)[]; gain?: number }): Promise<string> {
  const weight = await w.sd.mpConv(o.module, o.spec, o.gain);
  return conv(w.c, x, { name: o.module, weight });
}

/** `ResnetBlock1D(in_dim, out_dim, use_norm=True)`; returns the output and its width. */
async function resBlock(w: Walk, x: string, o: { module: string; channels: number }): Promise<[string, number]> {
  const m = o.module;
  const [out] = w.sd.shape(`${m}.conv1.weight`, [undefined, o.channels, undefined]) as [number];
  const xn = pixelNorm(w.c, x, { name: `${m}.norm`, channels: o.channels });
  let h = mpSilu(w.c, xn, `${m}.act1`);
  h = await mpConv(w, h, { module: `${m}.conv1`, spec: [out, o.channels, undefined] });
  h = mpSilu(w.c, h, `${m}.act2`);
  h = await mpConv(w, h, { module: `${m}.conv2`, spec: [out, out, undefined] });
  let skip = xn;
  const shortcut = ['nin_shortcut', 'conv_shortcut'].find((s) => w.sd.has(`${m}.${s}.weight`));
  if (out !== o.channels) {
    const s = shortcut ?? 'nin_shortcut';
    skip = await mpConv(w, xn, { module: `${m}.${s}`, spec: [out, o.channels, s === 'nin_shortcut' ? 1 : undefined] });
  } else if (shortcut) {
    throw vaeCheckpointError(
      `tensor "${m}.${shortcut}.weight" is present, but the block keeps its width ${out}`,
      `${m}.${shortcut}.weight`,
    );
  }
  return [mpSum(w.c, skip, { name: `${m}.sum`, b: h, t: MP_SUM_T }), out];
}

/** qkv rows interleaved as upstream's reshape(B, 1, C, 3, L) reads them (row 3c + j is part j of channel c) → q rows, k rows, v rows. */
export function deinterleaveQkv(weight: Tensor32): Tensor32 {
  const [rows, ...rest] = weight.shape as [number, ...number[]];
  const C = rows / 3;
  const rowSize = weight.data.length / rows;
  const data = new Float32Array(weight.data.length);
  for (let c = 0; c < C; c++) {
    for (let j = 0; j < 3; j++) data.set(weight.data.subarray((3 * c + j) * rowSize, (3 * c + j + 1) * rowSize), (j * C + c) * rowSize);
  }
  return { data, shape: [rows, ...rest] };
}

/** `AttnBlock1D(channels)`: qkv (1×1) → one-head attention on pixel-normed q, k, v → proj_out (1×1) → mp_sum(x, ·, 0.3). */
async function attnBlock(w: Walk, x: string, o: { module: string; channels: number }): Promise<string> {
  const m = o.module;
  const C = o.channels;
  const qkvWeight = deinterleaveQkv(await w.sd.mpConv(`${m}.qkv`, [3 * C, C, 1]));
  const qkv = conv(w.c, x, { name: `${m}.qkv`, weight: qkvWeight });
  const ctx = attention(w.c, qkv, { name: `${m}.attn`, channels: C });
  const h = await mpConv(w, ctx, { module: `${m}.proj_out`, spec: [C, C, 1] });
  return mpSum(w.c, x, { name: `${m}.sum`, b: h, t: MP_SUM_T });
}

/** Everything of `Decoder1D.forward`, from z to conv_out's output; returns it and its width (n_mels). */
async function decoder(w: Walk, z: string, latent: number): Promise<[string, number]> {
  const levels = decoderLevels(w.sd);
  const [top] = w.sd.shape('decoder.conv_in.weight', [undefined, latent, undefined]) as [number];
  let x = await mpConv(w, z, { module: 'decoder.conv_in', spec: [top, latent, undefined] });
  let channels = top;
  [x, channels] = await resBlock(w, x, { module: 'decoder.mid.block_1', channels });
  x = await attnBlock(w, x, { module: 'decoder.mid.attn_1', channels });
  [x, channels] = await resBlock(w, x, { module: 'decoder.mid.block_2', channels });
  x = clamp(w.c, x, { name: 'decoder.mid.clamp', bound: CLIP_ACT });

  for (const level of [...levels].reverse()) {
    const up = `decoder.up.${level.index}`;
    for (let j = 0; j < level.blocks; j++) {
      [x, channels] = await resBlock(w, x, { module: `${up}.block.${j}`, channels });
      if (level.attn > 0) x = await attnBlock(w, x, { module: `${up}.attn.${j}`, channels });
      x = clamp(w.c, x, { name: `${up}.block.${j}.clamp`, bound: CLIP_ACT });
    }
    if (level.upsample) {
      x = repeatTwice(w.c, x, `${up}.upsample.repeat`);
      x = await mpConv(w, x, { module: `${up}.upsample.conv`, spec: [channels, channels, undefined] });
    }
  }

  x = mpSilu(w.c, x, 'decoder.act_out');
  const gain = await w.sd.tensor('decoder.learnable_gain', []);
  const [mels] = w.sd.shape('decoder.conv_out.weight', [undefined, channels, undefined]) as [number];
  x = await mpConv(w, x, { module: 'decoder.conv_out', spec: [mels, channels, undefined], gain: gain.data[0]! + 1 });
  return [x, mels];
}

/** `data_mean` or `data_std`: `[1, mels, 1]` as upstream's buffer (a flat `[mels]` is taken too). */
async function melStatistic(w: Walk, name: 'data_mean' | 'data_std', mels: number): Promise<string> {
  const rank3 = w.sd.has(name) && w.sd.shape(name).length === 3;
  const t = await w.sd.tensor(name, rank3 ? [1, mels, 1] : [mels]);
  return w.c.g.addInitializer(name, [1, mels, 1], t.data);
}

/**
 * The decoder as an ONNX model (opset 17, fp32): input `z` `[batch, C_lat, frames]`, output `mel`
 * `[batch, n_mels, frames · 2^upsamples]` (2T for MMAudio's VAEs). Rejects MODEL_LOAD_FAILED naming
 * the tensor (missing, wrong shape, a decoder tensor the walk does not account for) or the variant.
 */
export async function convertMmaudioVaeDecoder(o: ConvertMmaudioVaeOptions): Promise<Uint8Array> {
  const expected = MMAUDIO_VAE_VARIANTS[o.variant];
  if (!expected) throw vaeCheckpointError(`unknown variant "${String(o.variant)}" (16k or 44k)`);
  const graph = createOnnxGraph(`mmaudio_vae_decoder_${o.variant}`);
  const w: Walk = { c: graphContext(graph), sd: new VaeStateDict(o.weights) };
  graph.addInput(MMAUDIO_VAE_IO.input, ['batch', expected.latent, 'frames']);

  const [decoded, mels] = await decoder(w, MMAUDIO_VAE_IO.input, expected.latent);
  if (mels !== expected.mels) {
    throw vaeCheckpointError(
      `tensor "decoder.conv_out.weight" makes ${mels} mel bins; the ${o.variant} VAE has ${expected.mels}`,
      'decoder.conv_out.weight',
    );
  }
  // VAE.unnormalize: x · data_std + data_mean.
  const std = await melStatistic(w, 'data_std', mels);
  const mean = await melStatistic(w, 'data_mean', mels);
  graph.addNode('Mul', [decoded, std], ['unnormalize.scaled']);
  graph.addNode('Add', ['unnormalize.scaled', mean], [MMAUDIO_VAE_IO.output]);
  const factor = 2 ** decoderLevels(w.sd).filter((l) => l.upsample).length;
  graph.addOutput(MMAUDIO_VAE_IO.output, ['batch', mels, `frames*${factor}`]);

  const left = w.sd.unused('decoder.');
  if (left.length > 0) {
    const more = left.length > 3 ? ` and ${left.length - 3} more` : '';
    throw vaeCheckpointError(`decoder tensors the structure does not account for: ${left.slice(0, 3).join(', ')}${more}`, left[0]);
  }
  return graph.encode({
    producerName: 'foley-worker',
    producerVersion: MMAUDIO_VAE_CONVERTER_VERSION,
    docString: `MMAudio VAE decoder ${o.variant}: z [batch, ${expected.latent}, frames] → mel [batch, ${mels}, frames · ${factor}]`,
    metadata: graphMetadata(o.source, {
      variant: o.variant,
      latent_channels: expected.latent,
      n_mels: mels,
      upsample: factor,
      converter: MMAUDIO_VAE_CONVERTER_VERSION,
    }),
  });
}
