/**
 * @module The stored float types widened to float32, for a converter that computes in fp32:
 * bfloat16 is the high 16 bits of a float32 (exact), float16 is IEEE half (exact in float32,
 * subnormals, ±∞ and NaN included). Input is the little-endian bytes `WeightsFile.read` returns;
 * typed arrays are host-endian, so this assumes a little-endian host (x86, ARM: every GPU worker).
 */
import { endianness } from 'node:os';
import type { WeightDtype } from './tensor-info.js';

if (endianness() !== 'LE') throw new Error('models/weights/float.ts assumes a little-endian host');

/** The bytes as 16-bit words, copying only when they do not start on an even address. */
function words(bytes: Uint8Array): Uint16Array {
  if (bytes.byteLength % 2 !== 0) throw new RangeError(`${bytes.byteLength} bytes are not whole 16-bit values`);
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : new Uint8Array(bytes); // a copy (Buffer.slice would be a view)
  return new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
}

/** bfloat16 → float32: each value's 16 bits become the high half of a float32. */
export function bfloat16ToFloat32(bytes: Uint8Array): Float32Array {
  const w = words(bytes);
  const out = new Uint32Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = w[i]! << 16;
  return new Float32Array(out.buffer);
}

/** One IEEE half (its bits) as float32 bits. */
function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return sign | 0x7f800000 | (mant << 13); // ∞, NaN (payload kept)
  if (exp !== 0) return sign | ((exp + 112) << 23) | (mant << 13); // rebias 15 → 127
  if (mant === 0) return sign; // ±0
  // Subnormal half: normalise (every half subnormal is a normal float32).
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return sign | (e << 23) | ((mant & 0x3ff) << 13);
}

/** float16 → float32. */
export function float16ToFloat32(bytes: Uint8Array): Float32Array {
  const w = words(bytes);
  const out = new Uint32Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = halfToFloatBits(w[i]!);
  return new Float32Array(out.buffer);
}

/** A float tensor's bytes (any of the three float dtypes) as float32 values. */
export function toFloat32(dtype: Exclude<WeightDtype, 'int64'>, bytes: Uint8Array): Float32Array {
  if (dtype === 'bfloat16') return bfloat16ToFloat32(bytes);
  if (dtype === 'float16') return float16ToFloat32(bytes);
  if (bytes.byteLength % 4 !== 0) throw new RangeError(`${bytes.byteLength} bytes are not whole float32 values`);
  return new Float32Array(new Uint8Array(bytes).buffer);
}
