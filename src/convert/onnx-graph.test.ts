/**
 * Weights stored in half precision (`createOnnxGraph(name, { weights: 'fp16' })`): the same graph
 * built both ways and run in ORT, inline and with external data; the half graph's large weights
 * are float16 in the file, its small ones float32, and its output differs from the float32 graph's
 * by fp16's rounding of the weights alone.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromFloat16, toFloat16 } from '../inference/float16.js';
import { createOrtRuntime, tensor } from '../inference/ort.js';
import { createOnnxGraph, HALF_WEIGHTS_FROM, type WeightPrecision } from './onnx-graph.js';

const runtime = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });
const [N, K, M] = [3, 64, 48];
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onnx-half-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Deterministic values in ±scale. */
function values(n: number, seed: number, scale: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 30 - 1) * scale;
  });
}

const W = values(K * M, 1, 0.05);
const B = values(M, 2, 0.5);
const T = values(K * M, 4, 0.05);
const X = values(N * K, 3, 1);

/** y = tanh(x·W + b + t): W has K·M ≥ HALF_WEIGHTS_FROM values, b fewer, t as many as W but `exact`. */
function affine(weights: WeightPrecision) {
  const g = createOnnxGraph('affine', { weights });
  g.addInput('x', [N, K]);
  g.addNode('MatMul', ['x', g.addInitializer('W', [K, M], W)], ['xw']);
  g.addNode('Add', ['xw', g.addInitializer('b', [M], B)], ['xwb']);
  g.addNode('MatMul', ['x', g.addInitializer('T', [K, M], T, { exact: true })], ['xt']);
  g.addNode('Add', ['xwb', 'xt'], ['sum']);
  g.addNode('Tanh', ['sum'], ['y']);
  g.addOutput('y', [N, M]);
  return g;
}

async function run(model: string | Uint8Array): Promise<Float32Array> {
  const s = await runtime.createSession(model);
  try {
    const { y } = await s.run({ x: tensor('float32', X, [N, K]) });
    return y!.data as Float32Array;
  } finally {
    await s.release();
  }
}

/** y computed in float64 from the given weights. */
function reference(w: Float32Array): Float64Array {
  const y = new Float64Array(N * M);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      let acc = B[m]!;
      for (let k = 0; k < K; k++) acc += X[n * K + k]! * (w[k * M + m]! + T[k * M + m]!);
      y[n * M + m] = Math.tanh(acc);
    }
  }
  return y;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};

describe('weights stored in half precision', () => {
  it('keeps the large weight as float16 behind a Cast, the bias and the exact table as float32', () => {
    expect(K * M).toBeGreaterThanOrEqual(HALF_WEIGHTS_FROM);
    expect(M).toBeLessThan(HALF_WEIGHTS_FROM);
    const half = affine('fp16');
    expect(half.initializerBytes()).toBe(K * M * 2 + M * 4 + K * M * 4);
    expect(affine('fp32').initializerBytes()).toBe(K * M * 4 + M * 4 + K * M * 4);
    const model = onnxProto.onnx.ModelProto.decode(half.encode({ producerName: 't', producerVersion: '1' }));
    const types = Object.fromEntries(model.graph!.initializer!.map((t) => [t.name, t.dataType]));
    const { FLOAT, FLOAT16 } = onnxProto.onnx.TensorProto.DataType;
    expect(types).toEqual({ 'W.fp16': FLOAT16, b: FLOAT, T: FLOAT });
    expect(model.graph!.node![0]).toMatchObject({ opType: 'Cast', input: ['W.fp16'], output: ['W'] });
  });

  it('computes with the weights rounded to fp16 and nothing else lost, inline and as external data', async () => {
    const rounded = fromFloat16(toFloat16(W));
    expect(maxDiff(rounded, W)).toBeGreaterThan(0);
    const exact = reference(W);
    const ofRounded = reference(rounded);

    const full = await run(affine('fp32').encode({ producerName: 't', producerVersion: '1' }));
    const inline = await run(affine('fp16').encode({ producerName: 't', producerVersion: '1' }));
    const split = affine('fp16').encodeSplit({ producerName: 't', producerVersion: '1', location: 'affine.onnx.data' });
    await writeFile(join(dir, 'affine.onnx'), split.model);
    await writeFile(join(dir, split.data.location), Buffer.concat(split.data.chunks));
    expect(split.data.byteLength).toBeLessThan(K * M * 6 + 3 * 4096);
    const external = await run(join(dir, 'affine.onnx'));

    expect(maxDiff(full, exact)).toBeLessThan(2e-6);
    // The half graph is the float32 computation over the rounded weights …
    expect(maxDiff(inline, ofRounded)).toBeLessThan(2e-6);
    expect(maxDiff(external, inline)).toBe(0);
    // … which moves the output by fp16's rounding (2⁻¹¹ relative per weight), measurably but slightly.
    const moved = maxDiff(inline, exact);
    expect(moved).toBeGreaterThan(1e-5);
    expect(moved).toBeLessThan(2e-3);
  });
});
