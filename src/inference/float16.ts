/**
 * @module IEEE 754 half precision ↔ float32, for models exported in float16: their inputs and
 * outputs are float16 tensors, which Node 20 holds as raw bits in a Uint16Array (it has no
 * Float16Array). Rounds to nearest, ties to even, as a GPU's conversion does; overflow is ±∞,
 * NaN stays NaN, and values below the smallest normal become subnormals. Pure.
 */

/** One float32 value as float16 bits. */
export function toHalfBits(value: number): number {
  return toFloat16([value])[0]!;
}

/** float32 bits → float16 bits, rounding to nearest even (the loop body of {@link toFloat16}). */
function halfOf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  // Unbiased exponent, rebiased for half (15).
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the mantissa, with its implicit 1, into place.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa rolls into the exponent (and up to ∞), which is right.
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** One float16 value (bits) as a number. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * A float32 array as float16 bits, ready for `tensor('float16', …)`; also how a converter stores a
 * graph's weights in half precision (gigabytes at a time: it reads the values' bits in place).
 */
export function toFloat16(values: Float32Array | readonly number[]): Uint16Array {
  const f = values instanceof Float32Array ? values : Float32Array.from(values);
  const bits = new Uint32Array(f.buffer, f.byteOffset, f.length);
  const out = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = halfOf(bits[i]!);
  return out;
}

/** A float16 tensor's data (bits) as float32. */
export function fromFloat16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = fromHalfBits(bits[i]!);
  return out;
}
