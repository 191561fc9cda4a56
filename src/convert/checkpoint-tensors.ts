/**
 * @module What the converters from original PyTorch weights share before they build a graph:
 * a coded refusal of a checkpoint, a tensor's presence, shape and float type checked before any
 * byte is read (so a bad checkpoint fails before gigabytes are read), a tensor read widened to
 * float32, and a row-major matrix transposed (PyTorch's `[out, in]` to ONNX MatMul's `[in, out]`).
 */
import { WorkerError } from '../errors.js';
import { type TensorInfo, toFloat32, type WeightsFile } from '../models/weights/index.js';

/** MODEL_LOAD_FAILED for the model `what` converts, e.g. "Synchformer: the checkpoint has no tensor …". */
export function checkpointError(what: string, message: string, details: Record<string, unknown>): WorkerError {
  return new WorkerError('MODEL_LOAD_FAILED', `${what}: ${message}`, { details });
}

/** The tensor's info, or MODEL_LOAD_FAILED (led by `what`) naming it; `shape` entries of -1 take any size. */
export function expectTensor(weights: WeightsFile, name: string, shape: readonly number[], what: string): TensorInfo {
  const info = weights.tensors.get(name);
  if (!info) throw checkpointError(what, `the checkpoint has no tensor "${name}"`, { tensor: name });
  const fits = info.shape.length === shape.length && shape.every((d, i) => d === -1 || info.shape[i] === d);
  if (!fits) {
    const want = shape.map((d) => (d === -1 ? '?' : d)).join(',');
    throw checkpointError(what, `tensor "${name}" has shape [${info.shape.join(',')}], expected [${want}]`, {
      tensor: name,
      shape: info.shape,
    });
  }
  if (info.dtype === 'int64') throw checkpointError(what, `tensor "${name}" is int64, expected a float type`, { tensor: name });
  return info;
}

/** A float tensor (already checked by `expectTensor`) read and widened to float32. */
export async function readFloat32(weights: WeightsFile, name: string): Promise<Float32Array> {
  const info = weights.tensors.get(name)!;
  return toFloat32(info.dtype as Exclude<TensorInfo['dtype'], 'int64'>, await weights.read(name));
}

/** [rows, cols] row-major → [cols, rows] row-major, for rows `from`..`from + rows` of a larger matrix. */
export function transposeRows(m: Float32Array, o: { cols: number; from: number; rows: number }): Float32Array {
  const out = new Float32Array(o.rows * o.cols);
  for (let r = 0; r < o.rows; r++) {
    const src = (o.from + r) * o.cols;
    for (let c = 0; c < o.cols; c++) out[c * o.rows + r] = m[src + c]!;
  }
  return out;
}

/** The bytes a table of tensor shapes takes in fp32 (what a converter's `precision: 'auto'` weighs). */
export function fp32Bytes(shapes: ReadonlyMap<string, readonly number[]>): number {
  return [...shapes.values()].reduce((n, shape) => n + 4 * shape.reduce((a, b) => a * b, 1), 0);
}

/** Tensors handed out once by name: `take` forgets each, so its memory can go once the graph has its own copy. */
export interface TakenTensors {
  take(name: string): Float32Array;
}

/**
 * Checks every tensor of `shapes` for presence and shape first (nothing is read from a file that
 * does not fit), then reads them one at a time in their stored type, widened to float32 only when
 * taken: a bf16 checkpoint (HunyuanVideo-Foley XXL's 10.3 GB) then holds its own size in memory
 * while its graph is built, not twice that.
 */
export async function readTensorTable(
  weights: WeightsFile,
  o: { shapes: ReadonlyMap<string, readonly number[]>; what: string; table: string },
): Promise<TakenTensors> {
  for (const [name, shape] of o.shapes) expectTensor(weights, name, shape, o.what);
  const stored = new Map<string, Uint8Array>();
  for (const name of o.shapes.keys()) stored.set(name, await weights.read(name));
  return {
    take(name) {
      const bytes = stored.get(name);
      if (!bytes) throw new TypeError(`${o.what}: tensor "${name}" was not read (not in ${o.table}) or was already taken`);
      stored.delete(name);
      const { dtype } = weights.tensors.get(name)!;
      return toFloat32(dtype as Exclude<TensorInfo['dtype'], 'int64'>, bytes);
    },
  };
}
