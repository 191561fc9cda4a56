/**
 * Per-layer checks of the TF.js → ONNX converter: tiny layers models with random weights, converted
 * and run on ORT's CPU, against plain-loop NHWC references written here (not tfjs), to 1e-4.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { isWorkerError } from '../errors.js';
import { modelScale, tfjsLayersToOnnx } from './tfjs-layers.js';
import { parseTfjsLayersModel, type TfjsLayersModel } from './tfjs-package.js';

// ---- deterministic random data ------------------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const random = (n: number, r: () => number, lo = -0.5, hi = 0.5): Float32Array =>
  Float32Array.from({ length: n }, () => lo + (hi - lo) * r());

// ---- NHWC tensors and plain-loop references ------------------------------------------------------

interface T4 {
  data: Float32Array;
  /** [N, H, W, C] */
  shape: [number, number, number, number];
}
const at = (t: T4, { n, y, x, c }: { n: number; y: number; x: number; c: number }): number =>
  t.data[((n * t.shape[1] + y) * t.shape[2] + x) * t.shape[3] + c]!;
function make(shape: [number, number, number, number], f: (n: number, y: number, x: number, c: number) => number): T4 {
  const [N, H, W, C] = shape;
  const data = new Float32Array(N * H * W * C);
  for (let n = 0; n < N; n++)
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) data[((n * H + y) * W + x) * C + c] = f(n, y, x, c);
  return { data, shape };
}

function refConv({
  x,
  k,
  b,
  kh,
  kw,
  cout,
  padding,
}: {
  x: T4;
  k: Float32Array;
  b: Float32Array;
  kh: number;
  kw: number;
  cout: number;
  padding: 'same' | 'valid';
}): T4 {
  const [N, H, W, cin] = x.shape;
  const [pt, pl] = padding === 'same' ? [Math.floor((kh - 1) / 2), Math.floor((kw - 1) / 2)] : [0, 0];
  const [OH, OW] = padding === 'same' ? [H, W] : [H - kh + 1, W - kw + 1];
  return make([N, OH, OW, cout], (n, y, xx, o) => {
    let acc = b[o]!;
    for (let dy = 0; dy < kh; dy++)
      for (let dx = 0; dx < kw; dx++) {
        const sy = y + dy - pt;
        const sx = xx + dx - pl;
        if (sy < 0 || sy >= H || sx < 0 || sx >= W) continue;
        for (let i = 0; i < cin; i++) acc += at(x, { n, y: sy, x: sx, c: i }) * k[((dy * kw + dx) * cin + i) * cout + o]!;
      }
    return acc;
  });
}
const refRelu = (x: T4): T4 => make(x.shape, (n, y, xx, c) => Math.max(0, at(x, { n, y, x: xx, c })));
const refScale = (x: T4, s: number): T4 => make(x.shape, (n, y, xx, c) => at(x, { n, y, x: xx, c }) * s);
function refConcat(xs: T4[]): T4 {
  const [N, H, W] = xs[0]!.shape;
  const C = xs.reduce((a, t) => a + t.shape[3], 0);
  return make([N, H, W, C], (n, y, x, c) => {
    for (const t of xs) {
      if (c < t.shape[3]) return at(t, { n, y, x, c });
      c -= t.shape[3];
    }
    throw new Error('unreachable');
  });
}
const refAdd = (xs: T4[]): T4 => make(xs[0]!.shape, (n, y, x, c) => xs.reduce((a, t) => a + at(t, { n, y, x, c }), 0));
function refUpsample(x: T4, sh: number, sw: number): T4 {
  const [N, H, W, C] = x.shape;
  return make([N, H * sh, W * sw, C], (n, y, xx, c) => at(x, { n, y: Math.floor(y / sh), x: Math.floor(xx / sw), c }));
}
/** tf.depthToSpace(x, s, 'NHWC'): out[n, y·s+i, x·s+j, c] = in[n, y, x, (i·s + j)·C' + c]. */
function refDepthToSpace(x: T4, s: number): T4 {
  const [N, H, W, C] = x.shape;
  const co = C / (s * s);
  return make([N, H * s, W * s, co], (n, y, xx, c) =>
    at(x, { n, y: Math.floor(y / s), x: Math.floor(xx / s), c: ((y % s) * s + (xx % s)) * co + c }),
  );
}

// ---- tiny layers models --------------------------------------------------------------------------

interface Weight {
  name: string;
  shape: number[];
  data: Float32Array;
}
interface LayerJson {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}

const inputLayer = (c: number): LayerJson => ({
  class_name: 'InputLayer',
  name: 'in',
  config: { batch_input_shape: [null, null, null, c], dtype: 'float32', sparse: false, ragged: false, name: 'in' },
  inbound_nodes: [],
});
const layer = (className: string, name: string, from: string[], config: Record<string, unknown> = {}): LayerJson => ({
  class_name: className,
  name,
  config: { name, trainable: true, dtype: 'float32', ...config },
  inbound_nodes: [from.map((f) => [f, 0, 0, {}])],
});

interface ConvSpec {
  /** Square size, or [kh, kw]. */
  k: number | [number, number];
  cin: number;
  cout: number;
  padding: 'same' | 'valid';
  activation?: 'linear' | 'relu';
}
function conv(name: string, from: string, s: ConvSpec, r: () => number): { layer: LayerJson; weights: Weight[]; ref: (x: T4) => T4 } {
  const [kh, kw] = typeof s.k === 'number' ? [s.k, s.k] : s.k;
  const kernel = random(kh * kw * s.cin * s.cout, r);
  const bias = random(s.cout, r);
  return {
    layer: layer('Conv2D', name, [from], {
      filters: s.cout,
      kernel_size: [kh, kw],
      strides: [1, 1],
      padding: s.padding,
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      groups: 1,
      activation: s.activation ?? 'linear',
      use_bias: true,
    }),
    weights: [
      { name: `${name}/kernel`, shape: [kh, kw, s.cin, s.cout], data: kernel },
      { name: `${name}/bias`, shape: [s.cout], data: bias },
    ],
    ref: (x) => {
      const y = refConv({ x, k: kernel, b: bias, kh, kw, cout: s.cout, padding: s.padding });
      return s.activation === 'relu' ? refRelu(y) : y;
    },
  };
}

function modelJson(layers: LayerJson[], output: string, weights: Weight[], dtype = 'float32'): { json: unknown; bytes: Uint8Array } {
  const bytes = new Uint8Array(weights.reduce((n, w) => n + w.data.byteLength, 0));
  let o = 0;
  for (const w of weights) {
    bytes.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), o);
    o += w.data.byteLength;
  }
  return {
    json: {
      format: 'layers-model',
      generatedBy: 'test',
      modelTopology: {
        keras_version: '2.10.0',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Functional',
          config: { name: 'tiny', layers, input_layers: [['in', 0, 0]], output_layers: [[output, 0, 0]] },
        },
      },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype })) }],
    },
    bytes,
  };
}

function build(layers: LayerJson[], output: string, weights: Weight[] = []): TfjsLayersModel {
  const { json, bytes } = modelJson(layers, output, weights);
  return parseTfjsLayersModel(json, [bytes]);
}

/** Converts and runs on ORT's CPU: NHWC in, NHWC out (the ONNX model itself is NCHW). */
async function runOnnx(model: TfjsLayersModel, x: T4, inputRange: 1 | 255 = 1): Promise<T4> {
  const bytes = tfjsLayersToOnnx(model, { inputRange, name: 'tiny' });
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  try {
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    const [N, H, W, C] = x.shape;
    const nchw = new Float32Array(x.data.length);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++)
        for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) nchw[((n * C + c) * H + y) * W + xx] = at(x, { n, y, x: xx, c });
    const { output } = await session.run({ input: new ort.Tensor('float32', nchw, [N, C, H, W]) });
    const [on, oc, oh, ow] = output!.dims as [number, number, number, number];
    const o = output!.data as Float32Array;
    return make([on, oh, ow, oc], (n, y, xx, c) => o[((n * oc + c) * oh + y) * ow + xx]!);
  } finally {
    await session.release();
  }
}

function expectClose(got: T4, want: T4, tol = 1e-4): void {
  expect(got.shape).toEqual(want.shape);
  let max = 0;
  for (let i = 0; i < want.data.length; i++) max = Math.max(max, Math.abs(got.data[i]! - want.data[i]!));
  expect(max).toBeLessThanOrEqual(tol);
}

const input = (c: number, seed: number, shape: [number, number] = [7, 9], n = 2): T4 => {
  const r = rng(seed);
  return make([n, shape[0], shape[1], c], () => r());
};

// ---- the tests ---------------------------------------------------------------------------------

describe('tfjsLayersToOnnx, layer by layer', () => {
  for (const k of [1, 3, 5]) {
    for (const padding of ['same', 'valid'] as const) {
      it(`Conv2D ${k}x${k} ${padding}`, async () => {
        const c = conv('c', 'in', { k, cin: 3, cout: 4, padding }, rng(k * 10 + padding.length));
        const x = input(3, k);
        expectClose(await runOnnx(build([inputLayer(3), c.layer], 'c', c.weights), x), c.ref(x));
      });
    }
  }

  for (const padding of ['same', 'valid'] as const) {
    it(`Conv2D 2x3 ${padding} (even, non-square: Keras puts the odd pad at the end)`, async () => {
      const c = conv('c', 'in', { k: [2, 3], cin: 3, cout: 4, padding }, rng(30 + padding.length));
      const x = input(3, 30);
      expectClose(await runOnnx(build([inputLayer(3), c.layer], 'c', c.weights), x), c.ref(x));
    });
  }

  it('Conv2D with activation relu', async () => {
    const c = conv('c', 'in', { k: 3, cin: 3, cout: 5, padding: 'same', activation: 'relu' }, rng(7));
    const x = input(3, 7);
    const want = c.ref(x);
    expect(want.data.some((v) => v === 0) && want.data.some((v) => v > 0)).toBe(true);
    expectClose(await runOnnx(build([inputLayer(3), c.layer], 'c', c.weights), x), want);
  });

  it('Activation relu', async () => {
    const c = conv('c', 'in', { k: 3, cin: 3, cout: 4, padding: 'same' }, rng(8));
    const x = input(3, 8);
    const m = build([inputLayer(3), c.layer, layer('Activation', 'act', ['c'], { activation: 'relu' })], 'act', c.weights);
    expectClose(await runOnnx(m, x), refRelu(c.ref(x)));
  });

  for (const axis of [3, -1]) {
    it(`Concatenate axis ${axis}, three inputs`, async () => {
      const a = conv('a', 'in', { k: 3, cin: 3, cout: 2, padding: 'same' }, rng(9));
      const b = conv('b', 'in', { k: 1, cin: 3, cout: 5, padding: 'valid' }, rng(10));
      const x = input(3, 9);
      const m = build([inputLayer(3), a.layer, b.layer, layer('Concatenate', 'cat', ['in', 'a', 'b'], { axis })], 'cat', [
        ...a.weights,
        ...b.weights,
      ]);
      expectClose(await runOnnx(m, x), refConcat([x, a.ref(x), b.ref(x)]));
    });
  }

  for (const count of [2, 3]) {
    it(`Add of ${count} inputs`, async () => {
      const a = conv('a', 'in', { k: 3, cin: 3, cout: 3, padding: 'same' }, rng(11));
      const b = conv('b', 'in', { k: 5, cin: 3, cout: 3, padding: 'same' }, rng(12));
      const from = ['a', 'b', 'in'].slice(0, count);
      const x = input(3, 11);
      const m = build([inputLayer(3), a.layer, b.layer, layer('Add', 'sum', from)], 'sum', [...a.weights, ...b.weights]);
      expectClose(await runOnnx(m, x), refAdd([a.ref(x), b.ref(x), x].slice(0, count)));
    });
  }

  for (const size of [
    [2, 2],
    [3, 3],
    [2, 3],
  ] as const) {
    it(`UpSampling2D ${size.join('x')} nearest is an exact pixel repeat`, async () => {
      const x = input(3, 13);
      const m = build(
        [inputLayer(3), layer('UpSampling2D', 'up', ['in'], { size, data_format: 'channels_last', interpolation: 'nearest' })],
        'up',
      );
      const got = await runOnnx(m, x);
      expectClose(got, refUpsample(x, size[0], size[1]), 0);
    });
  }

  it('MultiplyBeta', async () => {
    const x = input(3, 14);
    const m = build([inputLayer(3), layer('MultiplyBeta', 'mb', ['in'], { beta: 0.2 })], 'mb');
    expectClose(await runOnnx(m, x), refScale(x, 0.2));
  });

  for (const s of [2, 3, 4]) {
    it(`PixelShuffle${s}x (depthToSpace NHWC)`, async () => {
      const c = s * s * 3;
      const x = input(c, 15 + s, [4, 5]);
      const m = build([inputLayer(c), layer(`PixelShuffle${s}x`, 'ps', ['in'], { scale: s })], 'ps');
      expectClose(await runOnnx(m, x), refDepthToSpace(x, s), 0);
    });
  }

  it('bakes a 0..255 range in: f(255·x)/255', async () => {
    const a = conv('a', 'in', { k: 3, cin: 3, cout: 3, padding: 'same', activation: 'relu' }, rng(20));
    const x = input(3, 20);
    const m = build([inputLayer(3), a.layer, layer('UpSampling2D', 'up', ['a'], { size: [2, 2] })], 'up', a.weights);
    const want = refScale(refUpsample(a.ref(refScale(x, 255)), 2, 2), 1 / 255);
    expectClose(await runOnnx(m, x, 255), want);
  });

  it('a small residual upscaler end to end (conv, relu, concat, multiply, add, upsample, shuffle)', async () => {
    const r = rng(21);
    const f0 = conv('f0', 'in', { k: 3, cin: 3, cout: 8, padding: 'same' }, r);
    const f1 = conv('f1', 'f0', { k: 3, cin: 8, cout: 4, padding: 'same', activation: 'relu' }, r);
    const lff = conv('lff', 'cat', { k: 1, cin: 12, cout: 8, padding: 'valid' }, r);
    const pre = conv('pre', 'res', { k: 3, cin: 8, cout: 12, padding: 'same' }, r);
    const sr = conv('sr', 'up', { k: 3, cin: 3, cout: 3, padding: 'same' }, r);
    const layers = [
      inputLayer(3),
      f0.layer,
      f1.layer,
      layer('Concatenate', 'cat', ['f0', 'f1'], { axis: 3 }),
      lff.layer,
      layer('MultiplyBeta', 'beta', ['lff'], { beta: 0.2 }),
      layer('Add', 'res', ['f0', 'beta']),
      pre.layer,
      layer('PixelShuffle2x', 'ps', ['pre'], { scale: 2 }),
      layer('UpSampling2D', 'up', ['ps'], { size: [2, 2] }),
      sr.layer,
    ];
    const m = build(
      layers,
      'sr',
      [f0, f1, lff, pre, sr].flatMap((c) => c.weights),
    );
    expect(modelScale(m)).toBe(4);
    const x = input(3, 21, [6, 5], 1);
    const a = f0.ref(x);
    const want = sr.ref(refUpsample(refDepthToSpace(pre.ref(refAdd([a, refScale(lff.ref(refConcat([a, f1.ref(a)])), 0.2)])), 2), 2, 2));
    expectClose(await runOnnx(m, x), want);
  });
});

describe('modelScale', () => {
  it('multiplies UpSampling2D sizes and PixelShuffle scales', () => {
    expect(modelScale(build([inputLayer(3), layer('UpSampling2D', 'up', ['in'], { size: [3, 3] })], 'up'))).toBe(3);
    expect(modelScale(build([inputLayer(27), layer('PixelShuffle3x', 'ps', ['in'], { scale: 3 })], 'ps'))).toBe(3);
  });

  it('refuses a non-uniform model', () => {
    expect(() => modelScale(build([inputLayer(3), layer('UpSampling2D', 'up', ['in'], { size: [2, 3] })], 'up'))).toThrow(
      /not a uniform upscaler/,
    );
  });
});

describe('unsupported models fail with MODEL_LOAD_FAILED', () => {
  const failure = (f: () => unknown): { code: string; message: string } => {
    try {
      f();
    } catch (e) {
      expect(isWorkerError(e)).toBe(true);
      return e as { code: string; message: string };
    }
    throw new Error('expected a throw');
  };
  const convert = (m: TfjsLayersModel) => () => tfjsLayersToOnnx(m, { inputRange: 1, name: 't' });

  it('an unknown layer class, naming the layer and the class', () => {
    const e = failure(convert(build([inputLayer(3), layer('Lambda', 'my_lambda', ['in'], { function: 'x' })], 'my_lambda')));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toContain('my_lambda');
    expect(e.message).toContain('Lambda');
  });

  it('a strided Conv2D', () => {
    const c = conv('c', 'in', { k: 3, cin: 3, cout: 4, padding: 'same' }, rng(1));
    (c.layer.config as { strides: number[] }).strides = [2, 2];
    const e = failure(convert(build([inputLayer(3), c.layer], 'c', c.weights)));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toMatch(/"c".*strides/);
  });

  it('bilinear UpSampling2D and a tanh Activation', () => {
    const up = failure(
      convert(build([inputLayer(3), layer('UpSampling2D', 'up', ['in'], { size: [2, 2], interpolation: 'bilinear' })], 'up')),
    );
    expect(up.code).toBe('MODEL_LOAD_FAILED');
    expect(up.message).toContain('"up"');
    const act = failure(convert(build([inputLayer(3), layer('Activation', 'act', ['in'], { activation: 'tanh' })], 'act')));
    expect(act.code).toBe('MODEL_LOAD_FAILED');
    expect(act.message).toContain('"act"');
  });

  it('a kernel whose shape does not match the layer', () => {
    const c = conv('c', 'in', { k: 3, cin: 4, cout: 4, padding: 'same' }, rng(1));
    const e = failure(convert(build([inputLayer(3), c.layer], 'c', c.weights)));
    expect(e.message).toMatch(/c\/kernel has shape \[3,3,4,4\], expected \[3,3,3,4\]/);
  });

  it('non-float32 or quantised weights, and shards of the wrong size', () => {
    const c = conv('c', 'in', { k: 1, cin: 3, cout: 4, padding: 'same' }, rng(1));
    const f16 = modelJson([inputLayer(3), c.layer], 'c', c.weights, 'float16');
    expect(failure(() => parseTfjsLayersModel(f16.json, [f16.bytes])).message).toMatch(/c\/kernel is float16; only unquantised float32/);
    const q = modelJson([inputLayer(3), c.layer], 'c', c.weights);
    const spec = (q.json as { weightsManifest: { weights: Record<string, unknown>[] }[] }).weightsManifest[0]!.weights[0]!;
    spec.quantization = { dtype: 'uint8', min: 0, scale: 1 };
    expect(failure(() => parseTfjsLayersModel(q.json, [q.bytes])).message).toMatch(/float32 quantised/);
    const ok = modelJson([inputLayer(3), c.layer], 'c', c.weights);
    expect(failure(() => parseTfjsLayersModel(ok.json, [ok.bytes.subarray(4)])).code).toBe('MODEL_LOAD_FAILED');
    expect(failure(() => parseTfjsLayersModel(ok.json, [new Uint8Array(ok.bytes.length + 4)])).message).toMatch(/manifest describes/);
    expect(failure(() => parseTfjsLayersModel({ modelTopology: {} }, [])).message).toMatch(/not a TF.js layers model/);
  });
});
