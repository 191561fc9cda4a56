/**
 * @module The constants upstream recomputes at every forward instead of loading: the RoPE tables
 * (`models/nn/posemb_layers.py` `get_nd_rotary_pos_embed(use_real=True)`, theta 10000, at the
 * positions each attention uses), the interleaved audio-visual RoPE's `nearest-exact` round trip
 * (`hifi_foley.py` `interleave_two_sequences` / `decouple_interleaved_two_sequences`) and the
 * t-embedding's frequencies (`models/nn/embed_layers.py` `timestep_embedding`). Computed as torch
 * computes them in float32, one rounding per upstream operation.
 */
import { nearestExactIndices, ropeTables } from '../mmaudio-dit/tables.js';

const f = Math.fround;

/** A RoPE table pair [positions, dim], in tables.ts' (MMAudio's) x · cos + swap(x) · sin convention. */
export interface RopeRows {
  cos: Float32Array;
  sin: Float32Array;
  length: number;
}

/**
 * `get_1d_rotary_pos_embed(dim, arange(n), theta=10000, use_real=True)` at the given integer
 * positions: freqs 1/theta^(2i/dim), θ = pos·freq_i, cos/sin repeated per pair
 * (`repeat_interleave(2)`), which with `rotate_half`'s (−x[2i+1], x[2i]) is the same pair rotation
 * MMAudio's `apply_rope` does; positions from `torch.linspace(0, n, n + 1)[:n]` are exact integers.
 */
export function ropeRows(o: { positions: readonly number[]; dim: number }): RopeRows {
  const span = Math.max(...o.positions) + 1;
  const all = ropeTables({ length: span, dim: o.dim, scaling: 1 });
  const cos = new Float32Array(o.positions.length * o.dim);
  const sin = new Float32Array(o.positions.length * o.dim);
  o.positions.forEach((p, i) => {
    cos.set(all.cos.subarray(p * o.dim, (p + 1) * o.dim), i * o.dim);
    sin.set(all.sin.subarray(p * o.dim, (p + 1) * o.dim), i * o.dim);
  });
  return { cos, sin, length: o.positions.length };
}

/** Positions 0 … n − 1 (the single blocks' audio RoPE and the cross-attention's three). */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * The triple blocks' interleaved audio-visual RoPE, per token. Upstream stretches the visual q/k
 * [C] to the audio length L (`nearest-exact`, source up[j]), interleaves audio and visual (audio at
 * 2j, visual at 2j + 1), rotates the 2L sequence with positions 0 … 2L − 1, takes the two apart and
 * shrinks the visual half back to C (source down[c]). Being per-token, that is: audio token j at
 * position 2j; visual output c = visual token up[down[c]] rotated at position 2·down[c] + 1. When
 * C = L upstream interpolates nothing and both maps are the identity.
 */
export function interleavedRope(o: { latent: number; clip: number }): { audio: number[]; visual: number[]; visualSource: number[] } {
  const { latent: l, clip: c } = o;
  const up = c === l ? range(l) : Array.from(nearestExactIndices({ from: c, to: l }), Number);
  const down = c === l ? range(c) : Array.from(nearestExactIndices({ from: l, to: c }), Number);
  return { audio: range(l).map((j) => 2 * j), visual: down.map((j) => 2 * j + 1), visualSource: down.map((j) => up[j]!) };
}

/**
 * `timestep_embedding`'s frequencies: exp(−ln(max_period) · arange(half) / half) in float32 (the
 * Python float −ln(10000) meets a float32 tensor, so it is rounded to float first).
 */
export function timestepFrequencies(o: { size: number; maxPeriod: number }): Float32Array {
  const half = Math.floor(o.size / 2);
  const scale = f(-Math.log(o.maxPeriod));
  return Float32Array.from({ length: half }, (_, i) => f(Math.exp(f(f(scale * i) / half))));
}
