/**
 * DAC-VAE decoder → ONNX (src/convert/dac-vae/) against upstream PyTorch: a reduced-size DAC built
 * with HunyuanVideo-Foley's own class (the real 5 blocks and strides 8, 5, 4, 3, 2; fewer channels),
 * random weights in the original `{state_dict, metadata}` file (fp32) and as a bare bf16 state dict,
 * read by our weights reader, converted, run in ORT (CPU), and compared with the audio upstream's
 * `DAC.decode` made from the same latent (test/fixtures/dac-vae, scripts/fixtures/make-dac-vae-fixtures.py).
 * Every size is taken from the fixtures' case.json, so fixtures regenerated at other sizes pass.
 * Then damaged checkpoints: a missing tensor, a wrong shape, a left-over tensor, metadata that
 * contradicts the tensors: each MODEL_LOAD_FAILED naming what is wrong.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import {
  convertDacVaeDecoder,
  DAC_VAE_IO,
  DAC_VAE_CONVERTER_VERSION,
  dacVaeHop,
  dacVaeTensorShapes,
} from '../../src/convert/dac-vae/index.js';
import { createOrtRuntime, tensor } from '../../src/inference/ort.js';
import { openWeights, saveTorchStateDict, type WeightsFile } from '../../src/models/weights/index.js';
import { loadFailure, maxAbsDiff, readFloats, spiedWeights, type Tampering, tamperedWeights } from '../helpers/weights.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'dac-vae');
/**
 * Max abs error against upstream's audio (outputs in [-1, 1], std ≈ 0.44). Measured on x86-64, ORT
 * CPU: 4.1e-6 (fp32), 2.9e-6 (bf16), 2.2e-6 (decoder only), printed by each case; the bound leaves
 * ~5× for another CPU's sin and accumulation order. Larger decoders drift further (the fixtures'
 * README has a full-width run); that is for a real-weights check, not this one.
 */
const TOLERANCE = 2e-5;

const runtime = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });
const opened: WeightsFile[] = [];
const temps: string[] = [];
afterAll(async () => {
  await Promise.all(opened.map((w) => w.close()));
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

interface Case {
  batch: number;
  latent_dim: number;
  frames: number;
  hop: number;
  rates: number[];
  decoder_dim: number;
  sample_rate: number;
  dtype: string;
  layout: string;
}

async function open(path: string): Promise<WeightsFile> {
  const w = await openWeights(path);
  opened.push(w);
  return w;
}

async function fixture(name: 'fp32' | 'bf16') {
  const dir = join(FIXTURES, name);
  const meta = JSON.parse(await readFile(join(dir, 'case.json'), 'utf8')) as Case;
  return {
    meta,
    dir,
    weights: await open(join(dir, 'vae.pth')),
    z: await readFloats(join(dir, 'z.f32')),
    wav: await readFloats(join(dir, 'wav.f32')),
  };
}

/** The wrapped file's `state_dict.*` tensors written again as a bare state dict (no metadata), as another tool would save them. */
async function bareCopy(wrapped: WeightsFile): Promise<WeightsFile> {
  const dir = await mkdtemp(join(tmpdir(), 'dac-vae-'));
  temps.push(dir);
  const tensors = [];
  for (const [name, info] of wrapped.tensors) {
    if (!name.startsWith('state_dict.')) continue;
    tensors.push({ name: name.slice('state_dict.'.length), shape: info.shape, dtype: info.dtype, data: await wrapped.read(name) });
  }
  const path = join(dir, 'bare.pth');
  await saveTorchStateDict({ path, tensors });
  return open(path);
}

/** The decoder's audio for `z` `[batch, latent, frames]`. */
async function decode(model: Uint8Array, z: Float32Array, dims: readonly number[]) {
  const session = await runtime.createSession(model);
  try {
    const out = await session.run({ [DAC_VAE_IO.input]: tensor('float32', z, dims) });
    const y = out[DAC_VAE_IO.output]!;
    return { data: y.data as Float32Array, dims: y.dims };
  } finally {
    await session.release();
  }
}

const tampered = (file: WeightsFile, o: Tampering): WeightsFile =>
  tamperedWeights(file, { ...o, source: 'state_dict.decoder.model.0.bias' });

describe('DAC-VAE decoder → ONNX matches upstream PyTorch', () => {
  it.each(['fp32', 'bf16'] as const)('%s', async (name) => {
    const { meta, weights, z, wav } = await fixture(name);
    const { model, data, dims } = await convertDacVaeDecoder({ weights, source: `fixture ${name}` });
    expect(data).toBeUndefined();
    expect(dims).toEqual({
      latentDim: meta.latent_dim,
      channels: meta.decoder_dim,
      rates: meta.rates,
      outChannels: 1,
      continuous: true,
      sampleRate: meta.sample_rate,
    });
    expect(dacVaeHop(dims)).toBe(meta.hop);
    const y = await decode(model, z, [meta.batch, meta.latent_dim, meta.frames]);
    expect(y.dims).toEqual([meta.batch, 1, meta.frames * meta.hop]);
    const worst = maxAbsDiff(y.data, wav);
    console.log(`${name} (${meta.dtype}, ${meta.layout}): max abs error ${worst.toExponential(2)} over ${wav.length} samples`);
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });

  it('reads only the decoder and post_quant_conv: the encoder and quant_conv are skipped', async () => {
    const { weights } = await fixture('fp32');
    expect([...weights.tensors.keys()].some((k) => k.startsWith('state_dict.encoder.'))).toBe(true);
    const { file, reads } = spiedWeights(weights);
    await convertDacVaeDecoder({ weights: file });
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((n) => n.startsWith('state_dict.decoder.') || n.startsWith('state_dict.post_quant_conv.'))).toBe(true);
  });

  it('the wrapped {state_dict, metadata} file and the same tensors as a bare state dict make the same model', async () => {
    const { weights } = await fixture('fp32');
    const wrapped = await convertDacVaeDecoder({ weights });
    const bare = await convertDacVaeDecoder({ weights: await bareCopy(weights) });
    // The bare file has no metadata: its sample rate is the default, which is the fixture's (48 kHz).
    expect(bare.dims).toEqual(wrapped.dims);
    expect(Buffer.from(bare.model).equals(Buffer.from(wrapped.model))).toBe(true);
  });

  it('without post_quant_conv (a non-continuous DAC) z goes straight to the decoder', async () => {
    const { meta, dir, weights, z } = await fixture('fp32');
    const bare = await bareCopy(weights);
    const { file } = spiedWeights(bare, ['post_quant_conv.weight', 'post_quant_conv.bias']);
    const { model, dims } = await convertDacVaeDecoder({ weights: file });
    expect(dims.continuous).toBe(false);
    const y = await decode(model, z, [meta.batch, meta.latent_dim, meta.frames]);
    const worst = maxAbsDiff(y.data, await readFloats(join(dir, 'wav-decoder-only.f32')));
    console.log(`decoder only: max abs error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });

  it('takes any batch and length: wav is frames · hop samples; external data on request', async () => {
    const { meta, weights, z } = await fixture('bf16');
    const { model } = await convertDacVaeDecoder({ weights });
    for (const frames of [1, 3]) {
      const x = new Float32Array(meta.latent_dim * frames).map((_, i) => z[i % z.length]!);
      const y = await decode(model, x, [1, meta.latent_dim, frames]);
      expect(y.dims).toEqual([1, 1, frames * meta.hop]);
      expect(y.data.every((v) => Number.isFinite(v) && Math.abs(v) <= 1)).toBe(true);
    }
    const split = await convertDacVaeDecoder({ weights, storage: 'external', source: 'x' });
    expect(split.data?.location).toBe('dac_vae_decoder.onnx.data');
    expect(split.data!.byteLength).toBeGreaterThan(split.model.byteLength);
    expect(new TextDecoder().decode(model)).toContain(DAC_VAE_CONVERTER_VERSION);
  });

  it('dacVaeTensorShapes lists exactly the tensors a decoder of those sizes stores', async () => {
    const { weights } = await fixture('bf16');
    const { dims } = await convertDacVaeDecoder({ weights });
    const stored = new Map([...weights.tensors].map(([k, v]) => [k, [...v.shape]]));
    expect(dacVaeTensorShapes(dims)).toEqual(stored);
  });
});

describe('DAC-VAE checkpoints that do not fit are MODEL_LOAD_FAILED naming the tensor', () => {
  it('a missing tensor, and a missing weight-norm half', async () => {
    const { weights } = await fixture('fp32');
    const alpha = 'state_dict.decoder.model.2.block.4.block.2.alpha';
    const e = await loadFailure(convertDacVaeDecoder({ weights: tampered(weights, { drop: alpha }) }));
    expect(e.message).toContain(`"${alpha}" is missing`);
    expect(e.details).toEqual({ tensor: alpha });
    const g = 'state_dict.decoder.model.2.block.1.weight_g';
    expect((await loadFailure(convertDacVaeDecoder({ weights: tampered(weights, { drop: g }) }))).message).toContain(`"${g}" is missing`);
    const bias = 'state_dict.post_quant_conv.bias';
    expect((await loadFailure(convertDacVaeDecoder({ weights: tampered(weights, { drop: bias }) }))).message).toContain(bias);
  });

  it('a wrong shape', async () => {
    const { meta, weights } = await fixture('fp32');
    const c = meta.decoder_dim / 4; // the second block's width
    const name = 'state_dict.decoder.model.2.block.3.block.1.weight_v';
    const e = await loadFailure(convertDacVaeDecoder({ weights: tampered(weights, { reshape: [name, [c, c, 5]] }) }));
    expect(e.message).toContain(`"${name}" has shape [${c},${c},5], expected [${c},${c},7]`);
    expect(e.details).toEqual({ tensor: name });
    const alpha = 'state_dict.decoder.model.1.block.0.alpha';
    const a = await loadFailure(convertDacVaeDecoder({ weights: tampered(weights, { reshape: [alpha, [meta.decoder_dim]] }) }));
    expect(a.message).toContain(`"${alpha}" has shape [${meta.decoder_dim}], expected [1,${meta.decoder_dim},1]`);
  });

  it('a decoder tensor the structure does not account for', async () => {
    const { weights } = await fixture('fp32');
    const extra = 'state_dict.decoder.model.1.block.5.block.1.bias';
    const e = await loadFailure(convertDacVaeDecoder({ weights: tampered(weights, { add: extra }) }));
    expect(e.message).toContain(extra);
    expect(e.details).toEqual({ tensor: extra });
  });

  it('metadata that contradicts the tensors', async () => {
    const { meta, weights } = await fixture('fp32');
    const metadata = new Map(weights.metadata);
    metadata.set('metadata.kwargs.decoder_rates.0', meta.rates[0]! + 1);
    const e = await loadFailure(convertDacVaeDecoder({ weights: { ...weights, metadata } }));
    expect(e.message).toContain('metadata.kwargs.decoder_rates');
    // The original file says continuous: true, so a post_quant_conv that is not there is refused, not skipped.
    const { file } = spiedWeights(weights, ['state_dict.post_quant_conv.weight', 'state_dict.post_quant_conv.bias']);
    const c = await loadFailure(convertDacVaeDecoder({ weights: file }));
    expect(c.message).toContain('metadata.kwargs.continuous is true');
    expect(c.details).toEqual({ tensor: 'state_dict.post_quant_conv.weight' });
  });
});
