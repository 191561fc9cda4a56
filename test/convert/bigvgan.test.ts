/**
 * BigVGAN → ONNX (src/convert/bigvgan/) against upstream PyTorch: reduced-size generators built
 * with MMAudio's own BigVGAN classes (v1 16k, v2 44k, and v2's other branches), their checkpoints
 * read by our weights reader, converted, run in ORT (CPU), and compared with the wav upstream's
 * forward made from the same mel (test/fixtures/bigvgan, scripts/fixtures/make-bigvgan-fixtures.py).
 * Then damaged checkpoints: a missing tensor, a wrong shape, a left-over tensor, a config that
 * does not match: each MODEL_LOAD_FAILED naming what is wrong.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BIGVGAN_IO,
  type BigVganVariant,
  bigVganHop,
  convertBigVgan,
  kaiserSincFilter,
  parseBigVganConfig,
  resampleFilter,
} from '../../src/convert/bigvgan/index.js';
import { foldWeightNorm } from '../../src/convert/bigvgan/weights.js';
import { createOrtRuntime, tensor } from '../../src/inference/ort.js';
import { openWeights, toFloat32, type WeightsFile } from '../../src/models/weights/index.js';
import { loadFailure, readFloats, type Tampering, tamperedWeights } from '../helpers/weights.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'bigvgan');
/**
 * Max abs error against upstream's fp32 wav (outputs in [-1, 1]). Measured on x86-64, ORT CPU:
 * 3.1e-6 (v1-16k), 4.2e-6 (v2-44k), 2.1e-6 (v2-alt), printed by each case; the bound leaves ~5×
 * for another CPU's sin and accumulation order. The full-size models (6 stages, 1536 channels)
 * will drift further; that is for the real-weights check, not this one.
 */
const TOLERANCE = 2e-5;

const runtime = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });
const opened: WeightsFile[] = [];
afterAll(async () => {
  await Promise.all(opened.map((w) => w.close()));
});

interface Case {
  batch: number;
  num_mels: number;
  frames: number;
  hop: number;
  weight_norm: string;
}

async function fixture(name: string) {
  const dir = join(FIXTURES, name);
  const meta = JSON.parse(await readFile(join(dir, 'case.json'), 'utf8')) as Case;
  const config = parseBigVganConfig(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')));
  const weights = await openWeights(join(dir, 'generator.pt'));
  opened.push(weights);
  return { meta, config, weights, mel: await readFloats(join(dir, 'mel.f32')), wav: await readFloats(join(dir, 'wav.f32')) };
}

/** The same file with some tensors hidden, or claiming another shape (checked before any read). */
const tampered = (file: WeightsFile, o: Tampering): WeightsFile => tamperedWeights(file, { ...o, source: 'generator.conv_pre.bias' });

describe('BigVGAN anti-aliasing filter', () => {
  it('is upstream’s Kaiser-windowed sinc: the buffers every checkpoint stores, to float32 rounding', async () => {
    const { weights } = await fixture('v1-16k');
    const ours = resampleFilter(2, 12);
    for (const name of ['generator.activation_post.upsample.filter', 'generator.activation_post.downsample.lowpass.filter']) {
      const stored = toFloat32('float32', await weights.read(name));
      const worst = Math.max(...stored.map((v, i) => Math.abs(v - ours[i]!)));
      console.log(`${name}: max abs difference ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-7);
    }
    expect(ours.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // Odd lengths sample the sinc at integers, symmetric about the middle tap.
    const odd = kaiserSincFilter(0.25, 0.3, 11);
    for (let i = 0; i < 5; i++) expect(odd[i]).toBeCloseTo(odd[10 - i]!, 7);
  });
});

describe('weight norm folding', () => {
  it('w = g·v/‖v‖ over every dimension but the one g keeps (dim 0 as upstream, or another, or all of v)', () => {
    const v = { data: Float32Array.from([3, 4, 0, 1, 2, 2, 0, 0, 5, 12, 0, 0]), shape: [2, 3, 2] };
    const byOut = foldWeightNorm({ data: Float32Array.of(2, 1), shape: [2, 1, 1] }, v, 'g');
    const n0 = Math.sqrt(9 + 16 + 1 + 4 + 4); // first output channel
    const n1 = Math.sqrt(25 + 144);
    expect([...byOut].map((x) => +x.toFixed(6))).toEqual(
      [3, 4, 0, 1, 2, 2, 0, 0, 5, 12, 0, 0].map((x, i) => +(x * (i < 6 ? 2 / n0 : 1 / n1)).toFixed(6)),
    );
    const byMiddle = foldWeightNorm({ data: Float32Array.of(1, 1, 1), shape: [1, 3, 1] }, v, 'g');
    expect(byMiddle[0]).toBeCloseTo(3 / 5, 6); // v[:, 0, :] is 3, 4, 0, 0
    expect(byMiddle[8]).toBeCloseTo(5 / Math.sqrt(170), 6); // v[:, 1, :] is 0, 1, 5, 12: ‖·‖ = √170

    const whole = foldWeightNorm({ data: Float32Array.of(1), shape: [] }, v, 'g');
    expect(whole[9]).toBeCloseTo(12 / Math.sqrt(9 + 16 + 1 + 4 + 4 + 25 + 144), 6);
    expect(() => foldWeightNorm({ data: Float32Array.of(1, 1), shape: [1, 2, 1] }, v, 'x.weight_g')).toThrow(
      /"x.weight_g" has shape \[1,2,1\]/,
    );
  });
});

describe('BigVGAN → ONNX matches upstream PyTorch', () => {
  const cases: [string, BigVganVariant][] = [
    ['v1-16k', 'v1-16k'],
    ['v2-44k', 'v2-44k'],
    ['v2-alt', 'v2-44k'],
  ];
  it.each(cases)('%s', async (name, variant) => {
    const { meta, config, weights, mel, wav } = await fixture(name);
    const model = await convertBigVgan({ weights, variant, config });
    const session = await runtime.createSession(model);
    try {
      const out = await session.run({ [BIGVGAN_IO.input]: tensor('float32', mel, [meta.batch, meta.num_mels, meta.frames]) });
      const y = out[BIGVGAN_IO.output]!;
      expect(y.dims).toEqual([meta.batch, 1, meta.frames * bigVganHop(config)]);
      expect(bigVganHop(config)).toBe(meta.hop);
      const got = y.data as Float32Array;
      let worst = 0;
      for (let i = 0; i < wav.length; i++) worst = Math.max(worst, Math.abs(got[i]! - wav[i]!));
      console.log(`${name} (${meta.weight_norm}): max abs error ${worst.toExponential(2)} over ${wav.length} samples`);
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      await session.release();
    }
  });

  it('takes any batch and length: wav is frames · hop samples', async () => {
    const { meta, config, weights, mel } = await fixture('v2-alt');
    const session = await runtime.createSession(await convertBigVgan({ weights, variant: 'v2-44k', config }));
    try {
      for (const frames of [1, 5, 31]) {
        const x = new Float32Array(meta.num_mels * frames).map((_, i) => mel[i % mel.length]!);
        const out = await session.run({ [BIGVGAN_IO.input]: tensor('float32', x, [1, meta.num_mels, frames]) });
        expect(out[BIGVGAN_IO.output]!.dims).toEqual([1, 1, frames * meta.hop]);
        expect((out[BIGVGAN_IO.output]!.data as Float32Array).every((y) => Number.isFinite(y) && Math.abs(y) <= 1)).toBe(true);
      }
    } finally {
      await session.release();
    }
  });

  it('v1 needs no config: MMAudio’s table, its width read off the tensors (the reduced fixture is refused by its kernels)', async () => {
    const { weights } = await fixture('v1-16k');
    const e = await loadFailure(convertBigVgan({ weights, variant: 'v1-16k' }));
    // conv_pre's 32 channels are taken from the file; the second upsample's kernel (4, not the table's 8) is not in it.
    expect(e.message).toContain('generator.ups.1.0.parametrizations.weight.original1');
    expect(e.message).toContain('expected [16,?,8]');
  });
});

describe('BigVGAN checkpoints that do not fit are MODEL_LOAD_FAILED naming the tensor', () => {
  it('a missing tensor', async () => {
    const { config, weights } = await fixture('v2-44k');
    const name = 'generator.resblocks.1.activations.3.act.beta';
    const e = await loadFailure(convertBigVgan({ weights: tampered(weights, { drop: name }), variant: 'v2-44k', config }));
    expect(e.message).toContain(`"${name}" is missing`);
    expect(e.details).toEqual({ tensor: name });
  });

  it('a missing weight-norm half, and a missing conv weight in any form', async () => {
    const { config, weights } = await fixture('v2-44k');
    const g = 'generator.ups.1.0.weight_g';
    expect((await loadFailure(convertBigVgan({ weights: tampered(weights, { drop: g }), variant: 'v2-44k', config }))).message).toContain(
      g,
    );
    const alt = await fixture('v2-alt');
    const w = 'generator.conv_post.weight';
    const e = await loadFailure(convertBigVgan({ weights: tampered(alt.weights, { drop: w }), variant: 'v2-44k', config: alt.config }));
    expect(e.message).toContain(`"${w}" is missing`);
  });

  it('a wrong shape', async () => {
    const { config, weights } = await fixture('v1-16k');
    const name = 'generator.resblocks.2.convs1.1.parametrizations.weight.original1';
    const e = await loadFailure(
      convertBigVgan({ weights: tampered(weights, { reshape: [name, [16, 16, 7]] }), variant: 'v1-16k', config }),
    );
    expect(e.message).toContain(`"${name}" has shape [16,16,7], expected [16,16,11]`);
    expect(e.details).toEqual({ tensor: name });
  });

  it('a tensor the config does not account for, and a bias the config says is absent', async () => {
    const { config, weights } = await fixture('v2-44k');
    const extra = 'generator.resblocks.6.convs1.0.bias';
    const e = await loadFailure(convertBigVgan({ weights: tampered(weights, { add: extra }), variant: 'v2-44k', config }));
    expect(e.message).toContain(extra);
    const bias = 'generator.conv_post.bias';
    const b = await loadFailure(convertBigVgan({ weights: tampered(weights, { add: bias }), variant: 'v2-44k', config }));
    expect(b.message).toContain(`"${bias}" is present, but the config says use_bias_at_final: false`);
  });

  it('a config that does not match the file, or lacks a key', async () => {
    const { config, weights } = await fixture('v2-44k');
    const e = await loadFailure(convertBigVgan({ weights, variant: 'v2-44k', config: { ...config, resblockKernelSizes: [3, 7, 9] } }));
    expect(e.message).toContain('generator.resblocks.2.convs1.0.weight_v" has shape [16,16,11], expected [16,16,9]');
    await loadFailure(convertBigVgan({ weights, variant: 'v2-44k' }));
    const raw = JSON.parse(await readFile(join(FIXTURES, 'v2-44k', 'config.json'), 'utf8')) as Record<string, unknown>;
    delete raw.upsample_rates;
    expect(() => parseBigVganConfig(raw)).toThrow(/upsample_rates/);
  });
});
