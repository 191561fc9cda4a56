/**
 * The SigLIP vision tower converter (src/convert/siglip2-vision/) against two references, both in
 * test/fixtures/siglip2-vision/ (scripts/fixtures/make-siglip2-fixtures.py): a plain-torch SigLIP vision tower
 * written from HF `modeling_siglip.py`'s design (Debian's torch 1.13, which cannot run transformers), and HF
 * transformers' own `SiglipModel.get_image_features` run on the same checkpoint and frames (`--check-transformers`,
 * in a venv with transformers 5.17 and torch 2.14 from the machine's local wheels); see the fixture README.
 * Our reader + converter + ORT (CPU) must give both's features from the same frames, normalised with our
 * SIGLIP2_MEAN/STD. Every size comes from siglip2-vision.json.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  convertSiglip2VisionModel,
  SIGLIP2_MEAN,
  SIGLIP2_STD,
  SIGLIP2_VISION_DATA_LOCATION,
  type Siglip2VisionDims,
  siglip2VisionDims,
  siglip2VisionTensorShapes,
} from '../../src/convert/siglip2-vision/index.js';
import { createOrtRuntime, tensor } from '../../src/inference/ort.js';
import { openWeights, type WeightsFile } from '../../src/models/weights/index.js';
import { loadFailure, maxAbsDiff, spiedWeights, tamperedWeights, shapesOnly } from '../helpers/weights.js';

const DIR = new URL('../fixtures/siglip2-vision/', import.meta.url);
const CHECKPOINT = new URL('model.safetensors', DIR).pathname;
const META = JSON.parse(readFileSync(new URL('siglip2-vision.json', DIR), 'utf8')) as {
  width: number;
  heads: number;
  layers: number;
  mlp_width: number;
  patch: number;
  grid: number;
  size: number;
  frames: { shape: [number, number, number, number] };
  features: { shape: [number, number] };
};
const floats = (file: string) => new Float32Array(new Uint8Array(readFileSync(new URL(file, DIR))).buffer);
const EXPECTED = floats('siglip2-vision.features.f32');
/** The same features from HF transformers' SiglipModel (eager attention). */
const UPSTREAM = floats('siglip2-vision.transformers.features.f32');
const IMAGES = META.frames.shape[0];
/**
 * Largest |ours − reference| allowed on a pooled feature (values up to ~2.9 here). Measured (ORT CPU,
 * fp32, both sides on the same float32 weights; our side normalises the frames in float64 before
 * rounding, torch in float32): 1.5e-6 against the from-design reference, 1.4e-6 between that and HF's
 * eager SiglipModel, 1.4e-6 against HF's. The bound leaves ~6× for other CPUs' kernels and still catches
 * each detail gone wrong, as measured by changing it in the graph: LayerNorm eps 1e-5 instead of 1e-6
 * → 2.8e-5; exact GELU instead of tanh-GELU → 5.9e-4 (the test below keeps that one honest).
 */
const TOLERANCE = 1e-5;

/** The frames as the graph takes them: `(x − mean) / std` per channel, as HVF's Normalize does. */
function pixels(): Float32Array {
  const raw = floats('siglip2-vision.frames.f32');
  const plane = META.size * META.size;
  return raw.map((v, i) => {
    const ch = Math.floor(i / plane) % 3;
    return (v - SIGLIP2_MEAN[ch]!) / SIGLIP2_STD[ch]!;
  });
}
const PIXELS = pixels();

const runtime = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });

async function runModel(model: string | Uint8Array, input: Float32Array): Promise<Float32Array> {
  const session = await runtime.createSession(model, { cpuOnly: true });
  try {
    const images = input.length / (3 * META.size * META.size);
    const out = await session.run({ pixels: tensor('float32', input, [images, 3, META.size, META.size]) });
    const features = out.features!;
    expect(features.dims).toEqual([images, META.width]);
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

describe('SigLIP vision tower: parity with the reference', () => {
  it('reads the sizes off the tensors', () => {
    expect(siglip2VisionDims(weights, { heads: META.heads })).toEqual({
      width: META.width,
      patch: META.patch,
      grid: META.grid,
      layers: META.layers,
      mlpWidth: META.mlp_width,
      heads: META.heads,
    });
    expect(META.grid * META.patch).toBe(META.size);
  });

  it('reads siglip2-base-patch16-512’s sizes off its tensor shapes, with 12 heads of 64 by default', () => {
    const base: Siglip2VisionDims = { width: 768, patch: 16, grid: 32, layers: 12, mlpWidth: 3072, heads: 12 };
    const shapes = siglip2VisionTensorShapes(base);
    // Shapes only: nothing is read, so a table of TensorInfo without bytes stands in for the real file.
    const file = shapesOnly(weights, shapes);
    expect(siglip2VisionDims(file)).toEqual(base);
    expect(shapes.size).toBe(3 + 16 * 12 + 2 + 11);
    expect(shapes.get('vision_model.embeddings.position_embedding.weight')).toEqual([1024, 768]);
  });

  it('gives the reference’s get_image_features for every frame', async () => {
    const converted = await convertSiglip2VisionModel({ weights, heads: META.heads });
    expect(converted.inputName).toBe('pixels');
    expect(converted.outputName).toBe('features');
    expect(converted.data).toBeUndefined(); // `auto`: a small tower stays inline
    const ours = await runModel(converted.model, PIXELS);
    expect(META.features.shape).toEqual([IMAGES, META.width]);
    expect(maxAbsDiff(ours, EXPECTED)).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(ours, UPSTREAM)).toBeLessThan(TOLERANCE);
    // The reference proves something: rows that differ between frames.
    const row = (n: number) => EXPECTED.subarray(n * META.width, (n + 1) * META.width);
    expect(maxAbsDiff(row(0), row(1))).toBeGreaterThan(0.05);
  });

  it('batches frames independently (one frame alone gives its row of the batch)', async () => {
    const { model } = await convertSiglip2VisionModel({ weights, heads: META.heads });
    const one = 3 * META.size * META.size;
    const last = IMAGES - 1;
    const alone = await runModel(model, PIXELS.subarray(last * one, (last + 1) * one));
    expect(maxAbsDiff(alone, EXPECTED.subarray(last * META.width, (last + 1) * META.width))).toBeLessThan(TOLERANCE);
  });

  it('the activation matters: exact GELU instead of tanh-GELU misses the reference by far more than the tolerance', async () => {
    const { model } = await convertSiglip2VisionModel({ weights, heads: META.heads, activation: 'gelu' });
    expect(maxAbsDiff(await runModel(model, PIXELS), EXPECTED)).toBeGreaterThan(20 * TOLERANCE);
  });

  it('with external data (model + data file beside it, as ORT loads them) gives the same features', async () => {
    const split = await convertSiglip2VisionModel({ weights, heads: META.heads, storage: 'external' });
    const data = split.data!;
    expect(data.location).toBe(SIGLIP2_VISION_DATA_LOCATION);
    const dir = await mkdtemp(join(tmpdir(), 'siglip2-vision-'));
    try {
      await writeFile(join(dir, 'siglip2_vision.onnx'), split.model);
      await writeFile(join(dir, data.location), Buffer.concat(data.chunks));
      expect(maxAbsDiff(await runModel(join(dir, 'siglip2_vision.onnx'), PIXELS), EXPECTED)).toBeLessThan(TOLERANCE);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('SigLIP vision tower: what it reads', () => {
  it('reads exactly the vision tower’s tensors, each once: never the text tower, logit_scale or logit_bias', async () => {
    const { file, reads } = spiedWeights(weights);
    await convertSiglip2VisionModel({ weights: file, heads: META.heads });
    const vision = [...weights.tensors.keys()].filter((n) => n.startsWith('vision_model.'));
    expect(new Set(reads)).toEqual(new Set(vision));
    expect(new Set(reads)).toEqual(new Set(siglip2VisionTensorShapes(siglip2VisionDims(weights, { heads: META.heads })).keys()));
    expect(reads).toHaveLength(new Set(reads).size);
    // The file does hold the rest of a SiglipModel (the converter skips it, not the fixture).
    expect(['logit_scale', 'logit_bias', 'text_model.embeddings.token_embedding.weight'].every((n) => weights.tensors.has(n))).toBe(true);
  });
});

describe('SigLIP vision tower: refusals', () => {
  it.each([
    'vision_model.embeddings.patch_embedding.weight',
    'vision_model.embeddings.patch_embedding.bias',
    'vision_model.embeddings.position_embedding.weight',
    'vision_model.encoder.layers.0.layer_norm1.weight',
    'vision_model.encoder.layers.0.self_attn.q_proj.weight',
    `vision_model.encoder.layers.${META.layers - 1}.self_attn.v_proj.bias`,
    `vision_model.encoder.layers.${META.layers - 1}.mlp.fc2.bias`,
    'vision_model.post_layernorm.weight',
    'vision_model.head.probe',
    'vision_model.head.attention.in_proj_weight',
    'vision_model.head.attention.out_proj.bias',
    'vision_model.head.layernorm.bias',
    'vision_model.head.mlp.fc2.weight',
  ])('a missing %s is MODEL_LOAD_FAILED naming it, before any tensor is read', async (name) => {
    const { file, reads } = spiedWeights(weights, [name]);
    const e = (await loadFailure(convertSiglip2VisionModel({ weights: file, heads: META.heads }))) as {
      message: string;
      details: { tensor?: string };
    };
    expect(e.message).toContain(`"${name}"`);
    expect(e.details.tensor).toBe(name);
    expect(reads).toEqual([]);
  });

  it.each([
    ['vision_model.encoder.layers.0.self_attn.out_proj.weight', [META.width, META.width + 1]],
    ['vision_model.embeddings.patch_embedding.weight', [META.width, 3, META.patch, META.patch + 1]],
    ['vision_model.embeddings.position_embedding.weight', [META.grid * META.grid + 1, META.width]],
    ['vision_model.head.attention.in_proj_weight', [2 * META.width, META.width]],
    ['vision_model.head.probe', [1, META.width]],
  ] as [string, number[]][])('%s of shape %j is MODEL_LOAD_FAILED naming it', async (name, shape) => {
    const file = tamperedWeights(weights, { reshape: [name, shape], source: name });
    const e = await loadFailure(convertSiglip2VisionModel({ weights: file, heads: META.heads }));
    expect(e.message).toContain(`"${name}"`);
  });

  it('a head count that does not divide the width is MODEL_LOAD_FAILED', async () => {
    let heads = 2;
    while (META.width % heads === 0) heads++;
    const e = await loadFailure(convertSiglip2VisionModel({ weights, heads }));
    expect(e.message).toContain(`width ${META.width} does not split into ${heads} heads`);
  });
});
