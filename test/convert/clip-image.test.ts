/**
 * The CLIP image tower converter (src/convert/clip-image/) against upstream: test/fixtures/clip-image/,
 * written by scripts/fixtures/make-clip-image-fixtures.py from open_clip's own `CLIP` built from
 * DFN5B's config `ViT-H-14-378-quickgelu` with reduced sizes (random fp16 weights) and run the way
 * MMAudio's `encode_video_with_clip` runs it. Our reader + converter + ORT (CPU) must give the same
 * L2-normalised image features from the same frames, normalised with our CLIP_MEAN/CLIP_STD and
 * cropped to grid · patch as the module doc tells the caller. Every size comes from clip-image.json.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIP_IMAGE_DATA_LOCATION,
  CLIP_MEAN,
  CLIP_STD,
  type ClipImageDims,
  clipImageDims,
  clipImageTensorShapes,
  convertClipImageModel,
} from '../../src/convert/clip-image/index.js';
import { createOrtRuntime, tensor } from '../../src/inference/ort.js';
import { openWeights, type WeightsFile } from '../../src/models/weights/index.js';
import { loadFailure, maxAbsDiff, spiedWeights, tamperedWeights, shapesOnly } from '../helpers/weights.js';

const DIR = new URL('../fixtures/clip-image/', import.meta.url);
const CHECKPOINT = new URL('clip-image.pt', DIR).pathname;
const META = JSON.parse(readFileSync(new URL('clip-image.json', DIR), 'utf8')) as {
  width: number;
  heads: number;
  layers: number;
  patch: number;
  grid: number;
  size: number;
  frame_size: number;
  embed: number;
  mlp_width: number;
  frames: { shape: [number, number, number, number] };
  features: { shape: [number, number] };
  gelu_features: { shape: [number, number] };
};
const floats = (file: string) => new Float32Array(new Uint8Array(readFileSync(new URL(file, DIR))).buffer);
const EXPECTED = floats('clip-image.features.f32');
/** The same weights in the CLIP open_clip builds without quick_gelu (nn.GELU). */
const EXPECTED_GELU = floats('clip-image.gelu.features.f32');
const IMAGES = META.frames.shape[0];
/**
 * Largest |ours − upstream| allowed on a normalised feature (values of order 1/√embed).
 * Measured (ORT CPU, fp32, both sides on the same fp16-rounded weights and [0, 1] frames; our side
 * normalises the frames in float64 before rounding, torch in float32): max 2.2e-7 (quick_gelu) and
 * 2.4e-7 (gelu). The bound leaves ~4× for other CPUs' kernels and still catches each detail gone
 * wrong, as measured by changing it in the graph: LayerNorm eps 1e-6 instead of 1e-5 → 2.1e-6;
 * QuickGELU's 1.7 instead of 1.702 → 9.8e-5; attention scale off by 0.1 % → 2.0e-4; no ln_post →
 * 0.089; the first patch token pooled instead of the class token → 0.57.
 */
const TOLERANCE = 1e-6;

/** The frames as the graph takes them: the top-left grid · patch pixels, `(x − mean) / std` per channel. */
function pixels(images: number): Float32Array {
  const raw = floats('clip-image.frames.f32');
  const { size, frame_size: f } = META;
  const out = new Float32Array(images * 3 * size * size);
  for (let n = 0; n < images; n++) {
    for (let ch = 0; ch < 3; ch++) {
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const v = raw[((n * 3 + ch) * f + y) * f + x]!;
          out[((n * 3 + ch) * size + y) * size + x] = (v - CLIP_MEAN[ch]!) / CLIP_STD[ch]!;
        }
      }
    }
  }
  return out;
}
const PIXELS = pixels(IMAGES);

const runtime = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });

async function runModel(model: string | Uint8Array, input: Float32Array): Promise<Float32Array> {
  const session = await runtime.createSession(model, { cpuOnly: true });
  try {
    const images = input.length / (3 * META.size * META.size);
    const out = await session.run({ pixels: tensor('float32', input, [images, 3, META.size, META.size]) });
    const features = out.features!;
    expect(features.dims).toEqual([images, META.embed]);
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

describe('CLIP image tower: parity with open_clip', () => {
  it('reads the sizes off the tensors', () => {
    expect(clipImageDims(weights, { heads: META.heads })).toEqual({
      width: META.width,
      patch: META.patch,
      grid: META.grid,
      layers: META.layers,
      mlpWidth: META.mlp_width,
      embed: META.embed,
      heads: META.heads,
    });
    expect(META.grid * META.patch).toBe(META.size);
  });

  it('reads DFN5B ViT-H/14-378’s sizes off its tensor shapes, with 16 heads of 80 by default', () => {
    const dfn5b: ClipImageDims = { width: 1280, patch: 14, grid: 27, layers: 32, mlpWidth: 5120, embed: 1024, heads: 16 };
    const shapes = clipImageTensorShapes(dfn5b);
    // Shapes only: nothing is read, so a table of TensorInfo without bytes stands in for the 2.5 GB file.
    const file = shapesOnly(weights, shapes, 'float16');
    expect(clipImageDims(file)).toEqual(dfn5b);
    expect(shapes.size).toBe(8 + 12 * 32);
    expect(shapes.get('visual.positional_embedding')).toEqual([730, 1280]);
  });

  it('gives upstream’s normalised features for every frame', async () => {
    const converted = await convertClipImageModel({ weights, heads: META.heads });
    expect(converted.inputName).toBe('pixels');
    expect(converted.outputName).toBe('features');
    expect(converted.data).toBeUndefined(); // `auto`: a small tower stays inline
    const ours = await runModel(converted.model, PIXELS);
    expect(META.features.shape).toEqual([IMAGES, META.embed]);
    expect(maxAbsDiff(ours, EXPECTED)).toBeLessThan(TOLERANCE);

    // The reference proves something: unit-norm rows that differ between frames.
    const row = (n: number) => EXPECTED.subarray(n * META.embed, (n + 1) * META.embed);
    expect(Math.hypot(...row(0))).toBeCloseTo(1, 5);
    expect(maxAbsDiff(row(0), row(1))).toBeGreaterThan(0.05);
  });

  it('batches frames independently (one frame alone gives its row of the batch)', async () => {
    const { model } = await convertClipImageModel({ weights, heads: META.heads });
    const one = 3 * META.size * META.size;
    const last = IMAGES - 1;
    const alone = await runModel(model, PIXELS.subarray(last * one, (last + 1) * one));
    expect(maxAbsDiff(alone, EXPECTED.subarray(last * META.embed, (last + 1) * META.embed))).toBeLessThan(TOLERANCE);
  });

  it('with activation gelu, gives upstream’s features of the CLIP open_clip builds without quick_gelu', async () => {
    expect(META.gelu_features.shape).toEqual(META.features.shape);
    const { model } = await convertClipImageModel({ weights, heads: META.heads, activation: 'gelu' });
    expect(maxAbsDiff(await runModel(model, PIXELS), EXPECTED_GELU)).toBeLessThan(TOLERANCE);
    // The activation matters here: the two references differ well beyond the tolerance.
    expect(maxAbsDiff(EXPECTED, EXPECTED_GELU)).toBeGreaterThan(1e-3);
  });

  it('with external data (model + data file beside it, as ORT loads them) gives the same features', async () => {
    const split = await convertClipImageModel({ weights, heads: META.heads, storage: 'external' });
    const data = split.data!;
    expect(data.location).toBe(CLIP_IMAGE_DATA_LOCATION);
    expect(data.byteLength).toBeGreaterThan(4 * META.width * 3 * META.patch * META.patch);
    const dir = await mkdtemp(join(tmpdir(), 'clip-image-'));
    try {
      await writeFile(join(dir, 'clip_image.onnx'), split.model);
      await writeFile(join(dir, data.location), Buffer.concat(data.chunks));
      expect(maxAbsDiff(await runModel(join(dir, 'clip_image.onnx'), PIXELS), EXPECTED)).toBeLessThan(TOLERANCE);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('CLIP image tower: what it reads', () => {
  it('reads exactly the image tower’s tensors, each once: never the text tower, text_projection or logit_scale', async () => {
    const { file, reads } = spiedWeights(weights);
    await convertClipImageModel({ weights: file, heads: META.heads });
    const visual = [...weights.tensors.keys()].filter((n) => n.startsWith('visual.'));
    expect(new Set(reads)).toEqual(new Set(visual));
    expect(new Set(reads)).toEqual(new Set(clipImageTensorShapes(clipImageDims(weights, { heads: META.heads })).keys()));
    expect(reads).toHaveLength(new Set(reads).size);
    // The file does hold the text tower (the converter skips it, not the fixture).
    expect(['text_projection', 'logit_scale', 'transformer.resblocks.0.attn.in_proj_weight'].every((n) => weights.tensors.has(n))).toBe(
      true,
    );
  });
});

describe('CLIP image tower: refusals', () => {
  it.each([
    'visual.conv1.weight',
    'visual.class_embedding',
    'visual.positional_embedding',
    'visual.ln_pre.weight',
    'visual.transformer.resblocks.0.ln_1.weight',
    'visual.transformer.resblocks.0.attn.in_proj_weight',
    `visual.transformer.resblocks.${META.layers - 1}.ln_1.weight`,
    `visual.transformer.resblocks.${META.layers - 1}.mlp.c_proj.bias`,
    'visual.ln_post.bias',
    'visual.proj',
  ])('a missing %s is MODEL_LOAD_FAILED naming it, before any tensor is read', async (name) => {
    const { file, reads } = spiedWeights(weights, [name]);
    const e = (await loadFailure(convertClipImageModel({ weights: file, heads: META.heads }))) as {
      message: string;
      details: { tensor?: string };
    };
    expect(e.message).toContain(`"${name}"`);
    expect(e.details.tensor).toBe(name);
    expect(reads).toEqual([]);
  });

  it.each([
    ['visual.transformer.resblocks.0.attn.out_proj.weight', [META.width, META.width + 1]],
    ['visual.conv1.weight', [META.width, 3, META.patch, META.patch + 1]],
    ['visual.positional_embedding', [META.grid * META.grid + 2, META.width]],
    ['visual.proj', [META.width + 1, META.embed]],
  ] as [string, number[]][])('%s of shape %j is MODEL_LOAD_FAILED naming it', async (name, shape) => {
    const file = tamperedWeights(weights, { reshape: [name, shape], source: name });
    const e = await loadFailure(convertClipImageModel({ weights: file, heads: META.heads }));
    expect(e.message).toContain(`"${name}"`);
  });

  it('a head count that does not divide the width is MODEL_LOAD_FAILED', async () => {
    let heads = 2;
    while (META.width % heads === 0) heads++;
    const e = await loadFailure(convertClipImageModel({ weights, heads }));
    expect(e.message).toContain(`width ${META.width} does not split into ${heads} heads`);
  });
});
