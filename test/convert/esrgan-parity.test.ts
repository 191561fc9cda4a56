/**
 * Whole embedded ESRGAN models: the converted ONNX (ORT, CPU) against the original TF.js model
 * (tfjs-layers on the pure-JS CPU backend) on a crop of a real photo, every package × scale.
 * Crops are small because the JS backend is slow (thick: ~10 s for 24×24 on one core).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_SR_MODELS, embeddedModelJson, loadEmbeddedSrModel, type EmbeddedSrModelName } from '../../src/convert/esrgan.js';
import { isWorkerError } from '../../src/errors.js';
import { SHARED_MEDIA, binaries } from '../helpers/media.js';
import { tfjsFromFiles } from '../helpers/tfjs-files.js';

const run = promisify(execFile);
const PHOTO = '/usr/share/doc/opencv-doc/examples/data/baboon.jpg';
/** Crop side per package: thick is ~30× the work of medium per pixel. */
const CROP: Record<EmbeddedSrModelName, number> = { 'esrgan-slim': 32, 'esrgan-medium': 32, 'esrgan-thick': 24 };
const TOLERANCE_255 = 1e-2;

/** A w×h rgb24 crop from a real photo (or, without opencv-doc, a frame of the shared Chaplin clip). */
async function realCrop(side: number): Promise<Uint8Array> {
  const source = existsSync(PHOTO) ? ['-i', PHOTO] : ['-ss', '5', '-i', join(SHARED_MEDIA, 'chaplin.mp4')];
  // Offsets into a textured part (the baboon's fur and eye); any real picture will do.
  const { stdout } = await run(
    binaries().ffmpeg,
    ['-v', 'error', ...source, '-frames:v', '1', '-vf', `crop=${side}:${side}:150:120`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 1 << 24 },
  );
  expect(stdout.length).toBe(side * side * 3);
  return new Uint8Array(stdout);
}

/** The TF.js model straight from the package files, with the package's own custom layers registered. */
async function loadTfjs(name: EmbeddedSrModelName, scale: number): Promise<tfl.LayersModel> {
  const spec = EMBEDDED_SR_MODELS[name];
  if (name === 'esrgan-thick') {
    // The package's model definition registers MultiplyBeta and PixelShuffle<s>x, as upscalerjs does.
    const def = createRequire(import.meta.url)(`${spec.packageName}/${scale}x`) as { setup?: (tf: unknown) => void };
    def.setup?.({ ...tfc, layers: tfl.layers });
  }
  const modelJson = embeddedModelJson(name, scale);
  return tfl.loadLayersModel(await tfjsFromFiles(modelJson));
}

/** TF.js output in 0..255, NHWC [side·s, side·s, 3]. */
async function runTfjs(name: EmbeddedSrModelName, scale: number, rgb: Uint8Array, side: number): Promise<Float32Array> {
  const model = await loadTfjs(name, scale);
  const range = EMBEDDED_SR_MODELS[name].inputRange;
  try {
    const x = tfc.tensor4d(
      Float32Array.from(rgb, (v) => (range === 255 ? v : v / 255)),
      [1, side, side, 3],
    );
    const y = model.predict(x) as tfc.Tensor;
    expect(y.shape).toEqual([1, side * scale, side * scale, 3]);
    const data = (await y.data()) as Float32Array;
    tfc.dispose([x, y]);
    return range === 255 ? data : data.map((v) => v * 255);
  } finally {
    model.dispose();
  }
}

/** The converted model in 0..255, NHWC (the ONNX model is NCHW 0..1). */
async function runOnnx(path: string, scale: number, rgb: Uint8Array, side: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  try {
    const nchw = new Float32Array(3 * side * side);
    for (let i = 0; i < side * side; i++) for (let c = 0; c < 3; c++) nchw[c * side * side + i] = rgb[i * 3 + c]! / 255;
    const { output } = await session.run({ input: new ort.Tensor('float32', nchw, [1, 3, side, side]) });
    const o = side * scale;
    expect(output!.dims).toEqual([1, 3, o, o]);
    const d = output!.data as Float32Array;
    const nhwc = new Float32Array(o * o * 3);
    for (let i = 0; i < o * o; i++) for (let c = 0; c < 3; c++) nhwc[i * 3 + c] = d[c * o * o + i]! * 255;
    return nhwc;
  } finally {
    await session.release();
  }
}

let cacheDir: string;
const crops = new Map<number, Uint8Array>();
const report: string[] = [];

beforeAll(async () => {
  await tfc.setBackend('cpu');
  await tfc.ready();
  // The backend's one-time "install tfjs-node" banner is noise here.
  (tfc.backend() as { firstUse?: boolean }).firstUse = false;
  cacheDir = await mkdtemp(join(tmpdir(), 'esrgan-parity-'));
  for (const side of new Set(Object.values(CROP))) crops.set(side, await realCrop(side));
});
afterAll(async () => {
  if (report.length) console.log(`converted vs TF.js, max |Δ| on 0..255:\n  ${report.join('\n  ')}`);
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

describe('embedded ESRGAN models: converted ONNX vs TF.js', () => {
  for (const name of Object.keys(EMBEDDED_SR_MODELS) as EmbeddedSrModelName[]) {
    for (const scale of EMBEDDED_SR_MODELS[name].scales) {
      it(`${name} ×${scale} matches to ${TOLERANCE_255} (0..255)`, async () => {
        const side = CROP[name];
        const rgb = crops.get(side)!;
        const t0 = performance.now();
        const loaded = await loadEmbeddedSrModel(name, scale, { cacheDir });
        expect(loaded).toMatchObject({ hit: false, scale });
        const t1 = performance.now();
        const want = await runTfjs(name, scale, rgb, side);
        const t2 = performance.now();
        const got = await runOnnx(loaded.path, scale, rgb, side);
        let max = 0;
        for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i]! - want[i]!));
        report.push(
          `${name} x${scale} (${side}×${side}): ${max.toExponential(2)}  ` +
            `[convert ${(t1 - t0).toFixed(0)} ms, tfjs ${(t2 - t1).toFixed(0)} ms]`,
        );
        expect(max).toBeLessThanOrEqual(TOLERANCE_255);
        // Sanity: the output is an image, not a constant.
        let lo = Infinity;
        let hi = -Infinity;
        for (const v of want) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
        expect(hi - lo).toBeGreaterThan(50);
      });
    }
  }

  it('reuses the cached conversion on the second load', async () => {
    const first = await loadEmbeddedSrModel('esrgan-slim', 2, { cacheDir });
    const again = await loadEmbeddedSrModel('esrgan-slim', 2, { cacheDir });
    expect(again).toEqual({ ...first, hit: true });
    expect(again.sourceBytes).toBeGreaterThan(888_300);
  });

  it('names unknown models and scales MODEL_NOT_AVAILABLE', () => {
    for (const f of [() => embeddedModelJson('esrgan-huge', 2), () => embeddedModelJson('esrgan-slim', 5)]) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(isWorkerError(err) && err.code).toBe('MODEL_NOT_AVAILABLE');
    }
  });
});
