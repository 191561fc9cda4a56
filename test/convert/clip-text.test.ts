/**
 * The CLIP text tower converter (src/convert/clip-text/) against upstream: test/fixtures/clip-text/,
 * written by scripts/fixtures/make-clip-text-fixtures.py from open_clip's own `TextTransformer`
 * (reduced: width 128, 2 heads of 64, 2 blocks, vocab 1024, context 77, random fp16 weights) run
 * the way MMAudio's patched `encode_text` runs it. Our reader + converter + ORT (CPU) must give the
 * same L2-normalised token states; our tokenizer the same ids open_clip's gave the script.
 */
import { copyFile, mkdtemp, open, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { convertClipText, convertClipTextModel } from '../../src/convert/clip-text/convert.js';
import { clipTextDims, clipTextTensorShapes } from '../../src/convert/clip-text/weights.js';
import { isWorkerError } from '../../src/errors.js';
import { createOrtRuntime, tensor } from '../../src/inference/ort.js';
import { openWeights, type WeightsFile } from '../../src/models/weights/index.js';
import { ClipTokenizer } from '../../src/text/clip-tokenizer.js';
import { maxAbsDiff, spiedWeights } from '../helpers/weights.js';

const DIR = new URL('../fixtures/clip-text/', import.meta.url);
const CHECKPOINT = new URL('clip-text.pt', DIR).pathname;
const META = JSON.parse(readFileSync(new URL('clip-text.json', DIR), 'utf8')) as {
  width: number;
  heads: number;
  layers: number;
  vocab: number;
  context: number;
  prompts: string[];
  tokens: number[][];
  model_ids: number[][];
  features: { shape: [number, number, number] };
  gelu_features: { shape: [number, number, number] };
};
const floats = (file: string) => new Float32Array(new Uint8Array(readFileSync(new URL(file, DIR))).buffer);
const EXPECTED = floats('clip-text.features.f32');
/** The same weights in the tower open_clip builds without quick_gelu (nn.GELU). */
const EXPECTED_GELU = floats('clip-text.gelu.features.f32');
/**
 * Largest |ours − upstream| allowed on a normalised feature (values up to 0.34, of order 1/√width).
 * Measured (ORT CPU, fp32, both sides on the same fp16-rounded weights): max 2.4e-7, mean 3e-8.
 * The bound leaves ~8× for other CPUs' kernels and still catches each detail gone wrong, as
 * measured by changing it in the graph: LayerNorm eps 1e-6 instead of 1e-5 → 4.6e-6; QuickGELU's
 * 1.7 instead of 1.702 → 8.3e-5; attention scale off by 0.1 % → 2.0e-4; no causal mask → 0.39.
 */
const TOLERANCE = 2e-6;

const runtime = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });

async function runModel(model: Uint8Array, ids: readonly number[][]): Promise<Float32Array> {
  const session = await runtime.createSession(model, { cpuOnly: true });
  try {
    const flat = BigInt64Array.from(ids.flat(), (v) => BigInt(v));
    const out = await session.run({ tokens: tensor('int64', flat, [ids.length, META.context]) });
    const features = out.features!;
    expect(features.dims).toEqual([ids.length, META.context, META.width]);
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

describe('CLIP text tower: parity with open_clip', () => {
  it('reads the sizes off the tensors (heads = width / 64)', () => {
    expect(clipTextDims(weights)).toEqual({
      vocab: META.vocab,
      width: META.width,
      context: META.context,
      layers: META.layers,
      mlpWidth: 4 * META.width,
      heads: META.heads,
    });
  });

  it('gives upstream’s normalised token states for every prompt and every one of the 77 positions', async () => {
    const converted = await convertClipTextModel({ weights });
    expect(converted.inputName).toBe('tokens');
    expect(converted.outputName).toBe('features');
    const ours = await runModel(converted.model, META.model_ids);
    expect(META.features.shape).toEqual([META.prompts.length, META.context, META.width]);
    const diff = maxAbsDiff(ours, EXPECTED);
    expect(diff).toBeLessThan(TOLERANCE);

    // The reference proves something: unit-norm rows that differ between positions and prompts.
    const row = (p: number, t: number) => EXPECTED.subarray((p * META.context + t) * META.width, (p * META.context + t + 1) * META.width);
    const norm = (r: Float32Array) => Math.hypot(...r);
    expect(norm(row(0, 0))).toBeCloseTo(1, 5);
    expect(maxAbsDiff(row(0, 5), row(0, 6))).toBeGreaterThan(0.1);
    expect(maxAbsDiff(row(0, 3), row(1, 3))).toBeGreaterThan(0.1);
    // Causality: the SOT position (0) sees only itself, so it is the same for every prompt.
    expect(maxAbsDiff(row(0, 0), row(4, 0))).toBeLessThan(1e-6);
  });

  it('batches rows independently (one prompt alone gives its row of the batch)', async () => {
    const model = await convertClipText({ weights });
    const alone = await runModel(model, [META.model_ids[2]!]);
    const start = 2 * META.context * META.width;
    expect(maxAbsDiff(alone, EXPECTED.subarray(start, start + alone.length))).toBeLessThan(TOLERANCE);
  });

  it('is fed the ids open_clip’s tokenizer gave the script (our tokenizer agrees)', () => {
    const tokenizer = ClipTokenizer.fromBpeGz(readFileSync(new URL('../../assets/clip/bpe_simple_vocab_16e6.txt.gz', import.meta.url)));
    const flat = tokenizer.tokenize(META.prompts);
    expect(Array.from(flat, Number)).toEqual(META.tokens.flat());
    // The reduced vocabulary's model input is those ids modulo its size (the script's documented mapping).
    expect(META.model_ids.flat()).toEqual(META.tokens.flat().map((id) => id % META.vocab));
  });

  it('with activation gelu, gives upstream’s features of the tower open_clip builds without quick_gelu', async () => {
    expect(META.gelu_features.shape).toEqual(META.features.shape);
    const ours = await runModel(await convertClipText({ weights, activation: 'gelu' }), META.model_ids);
    expect(maxAbsDiff(ours, EXPECTED_GELU)).toBeLessThan(TOLERANCE);
    // The activation matters here: the two references differ well beyond the tolerance.
    expect(maxAbsDiff(EXPECTED, EXPECTED_GELU)).toBeGreaterThan(1e-3);
  });
});

describe('CLIP text tower: what it reads', () => {
  it('reads exactly the text tower’s tensors: never visual.*, text_projection or logit_scale', async () => {
    const { file, reads } = spiedWeights(weights);
    await convertClipText({ weights: file });
    expect(new Set(reads)).toEqual(new Set(clipTextTensorShapes(clipTextDims(weights)).keys()));
    expect(reads).toHaveLength(new Set(reads).size);
    expect(reads.some((n) => n.startsWith('visual.') || n === 'text_projection' || n === 'logit_scale')).toBe(false);
    expect(weights.tensors.has('visual.proj')).toBe(true);
  });

  it('converts a copy whose visual.* storage is damaged (it is never read), to the same bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clip-text-'));
    try {
      const copy = join(dir, 'clip-text.pt');
      await copyFile(CHECKPOINT, copy);
      await damageStorage(copy, weights.tensors.get('visual.proj')!.storage);
      const damaged = await openWeights(copy);
      try {
        const [fromDamaged, fromClean] = await Promise.all([convertClipText({ weights: damaged }), convertClipText({ weights })]);
        expect(Buffer.from(fromDamaged).equals(Buffer.from(fromClean))).toBe(true);
        // The damage is real: reading the visual tensor fails.
        await expect(damaged.read('visual.proj')).rejects.toSatisfy(isWorkerError);
      } finally {
        await damaged.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('CLIP text tower: refusals', () => {
  const refusal = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isWorkerError(e)).toBe(true);
    return e as { code: string; message: string; details: { tensor?: string } };
  };

  it.each([
    'transformer.resblocks.1.mlp.c_proj.bias',
    'transformer.resblocks.0.attn.in_proj_weight',
    'transformer.resblocks.0.ln_1.weight',
    'transformer.resblocks.1.ln_1.weight',
    'positional_embedding',
    'ln_final.weight',
    'token_embedding.weight',
  ])('a missing %s is MODEL_LOAD_FAILED naming it, before any tensor is read', async (name) => {
    const { file, reads } = spiedWeights(weights, [name]);
    const e = await refusal(convertClipText({ weights: file }));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toContain(`"${name}"`);
    expect(e.details.tensor).toBe(name);
    expect(reads).toEqual([]);
  });

  it('a tensor of the wrong shape is MODEL_LOAD_FAILED naming it', async () => {
    const real = weights.tensors.get('transformer.resblocks.0.attn.out_proj.weight')!;
    const file: WeightsFile = {
      ...weights,
      tensors: new Map([...weights.tensors, ['transformer.resblocks.0.attn.out_proj.weight', { ...real, shape: [META.width, 64] }]]),
    };
    const e = await refusal(convertClipText({ weights: file }));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toContain('transformer.resblocks.0.attn.out_proj.weight');
  });

  it('a head count that does not divide the width is MODEL_LOAD_FAILED', async () => {
    const e = await refusal(convertClipText({ weights, heads: 3 }));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toMatch(/width 128 does not split into 3 heads/);
  });
});

/**
 * Damages a stored zip entry of a torch.save file in place: its local header's signature and its
 * bytes are overwritten, so any read of it fails, while the central directory (all `openWeights`
 * reads at open) stays intact.
 */
async function damageStorage(file: string, storageKey: string): Promise<void> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  let found: yauzl.Entry | undefined;
  try {
    for await (const entry of zip.eachEntry()) if (entry.fileName.endsWith(`/data/${storageKey}`)) found = entry;
  } finally {
    zip.close();
  }
  expect(found).toBeDefined();
  const handle = await open(file, 'r+');
  try {
    const header = Buffer.alloc(30);
    await handle.read(header, 0, 30, found!.relativeOffsetOfLocalHeader);
    const dataStart = found!.relativeOffsetOfLocalHeader + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    await handle.write(Buffer.alloc(found!.compressedSize, 0xff), 0, found!.compressedSize, dataStart);
    await handle.write(Buffer.alloc(4), 0, 4, found!.relativeOffsetOfLocalHeader);
  } finally {
    await handle.close();
  }
}
