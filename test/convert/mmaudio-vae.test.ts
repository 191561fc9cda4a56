/**
 * MMAudio's VAE decoder → ONNX (src/convert/mmaudio-vae/) against upstream PyTorch: reduced-size
 * VAEs built with upstream's own `VAE` class (16k: 20 → 80 bins, 44k: 40 → 128; upstream's structure,
 * hidden_dim 8 instead of 384 / 512; and `alt`, upstream's Decoder1D with attention in a level
 * and two upsamples, branches the real VAEs do not use), their raw checkpoints read by our weights reader, converted,
 * run in ORT (CPU), and compared with the mel upstream's `VAE.decode` made from the same latent
 * (test/fixtures/mmaudio-vae, scripts/fixtures/make-mmaudio-vae-fixtures.py). Then damaged
 * checkpoints: each MODEL_LOAD_FAILED naming the tensor.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import {
  convertMmaudioVaeDecoder,
  deinterleaveQkv,
  foldMpConvWeight,
  MMAUDIO_VAE_IO,
  type MmaudioVaeVariant,
} from '../../src/convert/mmaudio-vae/index.js';
import { createOrtRuntime, tensor } from '../../src/inference/ort.js';
import { openWeights, type WeightsFile } from '../../src/models/weights/index.js';
import { loadFailure, readFloats, type Tampering, tamperedWeights } from '../helpers/weights.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'mmaudio-vae');
/**
 * Max abs error against upstream's fp32 mel (16k: std ≈ 0.9 around −1.8; 44k: std ≈ 3.5 around
 * −4.8, data_std up to 2.7 scales the decoder's output). Measured on x86-64, ORT CPU: 3.8e-6 (16k),
 * 9.1e-6 (44k), 5.8e-6 (alt), printed by each case. The same script at upstream's full sizes (hidden
 * 384 and 512: 99 M and 177 M decoder parameters, random weights, 16 latent frames) measured 9.1e-6
 * (16k) and 3.1e-5 (44k), once, by hand; the bound covers those too.
 */
const TOLERANCE = 1e-4;

const runtime = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });
const opened: WeightsFile[] = [];
afterAll(async () => {
  await Promise.all(opened.map((w) => w.close()));
});

interface Case {
  batch: number;
  data_dim: number;
  embed_dim: number;
  frames: number;
  upsample: number;
}

async function fixture(name: string) {
  const dir = join(FIXTURES, name);
  const meta = JSON.parse(await readFile(join(dir, 'case.json'), 'utf8')) as Case;
  const weights = await openWeights(join(dir, 'vae.pt'));
  opened.push(weights);
  return { meta, weights, z: await readFloats(join(dir, 'z.f32')), mel: await readFloats(join(dir, 'mel.f32')) };
}

/** The same file with one tensor hidden, re-shaped, or one more (a copy of decoder.conv_in.weight). */
const tampered = (file: WeightsFile, o: Tampering): WeightsFile => tamperedWeights(file, { ...o, source: 'decoder.conv_in.weight' });

describe('MPConv1D weight folding', () => {
  it('per output channel: w / (1e-4 + ‖w‖·sqrt(1/fan_in)) / sqrt(fan_in), times the gain', () => {
    const raw = { data: Float32Array.from([3, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]), shape: [2, 2, 3] };
    const w = foldMpConvWeight(raw, 2);
    const fan = 6;
    const s0 = 2 / ((1e-4 + 5 / Math.sqrt(fan)) * Math.sqrt(fan));
    const s1 = 2 / ((1e-4 + 1 / Math.sqrt(fan)) * Math.sqrt(fan));
    expect(w[0]).toBeCloseTo(3 * s0, 6);
    expect(w[1]).toBeCloseTo(4 * s0, 6);
    expect(w[6]).toBeCloseTo(s1, 6);
    // Without the eps, every output channel would have norm gain (here ≈ 2 up to 1e-4 relative).
    expect(Math.hypot(...w.subarray(0, 6))).toBeCloseTo(2, 3);
  });

  it('qkv rows 3c + j become block j, row c (upstream reshapes [3C] as [C, 3])', () => {
    const t = deinterleaveQkv({ data: Float32Array.from([0, 1, 2, 3, 4, 5]), shape: [6, 1, 1] });
    expect([...t.data]).toEqual([0, 3, 1, 4, 2, 5]);
  });
});

describe('MMAudio VAE decoder → ONNX matches upstream PyTorch', () => {
  const cases: [string, MmaudioVaeVariant][] = [
    ['16k', '16k'],
    ['44k', '44k'],
    ['alt', '16k'],
  ];
  it.each(cases)('%s', async (name, variant) => {
    const { meta, weights, z, mel } = await fixture(name);
    const session = await runtime.createSession(await convertMmaudioVaeDecoder({ weights, variant }));
    try {
      const out = await session.run({ [MMAUDIO_VAE_IO.input]: tensor('float32', z, [meta.batch, meta.embed_dim, meta.frames]) });
      const y = out[MMAUDIO_VAE_IO.output]!;
      expect(y.dims).toEqual([meta.batch, meta.data_dim, meta.upsample * meta.frames]);
      const got = y.data as Float32Array;
      let worst = 0;
      for (let i = 0; i < mel.length; i++) worst = Math.max(worst, Math.abs(got[i]! - mel[i]!));
      console.log(`${name}: max abs error ${worst.toExponential(2)} over ${mel.length} mel values`);
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      await session.release();
    }
  });

  it('takes any batch and length (2T frames out), and a batch of one gives that item’s result', async () => {
    const { meta, weights, z, mel } = await fixture('16k');
    const session = await runtime.createSession(await convertMmaudioVaeDecoder({ weights, variant: '16k' }));
    try {
      const { embed_dim: C, data_dim: M, frames: T } = meta;
      // The fixture's second item alone: attention spans the whole length, so this is the same maths.
      const second = z.subarray(C * T, 2 * C * T);
      const one = await session.run({ [MMAUDIO_VAE_IO.input]: tensor('float32', second, [1, C, T]) });
      const got = one[MMAUDIO_VAE_IO.output]!.data as Float32Array;
      const want = mel.subarray(M * 2 * T, 2 * M * 2 * T);
      expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThanOrEqual(TOLERANCE);
      for (const [batch, frames] of [
        [1, 1],
        [3, 7],
        [1, 33],
      ] as const) {
        const x = new Float32Array(batch * C * frames).map((_, i) => z[i % z.length]!);
        const out = await session.run({ [MMAUDIO_VAE_IO.input]: tensor('float32', x, [batch, C, frames]) });
        expect(out[MMAUDIO_VAE_IO.output]!.dims).toEqual([batch, M, 2 * frames]);
        expect((out[MMAUDIO_VAE_IO.output]!.data as Float32Array).every(Number.isFinite)).toBe(true);
      }
    } finally {
      await session.release();
    }
  });
});

describe('MMAudio VAE checkpoints that do not fit are MODEL_LOAD_FAILED naming the tensor', () => {
  it.each([
    'decoder.up.1.block.2.conv2.weight',
    'decoder.up.0.block.0.nin_shortcut.weight',
    'decoder.mid.attn_1.qkv.weight',
    'decoder.learnable_gain',
    'data_std',
  ])('a missing %s', async (name) => {
    const { weights } = await fixture('16k');
    const e = await loadFailure(convertMmaudioVaeDecoder({ weights: tampered(weights, { drop: name }), variant: '16k' }));
    expect(e.message).toContain(`"${name}" is missing`);
    expect(e.details).toEqual({ tensor: name });
  });

  it('a wrong shape, and the other variant’s sizes', async () => {
    const { weights } = await fixture('44k');
    const name = 'decoder.up.2.block.1.conv1.weight';
    const e = await loadFailure(convertMmaudioVaeDecoder({ weights: tampered(weights, { reshape: [name, [32, 16, 3]] }), variant: '44k' }));
    expect(e.message).toContain(`"${name}" has shape [32,16,3], expected [?,32,?]`);
    const v = await loadFailure(convertMmaudioVaeDecoder({ weights, variant: '16k' }));
    expect(v.message).toContain('"decoder.conv_in.weight" has shape [32,40,3], expected [?,20,?]');
  });

  it('a decoder tensor the structure does not account for; encoder tensors are skipped', async () => {
    const { weights } = await fixture('16k');
    expect(weights.tensors.has('encoder.conv_in.weight')).toBe(true);
    const extra = 'decoder.up.0.block.1.nin_shortcut.weight';
    const e = await loadFailure(convertMmaudioVaeDecoder({ weights: tampered(weights, { add: extra }), variant: '16k' }));
    expect(e.message).toContain(extra);
    const stray = 'decoder.mid.extra.weight';
    const s = await loadFailure(convertMmaudioVaeDecoder({ weights: tampered(weights, { add: stray }), variant: '16k' }));
    expect(s.message).toContain(`tensors the structure does not account for: ${stray}`);
  });
});
