/**
 * The CLAP text tower converter (src/convert/clap-text/) against two references, both in
 * test/fixtures/clap-text/ (scripts/fixtures/make-clap-text-fixtures.py): a plain-torch CLAP text tower
 * (RoBERTa) written from HF `modeling_clap.py`'s design (Debian's torch 1.13, which cannot run transformers),
 * and HF transformers' own `ClapTextModelWithProjection` run on the same checkpoint and ids
 * (`--check-transformers`, transformers 5.17 and torch 2.14 from the machine's local wheels); see the fixture
 * README. Our reader + converter + ORT (CPU) must give the same `last_hidden_state` for a padded
 * batch, every row (padded ones too, which HunyuanVideo-Foley keeps). Every size comes from clap-text.json.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLAP_TEXT_DATA_LOCATION,
  type ClapTextDims,
  clapTextDims,
  clapTextTensorShapes,
  convertClapTextModel,
} from '../../src/convert/clap-text/index.js';
import { createOrtRuntime, tensor } from '../../src/inference/ort.js';
import { openWeights, type WeightsFile } from '../../src/models/weights/index.js';
import { loadFailure, maxAbsDiff, spiedWeights, tamperedWeights, shapesOnly } from '../helpers/weights.js';

const DIR = new URL('../fixtures/clap-text/', import.meta.url);
const CHECKPOINT = new URL('model.safetensors', DIR).pathname;
const META = JSON.parse(readFileSync(new URL('clap-text.json', DIR), 'utf8')) as {
  vocab: number;
  width: number;
  heads: number;
  layers: number;
  mlp_width: number;
  positions: number;
  pad_token_id: number;
  input_ids: number[][];
  attention_mask: number[][];
  last_hidden_state: { shape: [number, number, number] };
};
const EXPECTED = new Float32Array(new Uint8Array(readFileSync(new URL('clap-text.last_hidden_state.f32', DIR))).buffer);
const [, TOKENS, WIDTH] = META.last_hidden_state.shape;
/** The same states from HF transformers' ClapTextModelWithProjection (eager attention, all HF offers it). */
const UPSTREAM = new Float32Array(new Uint8Array(readFileSync(new URL('clap-text.transformers.last_hidden_state.f32', DIR))).buffer);
/**
 * Largest |ours − reference| allowed on a hidden state (post-LN values up to ~3.2 here). Measured (ORT
 * CPU, fp32, same float32 weights): 1.5e-6 against the from-design reference, 1.4e-6 between that and HF's
 * ClapTextModelWithProjection, 1.2e-6 against HF's. The bound leaves ~5× for other CPUs' kernels and still
 * catches each detail gone wrong, as measured by changing it in the graph: LayerNorm eps 1e-5 instead of
 * 1e-12 → 1.3e-5; tanh-GELU instead of exact → 5.9e-4; no padding mask → 1.3; positions without
 * RoBERTa's padding_idx offset → 2.8; pre-LN instead of post-LN → 4.6.
 */
const TOLERANCE = 8e-6;

const runtime = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });

async function runModel(model: string | Uint8Array, ids: number[][]): Promise<Float32Array> {
  const session = await runtime.createSession(model, { cpuOnly: true });
  try {
    const flat = BigInt64Array.from(ids.flat(), (v) => BigInt(v));
    const out = await session.run({ input_ids: tensor('int64', flat, [ids.length, ids[0]!.length]) });
    const hidden = out.last_hidden_state!;
    expect(hidden.dims).toEqual([ids.length, ids[0]!.length, WIDTH]);
    return hidden.data as Float32Array;
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

describe('CLAP text tower: parity with the reference', () => {
  it('reads the sizes off the tensors', () => {
    expect(clapTextDims(weights, { heads: META.heads })).toEqual({
      vocab: META.vocab,
      width: META.width,
      positions: META.positions,
      maxTokens: META.positions - META.pad_token_id - 1,
      layers: META.layers,
      mlpWidth: META.mlp_width,
      heads: META.heads,
      padTokenId: META.pad_token_id,
    });
  });

  it('reads larger_clap_general’s sizes off its tensor shapes, with 12 heads of 64 and 512 tokens by default', () => {
    const large: ClapTextDims = {
      vocab: 50265,
      width: 768,
      positions: 514,
      maxTokens: 512,
      layers: 12,
      mlpWidth: 3072,
      heads: 12,
      padTokenId: 1,
    };
    const shapes = clapTextTensorShapes(large);
    // Shapes only: nothing is read, so a table of TensorInfo without bytes stands in for the real file.
    const file = shapesOnly(weights, shapes);
    expect(clapTextDims(file)).toEqual(large);
    expect(shapes.size).toBe(5 + 16 * 12);
  });

  it('gives the reference’s last_hidden_state for a padded batch, every row', async () => {
    const converted = await convertClapTextModel({ weights, heads: META.heads });
    expect(converted.inputName).toBe('input_ids');
    expect(converted.outputName).toBe('last_hidden_state');
    expect(converted.data).toBeUndefined(); // `auto`: a small tower stays inline
    // The fixture's mask is exactly ids != <pad>, which is what the graph derives.
    expect(META.attention_mask).toEqual(META.input_ids.map((row) => row.map((id) => (id === META.pad_token_id ? 0 : 1))));
    expect(META.input_ids.some((row) => row.includes(META.pad_token_id))).toBe(true);
    const ours = await runModel(converted.model, META.input_ids);
    expect(maxAbsDiff(ours, EXPECTED)).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(ours, UPSTREAM)).toBeLessThan(TOLERANCE);
    // The reference proves something: prompts differ, and a padded row is a state of its own (not the
    // last real token's, not zero; every <pad> of a row is the same id at position 1 seeing the same keys).
    const at = (row: number, token: number) => EXPECTED.subarray((row * TOKENS + token) * WIDTH, (row * TOKENS + token + 1) * WIDTH);
    expect(maxAbsDiff(at(0, 1), at(1, 1))).toBeGreaterThan(0.05);
    const short = META.input_ids.findIndex((row) => row.at(-1) === META.pad_token_id);
    const end = META.input_ids[short]!.indexOf(META.pad_token_id) - 1;
    expect(maxAbsDiff(at(short, TOKENS - 1), at(short, end))).toBeGreaterThan(0.05);
    expect(Math.max(...at(short, TOKENS - 1).map(Math.abs))).toBeGreaterThan(0.1);
  });

  it('a prompt alone, unpadded, gives its real tokens’ rows of the padded batch (padding is masked, positions unmoved)', async () => {
    const { model } = await convertClapTextModel({ weights, heads: META.heads });
    const row = META.input_ids.findIndex((r) => r.includes(META.pad_token_id));
    const real = META.input_ids[row]!.filter((id) => id !== META.pad_token_id);
    const alone = await runModel(model, [real]);
    const start = row * TOKENS * WIDTH;
    expect(maxAbsDiff(alone, EXPECTED.subarray(start, start + real.length * WIDTH))).toBeLessThan(TOLERANCE);
  });

  it('with external data (model + data file beside it, as ORT loads them) gives the same states', async () => {
    const split = await convertClapTextModel({ weights, heads: META.heads, storage: 'external' });
    const data = split.data!;
    expect(data.location).toBe(CLAP_TEXT_DATA_LOCATION);
    const dir = await mkdtemp(join(tmpdir(), 'clap-text-'));
    try {
      await writeFile(join(dir, 'clap_text.onnx'), split.model);
      await writeFile(join(dir, data.location), Buffer.concat(data.chunks));
      expect(maxAbsDiff(await runModel(join(dir, 'clap_text.onnx'), META.input_ids), EXPECTED)).toBeLessThan(TOLERANCE);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('CLAP text tower: what it reads', () => {
  it('reads exactly the encoder’s tensors, each once: never the int64 buffers, pooler, projections, audio or logit scales', async () => {
    const { file, reads } = spiedWeights(weights);
    await convertClapTextModel({ weights: file, heads: META.heads });
    const skipped = ['text_model.embeddings.position_ids', 'text_model.embeddings.token_type_ids', 'text_model.pooler.'];
    const wanted = [...weights.tensors.keys()].filter((n) => n.startsWith('text_model.') && !skipped.some((s) => n.startsWith(s)));
    expect(new Set(reads)).toEqual(new Set(wanted));
    expect(new Set(reads)).toEqual(new Set(clapTextTensorShapes(clapTextDims(weights, { heads: META.heads })).keys()));
    expect(reads).toHaveLength(new Set(reads).size);
    // The file does hold the rest of a ClapModel (the converter skips it, not the fixture).
    const rest = [
      'text_model.embeddings.position_ids',
      'text_model.pooler.dense.weight',
      'text_projection.linear1.weight',
      'text_projection.linear2.bias',
      'audio_projection.linear1.weight',
      'logit_scale_a',
      'logit_scale_t',
    ];
    expect(rest.filter((n) => !weights.tensors.has(n))).toEqual([]);
    expect(weights.tensors.get('text_model.embeddings.position_ids')?.dtype).toBe('int64');
  });
});

describe('CLAP text tower: refusals', () => {
  it.each([
    'text_model.embeddings.word_embeddings.weight',
    'text_model.embeddings.position_embeddings.weight',
    'text_model.embeddings.token_type_embeddings.weight',
    'text_model.embeddings.LayerNorm.bias',
    'text_model.encoder.layer.0.attention.self.query.weight',
    'text_model.encoder.layer.0.attention.output.LayerNorm.weight',
    `text_model.encoder.layer.${META.layers - 1}.intermediate.dense.bias`,
    `text_model.encoder.layer.${META.layers - 1}.output.LayerNorm.bias`,
  ])('a missing %s is MODEL_LOAD_FAILED naming it, before any tensor is read', async (name) => {
    const { file, reads } = spiedWeights(weights, [name]);
    const e = (await loadFailure(convertClapTextModel({ weights: file, heads: META.heads }))) as {
      message: string;
      details: { tensor?: string };
    };
    expect(e.message).toContain(`"${name}"`);
    expect(e.details.tensor).toBe(name);
    expect(reads).toEqual([]);
  });

  it('no layer at all is MODEL_LOAD_FAILED naming layer 0', async () => {
    const layers = [...weights.tensors.keys()].filter((n) => n.startsWith('text_model.encoder.'));
    const e = await loadFailure(convertClapTextModel({ weights: spiedWeights(weights, layers).file, heads: META.heads }));
    expect(e.message).toContain('"text_model.encoder.layer.0.attention.self.query.weight"');
  });

  it.each([
    ['text_model.encoder.layer.0.attention.self.key.weight', [META.width, META.width + 1]],
    ['text_model.encoder.layer.0.output.dense.weight', [META.width, META.mlp_width + 1]],
    ['text_model.embeddings.position_embeddings.weight', [META.positions, META.width + 1]],
    ['text_model.embeddings.token_type_embeddings.weight', [2, META.width]],
    ['text_model.embeddings.position_embeddings.weight', [1, META.width]],
  ] as [string, number[]][])('%s of shape %j is MODEL_LOAD_FAILED naming it', async (name, shape) => {
    const file = tamperedWeights(weights, { reshape: [name, shape], source: name });
    const e = await loadFailure(convertClapTextModel({ weights: file, heads: META.heads }));
    expect(e.message).toContain(`"${name}"`);
  });

  it('a head count that does not divide the width is MODEL_LOAD_FAILED', async () => {
    let heads = 2;
    while (META.width % heads === 0) heads++;
    const e = await loadFailure(convertClapTextModel({ weights, heads }));
    expect(e.message).toContain(`width ${META.width} does not split into ${heads} heads`);
  });
});
