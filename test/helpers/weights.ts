/**
 * What the converter tests share about a weights file: its fixtures' raw float32 arrays, a copy
 * that hides, re-shapes or adds tensors (checked before any read), a copy that records what is
 * read, the coded failure a bad checkpoint must give, and the largest difference of two outputs.
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { isWorkerError } from '../../src/errors.js';
import type { TensorInfo, WeightsFile } from '../../src/models/weights/index.js';

/** A raw little-endian float32 file (a fixture's input or expected output). */
export async function readFloats(path: string): Promise<Float32Array> {
  const b = await readFile(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

export interface Tampering {
  /** A tensor to hide. */
  drop?: string;
  /** A tensor to claim another shape. */
  reshape?: [string, number[]];
  /** A tensor to add: a copy of `source`. */
  add?: string;
}

/** The same file with one tensor hidden, re-shaped, or one more (a copy of `source`). */
export function tamperedWeights(file: WeightsFile, o: Tampering & { source: string }): WeightsFile {
  const tensors = new Map(file.tensors);
  if (o.drop) expect(tensors.delete(o.drop)).toBe(true);
  if (o.reshape) {
    const [name, shape] = o.reshape;
    const info = tensors.get(name);
    expect(info).toBeDefined();
    tensors.set(name, { ...(info as TensorInfo), shape });
  }
  if (o.add) tensors.set(o.add, file.tensors.get(o.source) as TensorInfo);
  return { ...file, tensors, read: (n) => file.read(o.add === n ? o.source : n) };
}

/**
 * The same file, holding instead `shapes` without bytes (for a converter's sizes at a released
 * network's shapes: reading the sizes reads no tensor).
 */
export function shapesOnly(file: WeightsFile, shapes: ReadonlyMap<string, number[]>, dtype: TensorInfo['dtype'] = 'float32'): WeightsFile {
  const info = (shape: number[]): TensorInfo => ({ dtype, shape, strides: [], storage: '', offset: 0, byteLength: 0, contiguous: true });
  return { ...file, tensors: new Map([...shapes].map(([name, shape]) => [name, info(shape)])) };
}

/** The same file with some tensors hidden, and every `read` and `stream` recorded. */
export function spiedWeights(weights: WeightsFile, hide: readonly string[] = []): { file: WeightsFile; reads: string[] } {
  const reads: string[] = [];
  const tensors = new Map([...weights.tensors].filter(([name]) => !hide.includes(name)));
  const file: WeightsFile = {
    ...weights,
    tensors,
    read: (name) => {
      reads.push(name);
      return weights.read(name);
    },
    stream: (name) => {
      reads.push(name);
      return weights.stream(name);
    },
  };
  return { file, reads };
}

/** The error `p` rejects with, which must be MODEL_LOAD_FAILED. */
export async function loadFailure(p: Promise<unknown>): Promise<{ message: string; details: unknown }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isWorkerError(e)).toBe(true);
  const we = e as { code: string; message: string; details: unknown };
  expect(we.code).toBe('MODEL_LOAD_FAILED');
  return we;
}
