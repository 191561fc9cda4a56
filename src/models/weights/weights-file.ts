/**
 * @module The open weights file both formats return: the tensor table read at open, the bytes of
 * one tensor read by offset on demand (never the whole file), and close.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { readTensorBytes, type StorageSpan, streamTensorBytes } from './range.js';
import { loadFailed, type TensorInfo, type WeightsScalar } from './tensor-info.js';

export interface WeightsFile {
  readonly format: 'torch' | 'safetensors';
  /** Every tensor by name; nested dicts are flattened with `.` (`generator.blocks.0.weight`). */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** Scalars stored beside the tensors (torch: non-tensor leaves by the same naming; safetensors: `__metadata__`). */
  readonly metadata: ReadonlyMap<string, WeightsScalar>;
  /** One tensor's elements in C order (little-endian, as stored). MODEL_LOAD_FAILED for an unknown name. */
  read(name: string): Promise<Buffer>;
  /** The same bytes as a stream, for tensors too large to hold twice. */
  stream(name: string): Promise<Readable>;
  close(): Promise<void>;
}

export interface WeightsFileParts {
  format: WeightsFile['format'];
  file: string;
  handle: FileHandle;
  tensors: ReadonlyMap<string, TensorInfo>;
  metadata: ReadonlyMap<string, WeightsScalar>;
  /** Where a storage's bytes lie in the file (torch resolves the zip's local header on first use). */
  span(storage: string): Promise<StorageSpan>;
}

export function weightsFile(parts: WeightsFileParts): WeightsFile {
  const source = { file: parts.file, handle: parts.handle };
  const info = (name: string): TensorInfo => {
    const found = parts.tensors.get(name);
    if (!found) throw loadFailed(parts.file, `has no tensor "${name}"`, { tensor: name });
    return found;
  };
  let closed: Promise<void> | undefined;
  return {
    format: parts.format,
    tensors: parts.tensors,
    metadata: parts.metadata,
    async read(name) {
      const t = info(name);
      return readTensorBytes(source, t, await parts.span(t.storage));
    },
    async stream(name) {
      const t = info(name);
      return streamTensorBytes(source, t, await parts.span(t.storage));
    },
    close() {
      closed ??= (async () => {
        await parts.handle.close();
      })();
      return closed;
    },
  };
}
