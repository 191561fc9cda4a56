/**
 * The MMAudio MM-DiT converter (src/convert/mmaudio-dit/) and sampler
 * (src/pipelines/foley/engines/mmaudio/sampler.ts) against upstream: test/fixtures/mmaudio-dit/,
 * written by scripts/fixtures/make-mmaudio-dit-fixtures.py from MMAudio's own `MMAudio` class
 * (reduced: v1 hidden 128 = 2 heads, 2 joint + 1 fused blocks; v2 hidden 64, 1 + 1; latent 20,
 * clip 8, sync 16, text 77 tokens; random fp16 weights). Our reader + converter + ORT (CPU) must give
 * upstream's preprocessed conditions, empty conditions, velocity, and the final latent of a
 * 3-step Euler run with CFG 4.5.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONDITION_NAMES,
  type ConvertedMmaudioDit,
  convertMmaudioDit,
  mmaudioDitDims,
  mmaudioDitTensorShapes,
  mmaudioSequenceLengths,
  variantSequenceLengths,
} from '../../src/convert/mmaudio-dit/index.js';
import { nearestExactIndices, ropeTables, timestepFrequencies } from '../../src/convert/mmaudio-dit/tables.js';
import { isWorkerError } from '../../src/errors.js';
import { createOrtRuntime, tensor } from '../../src/inference/ort.js';
import { openWeights, type WeightsFile } from '../../src/models/weights/index.js';
import { linspace, sampleMmaudio } from '../../src/pipelines/foley/engines/mmaudio/sampler.js';

const DIR = new URL('../fixtures/mmaudio-dit/', import.meta.url);

interface Fixture {
  meta: {
    v2: boolean;
    hidden: number;
    heads: number;
    joint: number;
    fused: number;
    mlp_hidden: number;
    latent_dim: number;
    clip_dim: number;
    sync_dim: number;
    text_dim: number;
    latent_seq_len: number;
    clip_seq_len: number;
    sync_seq_len: number;
    text_seq_len: number;
    cfg_strength: number;
    steps: number;
    batch: number;
    tensors: Record<string, { shape: number[]; offset: number }>;
  };
  get(name: string): Float32Array;
  shape(name: string): number[];
}

function fixture(name: string): Fixture {
  const meta = JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as Fixture['meta'];
  const bytes = new Uint8Array(readFileSync(new URL(`${name}.f32`, DIR)));
  return {
    meta,
    shape: (t) => meta.tensors[t]!.shape,
    get(t) {
      const { shape, offset } = meta.tensors[t]!;
      const n = shape.reduce((a, b) => a * b, 1);
      return new Float32Array(bytes.slice(offset, offset + 4 * n).buffer);
    },
  };
}

/**
 * Largest |ours − upstream| over the reference's largest magnitude, per tensor. Measured (ORT CPU,
 * fp32, both sides on the same fp16-rounded weights): conditions ≤ 1.1e-6, empty conditions ≤ 1.1e-6,
 * velocity 1.05e-6 (v1) and 1.03e-6 (v2). The bound leaves ~10× for other CPUs' kernels and still
 * catches each detail gone wrong, as measured by changing it in the converter: LayerNorm eps 1e-6
 * instead of 1e-5 → 1.6e-5 (v1) / 7.2e-5 (v2); clip RoPE not scaled by latent/clip → 6e-2; RoPE's
 * sin sign flipped → 0.13; q/k/v bias split in chunks instead of upstream's (h d j) interleave →
 * 0.49; the final block on extended_c ("fixing" upstream's #55) → 0.46. (The RMS norm's eps, 2⁻²³
 * against 1e-6, is below what any fp32 test can see.)
 */
const TOLERANCE = 1e-5;
/** The 3-step CFG run: measured 1.6e-6 (v1) and 2.0e-6 (v2) on the final latent. */
const SAMPLER_TOLERANCE = 2e-5;

function relDiff(ours: Float32Array, ref: Float32Array): number {
  expect(ours.length).toBe(ref.length);
  let max = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    max = Math.max(max, Math.abs(ours[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return max / scale;
}

const runtime = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });
type Session = Awaited<ReturnType<typeof runtime.createSession>>;

const broadcast = (row: Float32Array, times: number): Float32Array => {
  const out = new Float32Array(row.length * times);
  for (let i = 0; i < times; i++) out.set(row, i * row.length);
  return out;
};

describe.each([
  ['mmaudio-dit', 'small_16k'],
  ['mmaudio-dit-v2', 'large_44k_v2'],
] as const)('MM-DiT %s: parity with upstream', (name, variant) => {
  const fx = fixture(name);
  const m = fx.meta;
  const seq = { latent: m.latent_seq_len, clip: m.clip_seq_len, sync: m.sync_seq_len };
  let weights: WeightsFile;
  let converted: ConvertedMmaudioDit;
  let conditions: Session;
  let flow: Session;
  const runConditions = async (clip: Float32Array, sync: Float32Array, text: Float32Array, batch: number) => {
    const out = await conditions.run({
      clip_features: tensor('float32', clip, [batch, seq.clip, m.clip_dim]),
      sync_features: tensor('float32', sync, [batch, seq.sync, m.sync_dim]),
      text_features: tensor('float32', text, [batch, m.text_seq_len, m.text_dim]),
    });
    return Object.fromEntries(CONDITION_NAMES.map((k) => [k, out[k]!.data as Float32Array])) as Record<string, Float32Array>;
  };
  const condTensors = (c: Record<string, Float32Array>, batch: number) => ({
    clip_f: tensor('float32', c.clip_f!, [batch, seq.clip, m.hidden]),
    sync_f: tensor('float32', c.sync_f!, [batch, seq.latent, m.hidden]),
    text_f: tensor('float32', c.text_f!, [batch, m.text_seq_len, m.hidden]),
    clip_f_c: tensor('float32', c.clip_f_c!, [batch, m.hidden]),
    text_f_c: tensor('float32', c.text_f_c!, [batch, m.hidden]),
  });

  beforeAll(async () => {
    weights = await openWeights(new URL(`${name}.pt`, DIR).pathname);
    converted = await convertMmaudioDit({ weights, variant, sequence: seq });
    conditions = await runtime.createSession(converted.conditions.model, { cpuOnly: true });
    flow = await runtime.createSession(converted.flow.model, { cpuOnly: true });
  });
  afterAll(async () => {
    await conditions?.release();
    await flow?.release();
    await weights?.close();
  });

  it('reads every size off the tensors', () => {
    expect(converted.dims).toEqual({
      hidden: m.hidden,
      heads: m.heads,
      latentDim: m.latent_dim,
      clipDim: m.clip_dim,
      syncDim: m.sync_dim,
      textDim: m.text_dim,
      textLength: m.text_seq_len,
      mlpHidden: m.mlp_hidden,
      joint: m.joint,
      fused: m.fused,
      frequencies: m.v2 ? m.hidden : 256,
      v2: m.v2,
    });
  });

  it('recomputes t_embed.freqs and the RoPE tables as upstream does', () => {
    const freqs = timestepFrequencies({ size: converted.dims.frequencies, maxPeriod: m.v2 ? 1 : 10000 });
    expect(relDiff(freqs, fx.get('t_embed.freqs'))).toBeLessThan(1e-6);
    for (const [rot, length, scaling] of [
      ['latent_rot', seq.latent, 1],
      ['clip_rot', seq.clip, seq.latent / seq.clip],
    ] as const) {
      const ref = fx.get(rot); // [1, N, 32, 2, 2]: [[cos, −sin], [sin, cos]]
      const { cos, sin } = ropeTables({ length, dim: 64, scaling });
      const pick = (table: Float32Array, stride: number, at: number) =>
        Float32Array.from({ length: length * 32 }, (_, i) => table[i * stride + at]!);
      expect(relDiff(pick(cos, 2, 0), pick(ref, 4, 0))).toBeLessThan(1e-6);
      expect(relDiff(pick(sin, 2, 0), pick(ref, 4, 1))).toBeLessThan(1e-6);
      expect(relDiff(pick(sin, 2, 1), pick(ref, 4, 2))).toBeLessThan(1e-6);
    }
  });

  it('gives upstream’s preprocessed conditions', async () => {
    const ours = await runConditions(fx.get('clip_f'), fx.get('sync_f'), fx.get('text_f'), m.batch);
    for (const k of CONDITION_NAMES) expect(relDiff(ours[k]!, fx.get(`cond.${k}`)), k).toBeLessThan(TOLERANCE);
  });

  it('gives upstream’s empty conditions from the learned empty features', async () => {
    const ours = await runConditions(
      broadcast(converted.empty.clip, seq.clip),
      broadcast(converted.empty.sync, seq.sync),
      converted.empty.text,
      1,
    );
    for (const k of CONDITION_NAMES) expect(relDiff(ours[k]!, fx.get(`empty.${k}`)), k).toBeLessThan(TOLERANCE);
  });

  it('gives upstream’s velocity (one flow step at batch 2, two values of t)', async () => {
    const cond = Object.fromEntries(CONDITION_NAMES.map((k) => [k, fx.get(`cond.${k}`)]));
    const out = await flow.run({
      latent: tensor('float32', fx.get('latent'), [m.batch, seq.latent, m.latent_dim]),
      t: tensor('float32', fx.get('t'), [m.batch]),
      ...condTensors(cond, m.batch),
    });
    const ref = fx.get('velocity');
    expect(relDiff(out.velocity!.data as Float32Array, ref)).toBeLessThan(TOLERANCE);
    // The reference proves something: the rows differ (t and conditions matter).
    const half = ref.length / 2;
    expect(relDiff(ref.subarray(0, half), ref.subarray(half))).toBeGreaterThan(0.05);
  });

  it('with external data (model + data file beside it, as ORT loads them) gives the same velocity', async () => {
    expect(converted.flow.data).toBeUndefined(); // small graphs stay inline under 'auto'
    const split = await convertMmaudioDit({ weights, variant, sequence: seq, storage: 'external' });
    const data = split.flow.data!;
    expect(data.location).toBe('mmaudio_flow.onnx.data');
    expect(split.flow.model.length).toBeLessThan(converted.flow.model.length / 4);
    const dir = await mkdtemp(join(tmpdir(), 'mmaudio-dit-'));
    try {
      await writeFile(join(dir, 'flow.onnx'), split.flow.model);
      await writeFile(join(dir, data.location), Buffer.concat(data.chunks));
      const session = await runtime.createSession(join(dir, 'flow.onnx'), { cpuOnly: true });
      try {
        const cond = Object.fromEntries(CONDITION_NAMES.map((k) => [k, fx.get(`cond.${k}`)]));
        const feeds = {
          latent: tensor('float32', fx.get('latent'), [m.batch, seq.latent, m.latent_dim]),
          t: tensor('float32', fx.get('t'), [m.batch]),
          ...condTensors(cond, m.batch),
        };
        const [a, b] = [await session.run(feeds), await flow.run(feeds)];
        expect(Array.from(a.velocity!.data as Float32Array)).toEqual(Array.from(b.velocity!.data as Float32Array));
      } finally {
        await session.release();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reproduces upstream’s 3-step Euler run with CFG 4.5 over our graphs', async () => {
    const row = (k: string, per: number) => fx.get(k).subarray(0, per);
    const c = await runConditions(
      row('clip_f', seq.clip * m.clip_dim),
      row('sync_f', seq.sync * m.sync_dim),
      row('text_f', m.text_seq_len * m.text_dim),
      1,
    );
    const e = await runConditions(
      broadcast(converted.empty.clip, seq.clip),
      broadcast(converted.empty.sync, seq.sync),
      converted.empty.text,
      1,
    );
    const both = Object.fromEntries(CONDITION_NAMES.map((k) => [k, Float32Array.from([...c[k]!, ...e[k]!])]));
    const final = await sampleMmaudio({
      x0: fx.get('x0'),
      steps: m.steps,
      cfgStrength: m.cfg_strength,
      velocity: async (x, t) => {
        const out = await flow.run({
          latent: tensor('float32', broadcast(x, 2), [2, seq.latent, m.latent_dim]),
          t: tensor('float32', new Float32Array([t, t]), [2]),
          ...condTensors(both, 2),
        });
        const v = out.velocity!.data as Float32Array;
        return { cond: v.slice(0, x.length), uncond: v.slice(x.length) };
      },
    });
    expect(relDiff(final, fx.get('final'))).toBeLessThan(SAMPLER_TOLERANCE);
    expect(relDiff(fx.get('x0'), fx.get('final'))).toBeGreaterThan(0.1);
  });
});

describe('MM-DiT: sizes and refusals', () => {
  let weights: WeightsFile;
  beforeAll(async () => {
    weights = await openWeights(new URL('mmaudio-dit.pt', DIR).pathname);
  });
  afterAll(async () => {
    await weights?.close();
  });
  const hide = (names: readonly string[]): WeightsFile => ({
    ...weights,
    tensors: new Map([...weights.tensors].filter(([n]) => !names.includes(n))),
  });
  const refusal = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isWorkerError(e)).toBe(true);
    return e as { code: string; message: string; details: { tensor?: string } };
  };

  it.each([
    'joint_blocks.0.text_block.ffn.w2.weight',
    'joint_blocks.1.latent_block.attn.k_norm.weight',
    'fused_blocks.0.adaLN_modulation.1.bias',
    'empty_string_feat',
    'empty_sync_feat',
    'latent_std',
    'final_layer.conv.weight',
    'audio_input_proj.0.weight',
  ])('a missing %s is MODEL_LOAD_FAILED naming it', async (tensor) => {
    const e = await refusal(convertMmaudioDit({ weights: hide([tensor]), variant: 'small_16k' }));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toContain(`"${tensor}"`);
  });

  it('needs every tensor it lists, and never reads the recomputed buffers', () => {
    const shapes = mmaudioDitTensorShapes(mmaudioDitDims(weights));
    expect(new Set(shapes.keys())).toEqual(new Set([...weights.tensors.keys()]));
    for (const recomputed of ['t_embed.freqs', 'latent_rot', 'clip_rot']) expect(shapes.has(recomputed)).toBe(false);
  });

  it('a tensor of the wrong shape is MODEL_LOAD_FAILED naming it', async () => {
    const name = 'joint_blocks.0.clip_block.linear1.weight';
    const real = weights.tensors.get(name)!;
    const h = real.shape[0]!;
    const file: WeightsFile = { ...weights, tensors: new Map([...weights.tensors, [name, { ...real, shape: [h, h, 5] }]]) };
    const e = await refusal(convertMmaudioDit({ weights: file, variant: 'small_16k' }));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toContain(`"${name}" has shape [${h},${h},5], expected [${h},${h},3]`);
  });

  it('refuses sequence lengths upstream could not run (sync not whole 8-frame segments)', async () => {
    await expect(convertMmaudioDit({ weights, variant: 'small_16k', sequence: { latent: 20, clip: 8, sync: 12 } })).rejects.toThrow(
      RangeError,
    );
  });

  it('a v1 checkpoint named as a v2 variant is MODEL_LOAD_FAILED', async () => {
    const e = await refusal(convertMmaudioDit({ weights, variant: 'large_44k_v2' }));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toMatch(/not a v2 network/);
  });

  it('the sequence table: 250/345 latent frames, 64 clip, 192 sync for 8 s', () => {
    expect(variantSequenceLengths('small_16k')).toEqual({ latent: 250, clip: 64, sync: 192 });
    expect(variantSequenceLengths('large_44k_v2')).toEqual({ latent: 345, clip: 64, sync: 192 });
    expect(mmaudioSequenceLengths({ sampleRate: 44100, duration: 10 })).toEqual({ latent: 431, clip: 80, sync: 240 });
  });

  it('sync upsampling as torch’s float nearest-exact, and the float32 linspace', () => {
    // The fixture's 16 → 20 (upstream's shim computes the index in double precision; at these sizes both agree).
    expect(Array.from(nearestExactIndices({ from: 16, to: 20 }), Number)).toEqual([
      0, 1, 2, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 10, 11, 12, 13, 14, 14, 15,
    ]);
    // 192 → 345 (44k): 57.5 · (192/345) is 32 exactly, but 31.999998 in float, as torch computes it.
    expect(Number(nearestExactIndices({ from: 192, to: 345 })[57])).toBe(31);
    expect(Array.from(linspace(0, 1, 4))).toEqual([0, Math.fround(1 / 3), Math.fround(1 - Math.fround(1 / 3)), 1]);
  });
});
