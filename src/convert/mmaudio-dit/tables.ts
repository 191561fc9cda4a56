/**
 * @module The constants upstream recomputes instead of loading: the RoPE rotations
 * (`compute_rope_rotations`, `mmaudio/ext/rotary_embeddings.py`), the t-embedding's frequencies
 * (`TimestepEmbedder.freqs`, `embeddings.py`) and the sync upsampling's source frames
 * (`F.interpolate(mode='nearest-exact')`). Each is computed the way torch computes it in float32,
 * one rounding per upstream operation (`Math.fround`), so the tables match upstream's bit for bit
 * or within an ulp.
 */
const f = Math.fround;

/** `1 / theta ** (arange(0, dim, 2) / dim)` in float32. */
function inverseFrequencies(dim: number, theta: number): Float32Array {
  const out = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) out[i] = f(1 / f(theta ** f((2 * i) / dim)));
  return out;
}

/**
 * RoPE as a multiply-add: `apply_rope` rotates each pair (x[2i], x[2i+1]) by θ = pos · freq_i ·
 * scaling: out[2i] = cos θ · x[2i] − sin θ · x[2i+1], out[2i+1] = sin θ · x[2i] + cos θ · x[2i+1].
 * Returned as `cos` [length, dim] (cos θ at 2i and 2i+1) and `sin` [length, dim] (−sin θ at 2i,
 * +sin θ at 2i+1), so out = x · cos + swap(x) · sin, swap exchanging each pair.
 */
export function ropeTables(o: { length: number; dim: number; scaling: number }): { cos: Float32Array; sin: Float32Array } {
  const { length, dim } = o;
  const freqs = inverseFrequencies(dim, 10000).map((v) => f(v * f(o.scaling)));
  const cos = new Float32Array(length * dim);
  const sin = new Float32Array(length * dim);
  for (let n = 0; n < length; n++) {
    for (let i = 0; i < dim / 2; i++) {
      const angle = f(n * freqs[i]!);
      const c = f(Math.cos(angle));
      const s = f(Math.sin(angle));
      cos[n * dim + 2 * i] = c;
      cos[n * dim + 2 * i + 1] = c;
      sin[n * dim + 2 * i] = -s;
      sin[n * dim + 2 * i + 1] = s;
    }
  }
  return { cos, sin };
}

/** The pair swap for {@link ropeTables}: indices 1, 0, 3, 2, … of a head. */
export function pairSwap(dim: number): BigInt64Array {
  return BigInt64Array.from({ length: dim }, (_, i) => BigInt(i ^ 1));
}

/**
 * `TimestepEmbedder.freqs`: (10000 / max_period) · 1 / 10000^(arange(0, size, 2) / size). v1:
 * size 256, max_period 10000; v2: size = hidden, max_period 1 (so the scale is 10000).
 */
export function timestepFrequencies(o: { size: number; maxPeriod: number }): Float32Array {
  const scale = f(10000 / o.maxPeriod);
  return inverseFrequencies(o.size, 10000).map((v) => f(scale * v));
}

/**
 * `F.interpolate(x, size=out, mode='nearest-exact')` on the last axis as source indices: torch's
 * `nearest_neighbor_exact_compute_source_index`, min(floorf((i + 0.5) · scale), in − 1) with
 * scale = (float) in / out, the product rounded to float before the floor as torch 2.x does (on
 * CPU and CUDA). At 192 → 345 that gives frame 31 for output 57, where a double-precision formula
 * gives 32.
 */
export function nearestExactIndices(o: { from: number; to: number }): BigInt64Array {
  const scale = f(o.from / o.to);
  return BigInt64Array.from({ length: o.to }, (_, i) => BigInt(Math.min(Math.floor(f((i + 0.5) * scale)), o.from - 1)));
}
