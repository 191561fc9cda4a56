/**
 * @module Reading a tensor's bytes by offset from an open file: positional reads (no shared file
 * position, so concurrent reads are safe), a stream for large tensors, and the gather that turns
 * a non-contiguous view (a transpose, a column slice) into C-order bytes.
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { DTYPE_BYTES, loadFailed, type TensorInfo } from './tensor-info.js';

/** Where a tensor's storage starts in the file, and how many bytes it holds there. */
export interface StorageSpan {
  start: number;
  byteLength: number;
}

export interface RangeSource {
  file: string;
  handle: FileHandle;
}

/** Exactly `length` bytes at `position`; a short file is MODEL_LOAD_FAILED (it was truncated after opening). */
export async function readRange(source: RangeSource, position: number, length: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await source.handle.read(out, done, length - done, position + done);
    if (bytesRead === 0) throw loadFailed(source.file, `ends at ${position + done}, inside data that should run to ${position + length}`);
    done += bytesRead;
  }
  return out;
}

/** The byte range of the storage a tensor's elements fall in (all of them, for a non-contiguous view). */
function tensorRange(info: TensorInfo, span: StorageSpan): { start: number; length: number } {
  const size = DTYPE_BYTES[info.dtype];
  if (info.contiguous) return { start: span.start + info.offset * size, length: info.byteLength };
  const reach = info.shape.reduce((e, d, i) => e + (d - 1) * info.strides[i]!, 1);
  return { start: span.start + info.offset * size, length: reach * size };
}

/** A non-contiguous view's elements, copied in C order out of the bytes its strides reach. */
export function gather(info: TensorInfo, reached: Uint8Array): Buffer {
  const size = DTYPE_BYTES[info.dtype];
  const out = Buffer.allocUnsafe(info.byteLength);
  const rank = info.shape.length;
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let o = 0; o < info.byteLength; o += size) {
    out.set(reached.subarray(from * size, from * size + size), o);
    // Odometer over the shape, last dimension fastest, moving `from` by the strides.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      from += info.strides[d]!;
      if (index[d]! < info.shape[d]!) break;
      from -= index[d]! * info.strides[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/** The tensor's elements in C order. */
export async function readTensorBytes(source: RangeSource, info: TensorInfo, span: StorageSpan): Promise<Buffer> {
  if (info.byteLength === 0) return Buffer.alloc(0);
  const { start, length } = tensorRange(info, span);
  const bytes = await readRange(source, start, length);
  return info.contiguous ? bytes : gather(info, bytes);
}

/** A contiguous tensor streamed straight from the file; a view is gathered first (it is never larger than its storage). */
export function streamTensorBytes(source: RangeSource, info: TensorInfo, span: StorageSpan): Readable {
  if (info.byteLength === 0) return Readable.from([]);
  if (!info.contiguous) {
    return Readable.from(
      (async function* () {
        yield await readTensorBytes(source, info, span);
      })(),
    );
  }
  const { start, length } = tensorRange(info, span);
  return source.handle.createReadStream({ start, end: start + length - 1, autoClose: false });
}
