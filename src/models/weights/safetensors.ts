/**
 * @module safetensors: an 8-byte little-endian header length, a JSON header (`name → {dtype,
 * shape, data_offsets: [begin, end]}`, optional `__metadata__` of strings), then the data, offsets
 * counted from its start. The length is checked against the file and a cap before a byte of the
 * header is allocated; the header is validated with zod; every tensor's span must lie inside the
 * data and hold exactly its shape's bytes.
 */
import type { FileHandle } from 'node:fs/promises';
import { z } from 'zod';
import { readRange } from './range.js';
import {
  checkTensor,
  contiguousStrides,
  DTYPE_BYTES,
  loadFailed,
  type TensorInfo,
  type WeightDtype,
  type WeightsLimits,
} from './tensor-info.js';
import { weightsFile, type WeightsFile } from './weights-file.js';

const SAFETENSORS_DTYPES: Readonly<Record<string, WeightDtype>> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64' };

const tensorEntry = z.strictObject({
  dtype: z.string(),
  shape: z.array(z.int().nonnegative()),
  data_offsets: z.tuple([z.int().nonnegative(), z.int().nonnegative()]),
});
const header = z.record(z.string(), z.unknown());
const metadataSchema = z.record(z.string(), z.string());

async function readHeader(
  file: string,
  handle: FileHandle,
  maxHeaderBytes: number,
): Promise<{ json: unknown; dataStart: number; size: number }> {
  const { size } = await handle.stat();
  if (size < 8) throw loadFailed(file, 'is shorter than a safetensors header length');
  const source = { file, handle };
  const length = (await readRange(source, 0, 8)).readBigUInt64LE(0);
  if (length > BigInt(size - 8))
    throw loadFailed(file, `claims a header of ${length} bytes; the file holds ${size}`, { headerBytes: String(length) });
  if (length > BigInt(maxHeaderBytes)) throw loadFailed(file, `claims a header of ${length} bytes (more than ${maxHeaderBytes})`);
  const text = (await readRange(source, 8, Number(length))).toString('utf8');
  try {
    return { json: JSON.parse(text), dataStart: 8 + Number(length), size };
  } catch {
    throw loadFailed(file, 'has a header that is not JSON');
  }
}

/** Opens a safetensors file on an open handle (openWeights sniffs the format and opens the file). */
export async function openSafetensors(file: string, handle: FileHandle, limits: Required<WeightsLimits>): Promise<WeightsFile> {
  const { json, dataStart, size } = await readHeader(file, handle, limits.maxHeaderBytes);
  const parsed = header.safeParse(json);
  if (!parsed.success) throw loadFailed(file, 'has a header that is not a JSON object');
  const dataBytes = size - dataStart;
  const tensors = new Map<string, TensorInfo>();
  const spans = new Map<string, { start: number; byteLength: number }>();
  const metadata = new Map<string, string>();
  for (const [name, value] of Object.entries(parsed.data)) {
    if (name === '__metadata__') {
      const meta = metadataSchema.safeParse(value);
      if (!meta.success) throw loadFailed(file, '__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(meta.data)) metadata.set(k, v);
      continue;
    }
    if (tensors.size >= limits.maxEntries) throw loadFailed(file, `holds more than ${limits.maxEntries} tensors`);
    const entry = tensorEntry.safeParse(value);
    if (!entry.success) throw loadFailed(file, `tensor "${name}": ${z.prettifyError(entry.error)}`, { tensor: name });
    const {
      dtype: code,
      shape,
      data_offsets: [begin, end],
    } = entry.data;
    const dtype = SAFETENSORS_DTYPES[code];
    if (!dtype) throw loadFailed(file, `tensor "${name}" has an unsupported dtype ${code}`, { tensor: name, dtype: code });
    if (begin > end || end > dataBytes)
      throw loadFailed(file, `tensor "${name}" lies outside the data (${begin}–${end} of ${dataBytes})`, { tensor: name });
    const size = DTYPE_BYTES[dtype];
    if ((end - begin) % size !== 0)
      throw loadFailed(file, `tensor "${name}" spans bytes that are not whole ${code} elements`, { tensor: name });
    const info = checkTensor({
      file,
      name,
      dtype,
      shape,
      strides: contiguousStrides(shape),
      offset: 0,
      storageElements: (end - begin) / size,
      storage: name,
    });
    if (info.byteLength !== end - begin)
      throw loadFailed(file, `tensor "${name}" has ${end - begin} bytes for ${info.byteLength} its shape needs`, { tensor: name });
    tensors.set(name, info);
    spans.set(name, { start: dataStart + begin, byteLength: end - begin });
  }
  return weightsFile({ format: 'safetensors', file, handle, tensors, metadata, span: async (key) => spans.get(key)! });
}
