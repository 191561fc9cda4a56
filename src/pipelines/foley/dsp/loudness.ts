/**
 * @module Integrated loudness per ITU-R BS.1770-4 / EBU R128 (pure). K-weighting (the high-shelf
 * "head" filter and the RLB high-pass, coefficients derived for any sample rate as in libebur128;
 * the engine filters with them), mean square per 400 ms block with 75 % overlap, an absolute gate
 * at −70 LUFS and a relative gate 10 LU below the ungated mean, from energies per 100 ms step.
 */

/**
 * K-weighting for `sr` (BS.1770-4 Annex 1; the formula libebur128 uses): the shelf's b0 b1 b2 a1 a2,
 * then the high-pass's, as the engine's filter reads them (assembly/kweight.ts).
 */
export function kWeightingCoefficients(sr: number): Float64Array {
  let f0 = 1681.974450955533;
  const G = 3.999843853973347;
  let Q = 0.7071752369554196;
  let K = Math.tan((Math.PI * f0) / sr);
  const Vh = 10 ** (G / 20);
  const Vb = Vh ** 0.4996667741545416;
  let a0 = 1 + K / Q + K * K;
  const shelf = [
    (Vh + (Vb * K) / Q + K * K) / a0,
    (2 * (K * K - Vh)) / a0,
    (Vh - (Vb * K) / Q + K * K) / a0,
    (2 * (K * K - 1)) / a0,
    (1 - K / Q + K * K) / a0,
  ];
  f0 = 38.13547087602444;
  Q = 0.5003270373238773;
  K = Math.tan((Math.PI * f0) / sr);
  a0 = 1 + K / Q + K * K;
  const highpass = [1, -2, 1, (2 * (K * K - 1)) / a0, (1 - K / Q + K * K) / a0];
  return Float64Array.from([...shelf, ...highpass]);
}

const ABSOLUTE_GATE = -70;
const RELATIVE_GATE = -10;

function lufs(meanSquare: number): number {
  return -0.691 + 10 * Math.log10(meanSquare);
}

/**
 * Gated integrated loudness (LUFS) from the K-weighted energy (channel-summed sum of squares) of
 * each `stepLength`-sample step; −Infinity when nothing passes the absolute gate.
 */
export function gatedLoudness(steps: Float64Array, stepLength: number): number {
  const blockLen = 4 * stepLength;
  const blocks: number[] = [];
  let e0 = 0,
    e1 = 0,
    e2 = 0;
  for (let i = 0; i < steps.length; i++) {
    const e3 = steps[i] as number;
    if (i >= 3) {
      const ms = (e0 + e1 + e2 + e3) / blockLen;
      if (ms > 0 && lufs(ms) > ABSOLUTE_GATE) blocks.push(ms);
    }
    e0 = e1;
    e1 = e2;
    e2 = e3;
  }
  if (blocks.length === 0) return Number.NEGATIVE_INFINITY;
  const ungated = blocks.reduce((a, b) => a + b, 0) / blocks.length;
  const gate = lufs(ungated) + RELATIVE_GATE;
  const kept = blocks.filter((ms) => lufs(ms) > gate);
  return lufs(kept.reduce((a, b) => a + b, 0) / kept.length);
}
