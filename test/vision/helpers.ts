/**
 * Shared pieces of the vision tests: real pictures decoded by the real ffmpeg, the original TF.js
 * graph models run by tfjs-converter on the pure-JS CPU backend (the reference), ONNX run in-process.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfconv from '@tensorflow/tfjs-converter';
import * as ort from 'onnxruntime-node';
import type { RgbImage } from '../../src/vision/types.js';
import { SHARED_MEDIA, binaries } from '../helpers/media.js';
import { tfjsFromFiles } from '../helpers/tfjs-files.js';

const run = promisify(execFile);

export const OPENCV_DATA = '/usr/share/doc/opencv-doc/examples/data';
export const HAS_SHARED = existsSync(join(SHARED_MEDIA, 'chaplin.mp4'));
export { SHARED_MEDIA };

/** One frame of a picture or clip as RGB24, optionally scaled (ffmpeg's bicubic) and seeked. */
export async function decodeImage(file: string, o: { width?: number; height?: number; seek?: number } = {}): Promise<RgbImage> {
  const probe = await run(binaries().ffprobe, [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height',
    '-of',
    'csv=p=0',
    file,
  ]);
  const [w0, h0] = probe.stdout.trim().split(',').map(Number) as [number, number];
  const width = o.width ?? w0;
  const height = o.height ?? h0;
  const { stdout } = await run(
    binaries().ffmpeg,
    [
      '-v',
      'error',
      ...(o.seek ? ['-ss', String(o.seek)] : []),
      '-i',
      file,
      '-frames:v',
      '1',
      '-vf',
      `scale=${width}:${height}`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 1 << 26 },
  );
  if (stdout.length !== width * height * 3) throw new Error(`${file}: ${stdout.length} bytes, expected ${width}x${height}x3`);
  return { width, height, data: new Uint8Array(stdout) };
}

/** The original TF.js graph model, loaded from the package files with tfjs-converter. */
export async function loadTfjsGraph(modelJson: string): Promise<tfconv.GraphModel> {
  await tfc.setBackend('cpu');
  return tfconv.loadGraphModel(await tfjsFromFiles(modelJson));
}

/** Runs `outputs` of a TF.js graph model; returns each output's data and shape. */
export async function runTfjs(
  model: tfconv.GraphModel,
  feeds: Record<string, tfc.Tensor>,
  outputs: string[],
): Promise<{ data: Float32Array | Int32Array; shape: number[] }[]> {
  const r = model.execute(feeds, outputs);
  const list = Array.isArray(r) ? r : [r];
  const out = await Promise.all(list.map(async (t) => ({ data: (await t.data()) as Float32Array | Int32Array, shape: t.shape })));
  tfc.dispose(list);
  return out;
}

export { tfc, tfconv };

/** An in-process ORT session (tests only: the worker's sessions go through src/inference). */
export async function ortSession(model: string | Uint8Array, threads = 1): Promise<ort.InferenceSession> {
  const opts = { executionProviders: ['cpu'], intraOpNumThreads: threads, graphOptimizationLevel: 'all' as const };
  return typeof model === 'string' ? ort.InferenceSession.create(model, opts) : ort.InferenceSession.create(model, opts);
}

export { ort };

/** Largest absolute difference, and the largest value (for relative statements). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function iou(a: { x0: number; y0: number; x1: number; y1: number }, b: { x0: number; y0: number; x1: number; y1: number }): number {
  const iw = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const ih = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const inter = iw * ih;
  const area = (r: typeof a): number => Math.max(0, r.x1 - r.x0) * Math.max(0, r.y1 - r.y0);
  return inter / (area(a) + area(b) - inter || 1);
}
