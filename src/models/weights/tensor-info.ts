/**
 * @module What a weights file says about each tensor (the same shape for torch.save zips and
 * safetensors), and the checks every claimed size passes before anything is allocated or read:
 * element counts in BigInt (a shape of 1e6 × 1e6 × 1e6 must not round into range), the span a
 * shape and strides reach inside their storage, contiguity. Errors are `MODEL_LOAD_FAILED`
 * naming the file by its base name and the tensor; never the file's bytes.
 */
import { basename } from 'node:path';
import { WorkerError } from '../../errors.js';

/** The element types a weights file may hold here; anything else is refused as unsupported. */
export type WeightDtype = 'float32' | 'float16' | 'bfloat16' | 'int64';

export const DTYPE_BYTES: Readonly<Record<WeightDtype, number>> = { float32: 4, float16: 2, bfloat16: 2, int64: 8 };

export interface TensorInfo {
  dtype: WeightDtype;
  shape: readonly number[];
  /** In elements, as torch gives them; for safetensors always the C-order strides of `shape`. */
  strides: readonly number[];
  /** torch: the storage's key (`<archive>/data/<key>`); safetensors: the tensor's own name (each tensor is its own span). */
  storage: string;
  /** Elements from the start of the storage to the tensor's first element. */
  offset: number;
  /** What `read` returns: the tensor's elements in C order, `numel × bytes per element`. */
  byteLength: number;
  /** C-order with no gaps (dimensions of size 1 ignored, as torch does); others are gathered when read. */
  contiguous: boolean;
}

/** A scalar a checkpoint carries beside its tensors (an epoch, a config string, safetensors' `__metadata__`). */
export type WeightsScalar = string | number | boolean | null;

/**
 * Sizes a file may claim before it is refused, so a crafted header costs no memory.
 * Defaults fit every real checkpoint by a wide margin (MMAudio's data.pkl is under 1 MB).
 */
export interface WeightsLimits {
  /** safetensors' JSON header. Default 100 MiB (the Rust reference's own limit). */
  maxHeaderBytes?: number;
  /** A torch zip's data.pkl. Default 64 MiB. */
  maxPickleBytes?: number;
  /** Values data.pkl may make (lists, tuples, numbers…). Default 4 000 000 (a real state dict makes ~15 per tensor). */
  maxPickleValues?: number;
  /** Zip entries, and tensors plus scalars in the result. Default 200 000. */
  maxEntries?: number;
}

export const DEFAULT_LIMITS: Readonly<Required<WeightsLimits>> = {
  maxHeaderBytes: 100 * 1024 * 1024,
  maxPickleBytes: 64 * 1024 * 1024,
  maxPickleValues: 4_000_000,
  maxEntries: 200_000,
};

/** A weights file's refusal: MODEL_LOAD_FAILED with the file's base name first and in details. */
export function loadFailed(file: string, message: string, details: Record<string, unknown> = {}): WorkerError {
  const name = basename(file);
  return new WorkerError('MODEL_LOAD_FAILED', `${name}: ${message}`, { details: { file: name, ...details } });
}

/** Whether `value` is a whole number a JS number holds exactly, ≥ 0. */
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The C-order strides of a shape (the last dimension moves fastest). */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= Math.max(shape[i]!, 1);
  }
  return strides;
}

/** torch's `is_contiguous`: strides of dimensions of size 1 do not matter, nor anything when empty. */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  if (shape.includes(0)) return true;
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== step) return false;
    step *= shape[i]!;
  }
  return true;
}

export interface TensorClaim {
  file: string;
  name: string;
  dtype: WeightDtype;
  shape: readonly unknown[];
  strides: readonly unknown[];
  offset: unknown;
  /** Elements the storage holds (torch: the persistent id's count, checked against the zip entry). */
  storageElements: number;
  storage: string;
}

/**
 * A tensor's claims checked against its storage: every dimension and stride a whole number, the
 * element count in BigInt, and the furthest element the strides reach inside the storage.
 */
export function checkTensor(claim: TensorClaim): TensorInfo {
  const { file, name, dtype } = claim;
  const fail = (why: string) => loadFailed(file, `tensor "${name}" ${why}`, { tensor: name });
  if (!claim.shape.every(isCount)) throw fail('has a shape that is not a list of whole numbers');
  if (!claim.strides.every(isCount) || claim.strides.length !== claim.shape.length) {
    throw fail('has strides that do not match its shape');
  }
  if (!isCount(claim.offset)) throw fail('has an offset that is not a whole number');
  const shape = claim.shape as number[];
  const strides = claim.strides as number[];
  const numel = shape.reduce((n, d) => n * BigInt(d), 1n);
  // The furthest element reached: offset + Σ (size − 1) × stride; nothing is reached when empty.
  const end = numel === 0n ? 0n : shape.reduce((e, d, i) => e + BigInt(d - 1) * BigInt(strides[i]!), BigInt(claim.offset) + 1n);
  if (end > BigInt(claim.storageElements)) {
    throw fail(`reaches past its storage (${end} elements claimed, ${claim.storageElements} stored)`);
  }
  // Overlapping strides (an expand()) could claim 1e12 elements over one stored value: what a read
  // returns is never more than the storage holds, so memory stays bounded by the file.
  if (numel > BigInt(claim.storageElements)) {
    throw fail(`claims ${numel} elements over a storage of ${claim.storageElements} (overlapping strides are not supported)`);
  }
  const byteLength = numel * BigInt(DTYPE_BYTES[dtype]);
  if (byteLength > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`claims ${numel} elements`);
  return {
    dtype,
    shape,
    strides,
    storage: claim.storage,
    offset: claim.offset,
    byteLength: Number(byteLength),
    contiguous: isContiguous(shape, strides),
  };
}
