/**
 * The HunyuanVideo-Foley DiT converter (src/convert/hvf-dit/) and sampler
 * (src/pipelines/foley/engines/hunyuan/sampler.ts) against upstream: test/fixtures/hvf-dit/, written
 * by scripts/fixtures/make-hvf-dit-fixtures.py from upstream's own `HunyuanVideoFoley` and
 * `denoise_process` (reduced XL structure: hidden 64 = 2 heads of 32, 2 triple + 2 single blocks;
 * latent 20 frames of 128 channels, clip 8, sync 16, text 12 tokens; random bf16 weights). Our reader +
 * converter + ORT (CPU) must give upstream's conditions, velocity, and the final latent of a
 * 3-step Euler run with CFG 4.5. Every size comes from case.json.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConvertedHvfDit,
  convertHvfDit,
  defaultSequenceLengths,
  HVF_CONDITION_NAMES,
  hvfDitDims,
  hvfDitFp32Bytes,
  hvfDitTensorShapes,
  hvfSequenceLengths,
  hvfVariantDims,
  UNUSED_TENSORS,
} from '../../src/convert/hvf-dit/index.js';
import { buildConditionsGraph, buildFlowGraph } from '../../src/convert/hvf-dit/graphs.js';
import { hvfWindowTables, type WindowTable } from '../../src/convert/hvf-dit/window-tables.js';
import { interleavedRope } from '../../src/convert/hvf-dit/tables.js';
import { readHvfDitWeights } from '../../src/convert/hvf-dit/weights.js';
import { resolvePrecision } from '../../src/convert/onnx-graph.js';
import { isWorkerError } from '../../src/errors.js';
import { createOrtRuntime, tensor } from '../../src/inference/ort.js';
import { openWeights, type WeightsFile } from '../../src/models/weights/index.js';
import { hvfSchedule, sampleHvf } from '../../src/pipelines/foley/engines/hunyuan/sampler.js';

const DIR = new URL('../fixtures/hvf-dit/', import.meta.url);

interface Case {
  hidden: number;
  head_size: number;
  heads: number;
  triple: number;
  single: number;
  mlp_hidden: number;
  conv_mlp_hidden: number;
  sync_mlp_hidden: number;
  latent_dim: number;
  clip_dim: number;
  sync_feat_dim: number;
  condition_dim: number;
  latent_len: number;
  clip_len: number;
  sync_len: number;
  text_len: number;
  cfg_strength: number;
  steps: number;
  batch: number;
  tensors: Record<string, { shape: number[]; offset: number }>;
}

const m = JSON.parse(readFileSync(new URL('case.json', DIR), 'utf8')) as Case;
const bytes = new Uint8Array(readFileSync(new URL('hvf-dit.f32', DIR)));
function get(name: string): Float32Array {
  const { shape, offset } = m.tensors[name]!;
  const n = shape.reduce((a, b) => a * b, 1);
  return new Float32Array(bytes.slice(offset, offset + 4 * n).buffer);
}

/**
 * Largest |ours − upstream| over the reference's largest magnitude, per tensor. Measured (ORT CPU,
 * fp32, both sides fp32 on the same bf16-rounded weights): conditions ≤ 3.4e-7, the streams inside
 * ≤ 1.6e-6, velocity 1.9e-6. The bound leaves ~5× and still catches each detail gone wrong, as
 * measured by changing it in the converter: the t-embedding's frequencies off by one float ulp →
 * 1.3e-5; the visual tokens' interleaved RoPE at 2·j instead of 2·j + 1 → 2.3e-2; the audio's
 * interleaved RoPE at positions j instead of 2·j → 9.5e-2; the final layer's adaLN applied
 * ("fixing" upstream's `modulate`, which drops a per-token shift/scale) → 0.59. LayerNorm and RMS
 * eps (1e-6 against 1e-5 or 2⁻²³) move it by ≤ 1.6e-6: below what this fixture can see.
 */
const TOLERANCE = 1e-5;
/** The 3-step CFG run (upstream's denoise_process): measured 1.85e-6 on the final latent; triple-block eps 1e-5 → 5e-4. */
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
const seq = { latent: m.latent_len, clip: m.clip_len, sync: m.sync_len };
/** The same network, another window (written with `--lengths 30 10 24`; its weights are the fixture's, byte for byte). */
const second = (() => {
  const dir = new URL('length-30/', DIR);
  const c = JSON.parse(readFileSync(new URL('case.json', dir), 'utf8')) as Case;
  const b = new Uint8Array(readFileSync(new URL('hvf-dit.f32', dir)));
  return {
    m: c,
    get(name: string): Float32Array {
      const { shape, offset } = c.tensors[name]!;
      const n = shape.reduce((x, y) => x * y, 1);
      return new Float32Array(b.slice(offset, offset + 4 * n).buffer);
    },
  };
})();

describe('HunyuanVideo-Foley DiT: parity with upstream', () => {
  let weights: WeightsFile;
  let converted: ConvertedHvfDit;
  let conditions: Session;
  let flow: Session;
  const runConditions = async (o: { clip: Float32Array; sync: Float32Array; text: Float32Array; batch: number }) => {
    const out = await conditions.run({
      clip_features: tensor('float32', o.clip, [o.batch, seq.clip, m.clip_dim]),
      sync_features: tensor('float32', o.sync, [o.batch, seq.sync, m.sync_feat_dim]),
      text_features: tensor('float32', o.text, [o.batch, o.text.length / o.batch / m.condition_dim, m.condition_dim]),
    });
    return Object.fromEntries(HVF_CONDITION_NAMES.map((k) => [k, out[k]!.data as Float32Array])) as Record<string, Float32Array>;
  };
  const flowFeeds = (o: { latent: Float32Array; t: Float32Array; cond: Record<string, Float32Array>; batch: number }) => ({
    latent: tensor('float32', o.latent, [o.batch, m.latent_dim, seq.latent]),
    t: tensor('float32', o.t, [o.batch]),
    visual: tensor('float32', o.cond.visual!, [o.batch, seq.clip, m.hidden]),
    sync: tensor('float32', o.cond.sync!, [o.batch, seq.latent, m.hidden]),
    text: tensor('float32', o.cond.text!, [o.batch, o.cond.text!.length / o.batch / m.hidden, m.hidden]),
  });
  const referenceConditions = () => ({ visual: get('cond.visual'), sync: get('cond.sync'), text: get('cond.text') });

  beforeAll(async () => {
    weights = await openWeights(new URL('hvf-dit.pt', DIR).pathname);
    converted = await convertHvfDit({ weights, variant: 'xl', sequence: seq });
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
      headSize: m.head_size,
      latentDim: m.latent_dim,
      clipDim: m.clip_dim,
      syncDim: m.sync_feat_dim,
      textDim: m.condition_dim,
      frequencies: 256,
      mlpHidden: m.mlp_hidden,
      convMlpHidden: m.conv_mlp_hidden,
      syncMlpHidden: m.sync_mlp_hidden,
      triple: m.triple,
      single: m.single,
    });
    expect(converted.sequence).toEqual(seq);
  });

  it('gives upstream’s conditions (visual_proj, sync_in upsampled, cond_in)', async () => {
    const ours = await runConditions({ clip: get('clip_feat'), sync: get('sync_feat'), text: get('text_feat'), batch: m.batch });
    const ref = referenceConditions();
    for (const k of HVF_CONDITION_NAMES) {
      expect(relDiff(ours[k]!, ref[k]), k).toBeLessThan(TOLERANCE);
    }
  });

  it('gives upstream’s velocity (one step at batch 2, two values of t)', async () => {
    const out = await flow.run(flowFeeds({ latent: get('latent'), t: get('t'), cond: referenceConditions(), batch: m.batch }));
    const ref = get('velocity');
    expect(relDiff(out.velocity!.data as Float32Array, ref)).toBeLessThan(TOLERANCE);
    // The reference proves something: the rows differ (t and conditions matter).
    const half = ref.length / 2;
    expect(relDiff(ref.subarray(0, half), ref.subarray(half))).toBeGreaterThan(0.05);
  });

  it('matches upstream inside the network too: after triple block 0, after the triple blocks, after single block 0', async () => {
    // Upstream's forward hooks recorded these streams; a regression shows where it starts.
    const w = await readHvfDitWeights(weights);
    const g = buildFlowGraph(w, seq);
    const inside = {
      'triple_blocks.0.audio3.res': 'debug.triple0.audio',
      [`triple_blocks.${m.triple - 1}.audio3.res`]: 'debug.triple.audio',
      'single_blocks.0.r2.res': 'debug.single0',
    };
    for (const name of Object.keys(inside)) g.addOutput(name, ['batch', seq.latent, m.hidden]);
    const session = await runtime.createSession(g.encode({ producerName: 'test', producerVersion: '0' }), { cpuOnly: true });
    try {
      const out = await session.run(flowFeeds({ latent: get('latent'), t: get('t'), cond: referenceConditions(), batch: m.batch }));
      for (const [name, ref] of Object.entries(inside))
        expect(relDiff(out[name]!.data as Float32Array, get(ref)), name).toBeLessThan(TOLERANCE);
    } finally {
      await session.release();
    }
  });

  it('with external data (model + data file beside it, as ORT loads them) gives the same velocity', async () => {
    expect(converted.flow.data).toBeUndefined(); // small graphs stay inline under 'auto'
    const split = await convertHvfDit({ weights, variant: 'xl', sequence: seq, storage: 'external' });
    const data = split.flow.data!;
    expect(data.location).toBe('hvf_flow.onnx.data');
    expect(split.flow.model.length).toBeLessThan(converted.flow.model.length / 4);
    const dir = await mkdtemp(join(tmpdir(), 'hvf-dit-'));
    try {
      await writeFile(join(dir, 'flow.onnx'), split.flow.model);
      await writeFile(join(dir, data.location), Buffer.concat(data.chunks));
      const session = await runtime.createSession(join(dir, 'flow.onnx'), { cpuOnly: true });
      try {
        const feeds = flowFeeds({ latent: get('latent'), t: get('t'), cond: referenceConditions(), batch: m.batch });
        const [a, b] = [await session.run(feeds), await flow.run(feeds)];
        expect(Array.from(a.velocity!.data as Float32Array)).toEqual(Array.from(b.velocity!.data as Float32Array));
      } finally {
        await session.release();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('with the flow graph’s weights stored in fp16: half the bytes, and upstream’s velocity as closely as in fp32', async () => {
    expect(converted.precision).toBe('fp32'); // a reduced network stays fp32 under 'auto'
    const half = await convertHvfDit({ weights, variant: 'xl', sequence: seq, precision: 'fp16' });
    expect(half.precision).toBe('fp16');
    expect(half.flow.model.length / converted.flow.model.length).toBeLessThan(0.6);
    // The conditions graph stays fp32: only the metadata's `weights` entry differs.
    expect(Math.abs(half.conditions.model.length - converted.conditions.model.length)).toBeLessThan(16);
    const session = await runtime.createSession(half.flow.model, { cpuOnly: true });
    try {
      const out = await session.run(flowFeeds({ latent: get('latent'), t: get('t'), cond: referenceConditions(), batch: m.batch }));
      // The fixture's weights are bf16, as XXL's are: fp16 holds every bf16 value of its normal range
      // (|w| ≥ 6.1e-5) exactly, so storing them in fp16 loses nothing here — measured 1.92e-6, as fp32.
      expect(relDiff(out.velocity!.data as Float32Array, get('velocity'))).toBeLessThan(TOLERANCE);
    } finally {
      await session.release();
    }
  });

  it('one length-dynamic graph pair, fed each window’s tables, gives upstream’s conditions and velocity at two lengths', async () => {
    const enc = (g: { encode: (o: { producerName: string; producerVersion: string }) => Uint8Array }) =>
      g.encode({ producerName: 'test', producerVersion: '0' });
    const cond = await runtime.createSession(enc(buildConditionsGraph(await readHvfDitWeights(weights), 'dynamic')), { cpuOnly: true });
    const dyn = await runtime.createSession(enc(buildFlowGraph(await readHvfDitWeights(weights), 'dynamic')), { cpuOnly: true });
    const feed = (t: Record<string, WindowTable>) =>
      Object.fromEntries(Object.entries(t).map(([k, v]) => [k, tensor(v.type, v.data, v.dims)]));
    try {
      // The fixture's window (latent 20, clip 8, sync 16) and a second one upstream ran on the same weights (30, 10, 24).
      for (const c of [{ m, get }, second]) {
        const n = { latent: c.m.latent_len, clip: c.m.clip_len, sync: c.m.sync_len };
        const tables = hvfWindowTables(n, m.head_size);
        const text = c.get('text_feat');
        const out = await cond.run({
          clip_features: tensor('float32', c.get('clip_feat'), [m.batch, n.clip, m.clip_dim]),
          sync_features: tensor('float32', c.get('sync_feat'), [m.batch, n.sync, m.sync_feat_dim]),
          text_features: tensor('float32', text, [m.batch, text.length / m.batch / m.condition_dim, m.condition_dim]),
          ...feed(tables.conditions),
        });
        const ref = { visual: c.get('cond.visual'), sync: c.get('cond.sync'), text: c.get('cond.text') };
        for (const k of HVF_CONDITION_NAMES)
          expect(relDiff(out[k]!.data as Float32Array, ref[k]), `${k} at ${n.latent}`).toBeLessThan(TOLERANCE);
        const feeds = {
          latent: tensor('float32', c.get('latent'), [m.batch, m.latent_dim, n.latent]),
          t: tensor('float32', c.get('t'), [m.batch]),
          visual: tensor('float32', ref.visual, [m.batch, n.clip, m.hidden]),
          sync: tensor('float32', ref.sync, [m.batch, n.latent, m.hidden]),
          text: tensor('float32', ref.text, [m.batch, ref.text.length / m.batch / m.hidden, m.hidden]),
          ...feed(tables.flow),
        };
        const v = await dyn.run(feeds);
        expect(relDiff(v.velocity!.data as Float32Array, c.get('velocity')), `velocity at ${n.latent}`).toBeLessThan(TOLERANCE);
      }
    } finally {
      await cond.release();
      await dyn.release();
    }
  });

  it('reproduces upstream’s denoise_process: 3 Euler steps with CFG 4.5 over our graphs', async () => {
    const row = (k: string) => get(k).subarray(0, get(k).length / m.batch);
    // Upstream's batch: [unconditional, conditional]; the unconditional side has the learned empty
    // SigLIP2/Synchformer features and the negative prompt's text.
    const uncond = await runConditions({
      clip: broadcast(converted.empty.clip, seq.clip),
      sync: broadcast(converted.empty.sync, seq.sync),
      text: get('neg_text_feat'),
      batch: 1,
    });
    const cond = await runConditions({ clip: row('clip_feat'), sync: row('sync_feat'), text: row('text_feat'), batch: 1 });
    const both = Object.fromEntries(HVF_CONDITION_NAMES.map((k) => [k, Float32Array.from([...uncond[k]!, ...cond[k]!])]));
    const final = await sampleHvf({
      x0: get('x0'),
      steps: m.steps,
      guidanceScale: m.cfg_strength,
      velocity: async (x, t) => {
        const out = await flow.run(flowFeeds({ latent: broadcast(x, 2), t: new Float32Array([t, t]), cond: both, batch: 2 }));
        const v = out.velocity!.data as Float32Array;
        return { uncond: v.slice(0, x.length), cond: v.slice(x.length) };
      },
    });
    expect(relDiff(final, get('final'))).toBeLessThan(SAMPLER_TOLERANCE);
    expect(relDiff(get('x0'), get('final'))).toBeGreaterThan(0.1);
  });
});

describe('HunyuanVideo-Foley DiT: sizes and refusals', () => {
  let weights: WeightsFile;
  beforeAll(async () => {
    weights = await openWeights(new URL('hvf-dit.pt', DIR).pathname);
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
    'triple_blocks.0.audio_self_q_norm.weight',
    'triple_blocks.1.text_cross_kv.bias',
    'triple_blocks.1.v_cond_mlp.fc2.weight',
    'single_blocks.1.linear2.w3.weight',
    'single_blocks.0.modulation.linear.bias',
    'sync_pos_emb',
    'empty_clip_feat',
    'empty_sync_feat',
    'final_layer.linear.weight',
    'audio_embedder.proj.weight',
  ])('a missing %s is MODEL_LOAD_FAILED naming it', async (tensor) => {
    const e = await refusal(convertHvfDit({ weights: hide([tensor]), variant: 'xl', sequence: seq }));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toContain(`"${tensor}"`);
  });

  it('needs every tensor of the checkpoint but the final layer’s dead adaLN, and lists nothing it does not hold', () => {
    const shapes = hvfDitTensorShapes(hvfDitDims(weights));
    expect(new Set([...shapes.keys(), ...UNUSED_TENSORS])).toEqual(new Set([...weights.tensors.keys()]));
    for (const name of UNUSED_TENSORS) expect(shapes.has(name)).toBe(false);
    for (const [name, shape] of shapes) expect(weights.tensors.get(name)!.shape, name).toEqual(shape);
  });

  it('a tensor of the wrong shape is MODEL_LOAD_FAILED naming it', async () => {
    const name = 'single_blocks.0.linear1.weight';
    const real = weights.tensors.get(name)!;
    const h = real.shape[0]!;
    const file: WeightsFile = { ...weights, tensors: new Map([...weights.tensors, [name, { ...real, shape: [h, h, 1] }]]) };
    const e = await refusal(convertHvfDit({ weights: file, variant: 'xl', sequence: seq }));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toContain(`"${name}" has shape [${h},${h},1], expected [${h},${h},3]`);
  });

  it('a released network named as the other variant is MODEL_LOAD_FAILED', async () => {
    // The fixture's tensor list with XXL's width but XL's name: refused on its sizes, before anything is read.
    const xxl = hvfVariantDims('xxl');
    const tensors = new Map(
      [...hvfDitTensorShapes({ ...xxl, triple: 1, single: 0 })].map(([n, shape]) => [
        n,
        { ...weights.tensors.get('sync_pos_emb')!, shape },
      ]),
    );
    const read = async (): Promise<Buffer> => {
      throw new Error('read');
    };
    const e = await refusal(convertHvfDit({ weights: { ...weights, tensors, read }, variant: 'xl' }));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toMatch(/hidden 1536, 1 triple \+ 0 single blocks\) is not the xl network/);
    // Named right but with the wrong depths (a cut-down file) is refused too.
    expect((await refusal(convertHvfDit({ weights: { ...weights, tensors, read }, variant: 'xxl' }))).code).toBe('MODEL_LOAD_FAILED');
  });

  it('refuses sequence lengths upstream could not run (sync not whole 8-frame segments)', async () => {
    await expect(convertHvfDit({ weights, variant: 'xl', sequence: { ...seq, sync: 12 } })).rejects.toThrow(RangeError);
  });

  it('the window table: 8 s by default (latent 400, clip 64, sync 192), up to 15 s', () => {
    expect(defaultSequenceLengths()).toEqual({ latent: 400, clip: 64, sync: 192 });
    expect(hvfSequenceLengths({ duration: 15 })).toEqual({ latent: 750, clip: 120, sync: 360 });
    expect(hvfSequenceLengths({ duration: 0.4 + 0.24 })).toEqual({ latent: 32, clip: 5, sync: 8 });
  });

  it('the released networks’ sizes: head size 128, ConvMLP widths 3840 (XL) and 4096 (XXL)', () => {
    const xl = hvfVariantDims('xl');
    const xxl = hvfVariantDims('xxl');
    expect([xl.hidden, xl.heads, xl.headSize, xl.triple, xl.single, xl.convMlpHidden]).toEqual([1408, 11, 128, 12, 24, 3840]);
    expect([xxl.hidden, xxl.heads, xxl.headSize, xxl.triple, xxl.single, xxl.convMlpHidden]).toEqual([1536, 12, 128, 18, 36, 4096]);
    // fp32 weights: over the external-data threshold for both; XXL's past what a 24 GB GPU holds, so `auto` stores it in fp16.
    expect(hvfDitFp32Bytes(xl) / 2 ** 30).toBeCloseTo(10.8, 1);
    expect(hvfDitFp32Bytes(xxl) / 2 ** 30).toBeCloseTo(19.1, 1);
    expect(resolvePrecision('auto', hvfDitFp32Bytes(xl))).toBe('fp32');
    expect(resolvePrecision('auto', hvfDitFp32Bytes(xxl))).toBe('fp16');
    expect(resolvePrecision('fp16', hvfDitFp32Bytes(xl))).toBe('fp16');
  });

  it('the interleaved RoPE round trip (clip 8 → latent 20 → 8) and the schedule', () => {
    const r = interleavedRope({ latent: 20, clip: 8 });
    expect(r.audio.slice(0, 3)).toEqual([0, 2, 4]);
    expect(r.visualSource).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // down[c] = floor((c + 0.5) · 2.5) = 1, 3, 6, 8, 11, 13, 16, 18 → positions 2·down + 1; up[down[c]] = c.
    expect(r.visual).toEqual([3, 7, 13, 17, 23, 27, 33, 37]);
    const { sigmas, timesteps } = hvfSchedule(3);
    // torch.linspace(1, 0, 4) in float32: 1 + step counting down, the second half from 0 back up.
    expect(Array.from(sigmas)).toEqual([1, Math.fround(1 + Math.fround(-1 / 3)), Math.fround(1 / 3), 0]);
    expect(timesteps.length).toBe(3);
    expect(timesteps[0]).toBe(1000);
  });
});
