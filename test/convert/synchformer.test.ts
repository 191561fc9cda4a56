/**
 * The Synchformer visual encoder converter (src/convert/synchformer/) against upstream:
 * test/fixtures/synchformer/, written by scripts/fixtures/make-synchformer-fixtures.py from MMAudio's
 * own `Synchformer` (reduced: width 64, 2 heads of 32, 2 blocks, 32×32 frames; upstream's 2×16×16 tubelets,
 * 16 frames, MLP ratio 4; random fp16 weights) run on uint8 pixels taken to [-1, 1]. Our reader +
 * converter + ORT (CPU) must give the same [B, S, 8, width] features.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  convertSynchformer,
  convertSynchformerModel,
  synchformerDims,
  synchformerTensorShapes,
} from '../../src/convert/synchformer/index.js';
import { isWorkerError } from '../../src/errors.js';
import { createOrtRuntime, tensor } from '../../src/inference/ort.js';
import { openWeights, type WeightsFile } from '../../src/models/weights/index.js';
import { maxAbsDiff, spiedWeights } from '../helpers/weights.js';

const DIR = new URL(`${process.env.FOLEY_SYNCHFORMER_FIXTURE ?? '../fixtures/synchformer'}/`, import.meta.url);
const CHECKPOINT = new URL('synchformer.pt', DIR).pathname;
const META = JSON.parse(readFileSync(new URL('synchformer.json', DIR), 'utf8')) as {
  width: number;
  heads: number;
  depth: number;
  image: number;
  input: { shape: [number, number, number, number, number, number] };
  features: { shape: [number, number, number, number] };
};
/** The fixture's pixels as the script fed them: (u8 / 255 − 0.5) / 0.5, each step rounded to float32 as torch does. */
const INPUT = Float32Array.from(readFileSync(new URL('synchformer.input.u8', DIR)), (u) => Math.fround(Math.fround(u / 255) - 0.5) / 0.5);
const EXPECTED = new Float32Array(new Uint8Array(readFileSync(new URL('synchformer.features.f32', DIR))).buffer);
/**
 * Largest |ours − upstream| allowed on a feature (reference values up to 2.97). Measured (ORT CPU,
 * fp32, both sides on the same fp16-rounded weights): max 2.0e-6, mean 3.9e-7. The bound leaves
 * 10× for other CPUs' kernels and still catches each detail gone wrong, as measured by changing it
 * in the graph: LayerNorm eps 1e-5 instead of 1e-6 → 9.0e-5; space attention before time attention
 * → 1.9; one head instead of two → 1.8 (a test below). At full size (width 768, 12 heads of 64,
 * 12 blocks, 224×224; a fixture written with the script's --out, run through FOLEY_SYNCHFORMER_FIXTURE):
 * max 6.4e-6, mean 9.1e-7 on values up to 4.2, and all these tests pass.
 */
const TOLERANCE = 2e-5;

const runtime = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });

async function runModel(model: Uint8Array, input: Float32Array, shape: readonly number[]): Promise<Float32Array> {
  const session = await runtime.createSession(model, { cpuOnly: true });
  try {
    const out = await session.run({ frames: tensor('float32', input, [...shape]) });
    const features = out.features!;
    expect(features.dims).toEqual([shape[0], shape[1], 8, META.width]);
    return features.data as Float32Array;
  } finally {
    await session.release();
  }
}

let weights: WeightsFile;
beforeAll(async () => {
  weights = await openWeights(CHECKPOINT);
});
afterAll(async () => {
  await weights?.close();
});

describe('Synchformer visual encoder: parity with upstream', () => {
  it('reads the sizes off the tensors', () => {
    expect(synchformerDims(weights, { heads: META.heads })).toEqual({
      width: META.width,
      channels: 3,
      tubelet: 2,
      patch: 16,
      grid: META.image / 16,
      image: META.image,
      temporalTokens: 8,
      frames: 16,
      depth: META.depth,
      mlpWidth: 4 * META.width,
      aggMlpWidth: 4 * META.width,
      heads: META.heads,
    });
  });

  it('gives upstream’s features for every segment and temporal token', async () => {
    const converted = await convertSynchformerModel({ weights, heads: META.heads });
    expect(converted.inputName).toBe('frames');
    expect(converted.outputName).toBe('features');
    const ours = await runModel(converted.model, INPUT, META.input.shape);
    expect(maxAbsDiff(ours, EXPECTED)).toBeLessThan(TOLERANCE);
  });
});

describe('Synchformer visual encoder: layout', () => {
  const segment = META.input.shape.slice(2).reduce((a, b) => a * b, 1);
  const perSegment = 8 * META.width;

  it('the reference proves something: features differ between temporal tokens and between segments', () => {
    const row = (s: number, t: number) => EXPECTED.subarray((s * 8 + t) * META.width, (s * 8 + t + 1) * META.width);
    expect(maxAbsDiff(row(0, 0), row(0, 1))).toBeGreaterThan(0.1);
    expect(maxAbsDiff(row(0, 3), row(1, 3))).toBeGreaterThan(0.1);
  });

  it('takes [B, S, …] with B and S free: one segment alone, or the segments as a batch, give the same rows', async () => {
    const model = await convertSynchformer({ weights, heads: META.heads });
    const [, , ...frame] = META.input.shape;
    const second = await runModel(model, INPUT.subarray(segment, 2 * segment), [1, 1, ...frame]);
    expect(maxAbsDiff(second, EXPECTED.subarray(perSegment, 2 * perSegment))).toBeLessThan(TOLERANCE);
    const asBatch = await runModel(model, INPUT, [2, 1, ...frame]);
    expect(maxAbsDiff(asBatch, EXPECTED)).toBeLessThan(TOLERANCE);
  });

  it('the head count matters: one head instead of the fixture’s two gives other features', async () => {
    const ours = await runModel(await convertSynchformer({ weights, heads: 1 }), INPUT, META.input.shape);
    expect(maxAbsDiff(ours, EXPECTED)).toBeGreaterThan(1e-2);
  });
});

describe('Synchformer visual encoder: what it reads', () => {
  it('reads exactly the vfeat_extractor tensors the forward pass uses, each once: never the rest, nor the 2-D patch_embed', async () => {
    const { file, reads } = spiedWeights(weights);
    await convertSynchformer({ weights: file, heads: META.heads });
    const dims = synchformerDims(weights, { heads: META.heads });
    expect(new Set(reads)).toEqual(new Set([...synchformerTensorShapes(dims).keys()].map((n) => `vfeat_extractor.${n}`)));
    expect(reads).toHaveLength(new Set(reads).size);
    expect(reads.every((n) => n.startsWith('vfeat_extractor.'))).toBe(true);
    expect(reads.some((n) => n.startsWith('vfeat_extractor.patch_embed.'))).toBe(false);
    // The fixture does hold tensors that must be skipped.
    expect(weights.tensors.has('transformer.dummy')).toBe(true);
    expect(weights.tensors.has('vfeat_extractor.patch_embed.proj.weight')).toBe(true);
  });

  it('converts without the tensors it never reads, to the same bytes', async () => {
    const { file } = spiedWeights(weights, [
      'transformer.dummy',
      'vfeat_extractor.patch_embed.proj.weight',
      'vfeat_extractor.patch_embed.proj.bias',
    ]);
    const [without, withAll] = await Promise.all([
      convertSynchformer({ weights: file, heads: META.heads }),
      convertSynchformer({ weights, heads: META.heads }),
    ]);
    expect(Buffer.from(without).equals(Buffer.from(withAll))).toBe(true);
  });
});

describe('Synchformer visual encoder: refusals', () => {
  const refusal = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isWorkerError(e)).toBe(true);
    return e as { code: string; message: string; details: { tensor?: string } };
  };

  it.each([
    'vfeat_extractor.patch_embed_3d.proj.weight',
    'vfeat_extractor.patch_embed_3d.proj.bias',
    'vfeat_extractor.pos_embed',
    'vfeat_extractor.temp_embed',
    'vfeat_extractor.cls_token',
    'vfeat_extractor.blocks.0.norm1.weight',
    'vfeat_extractor.blocks.0.timeattn.qkv.bias',
    'vfeat_extractor.blocks.1.attn.proj.weight',
    'vfeat_extractor.blocks.1.mlp.fc2.bias',
    'vfeat_extractor.norm.weight',
    'vfeat_extractor.spatial_attn_agg.cls_token',
    'vfeat_extractor.spatial_attn_agg.self_attn.in_proj_weight',
    'vfeat_extractor.spatial_attn_agg.linear1.weight',
  ])('a missing %s is MODEL_LOAD_FAILED naming it, before any tensor is read', async (name) => {
    const { file, reads } = spiedWeights(weights, [name]);
    const e = await refusal(convertSynchformer({ weights: file, heads: META.heads }));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toContain(`"${name}"`);
    expect(e.details.tensor).toBe(name);
    expect(reads).toEqual([]);
  });

  it('a tensor of the wrong shape is MODEL_LOAD_FAILED naming it', async () => {
    const name = 'vfeat_extractor.blocks.0.timeattn.proj.weight';
    const real = weights.tensors.get(name)!;
    const file: WeightsFile = { ...weights, tensors: new Map([...weights.tensors, [name, { ...real, shape: [META.width, 32] }]]) };
    const e = await refusal(convertSynchformer({ weights: file, heads: META.heads }));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toContain(`"${name}"`);
    expect(e.details.tensor).toBe(name);
  });

  it('a head count that does not divide the width is MODEL_LOAD_FAILED', async () => {
    const e = await refusal(convertSynchformer({ weights, heads: 5 }));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toContain(`width ${META.width} does not split into 5 heads`);
  });

  it('the head count defaults to upstream’s 12 (which the reduced fixture’s width does not take)', async () => {
    if (META.width % 12 === 0) expect(synchformerDims(weights).heads).toBe(12);
    else expect((await refusal(convertSynchformer({ weights }))).message).toContain(`width ${META.width} does not split into 12 heads`);
  });
});
