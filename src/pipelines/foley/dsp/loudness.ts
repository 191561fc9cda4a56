/**
 * @module Integrated loudness per ITU-R BS.1770-4 / EBU R128 (pure, streaming). K-weighting (the
 * high-shelf "head" filter and the RLB high-pass, coefficients derived for any sample rate as in
 * libebur128), mean square per 400 ms block with 75 % overlap, an absolute gate at −70 LUFS and a
 * relative gate 10 LU below the ungated mean. Memory: one number per 100 ms of audio.
 */
import { Series } from '../series.js';
import { Biquad } from './filters.js';

/** K-weighting as two biquads for `sr` (BS.1770-4 Annex 1; the formula libebur128 uses). */
export function kWeighting(sr: number): [Biquad, Biquad] {
  let f0 = 1681.974450955533;
  const G = 3.999843853973347;
  let Q = 0.7071752369554196;
  let K = Math.tan((Math.PI * f0) / sr);
  const Vh = 10 ** (G / 20);
  const Vb = Vh ** 0.4996667741545416;
  let a0 = 1 + K / Q + K * K;
  const shelf = new Biquad((Vh + (Vb * K) / Q + K * K) / a0, (2 * (K * K - Vh)) / a0, (Vh - (Vb * K) / Q + K * K) / a0, (2 * (K * K - 1)) / a0, (1 - K / Q + K * K) / a0);
  f0 = 38.13547087602444;
  Q = 0.5003270373238773;
  K = Math.tan((Math.PI * f0) / sr);
  a0 = 1 + K / Q + K * K;
  const highpass = new Biquad(1, -2, 1, (2 * (K * K - 1)) / a0, (1 - K / Q + K * K) / a0);
  return [shelf, highpass];
}

const ABSOLUTE_GATE = -70;
const RELATIVE_GATE = -10;

function lufs(meanSquare: number): number {
  return -0.691 + 10 * Math.log10(meanSquare);
}

/** Feed stereo (or mono: pass the same array twice with `channels: 1`) blocks; read `integrated()`. */
export class LoudnessMeter {
  /** Filter coefficients and state, kept in flat arrays so the sample loop stays in locals. */
  private readonly c: Float64Array;
  private readonly z: Float64Array;
  private readonly step: number;
  private acc = 0;
  private inStep = 0;
  /** Sum of squares of each 100 ms step (channel-summed). */
  private readonly steps = new Series();

  constructor(
    readonly sampleRate: number,
    readonly channels: 1 | 2 = 2,
  ) {
    const [shelf, hp] = kWeighting(sampleRate);
    this.c = Float64Array.from([...shelf.coefficients(), ...hp.coefficients()]);
    // Per channel: shelf x1 x2 y1 y2, high-pass x1 x2 y1 y2.
    this.z = new Float64Array(16);
    this.step = Math.round(sampleRate / 10);
  }

  /** Feeds samples [from, to) of each channel (`right` is ignored for a mono meter). */
  push(left: Float32Array, right: Float32Array, from = 0, to = left.length): void {
    // Plain locals, not destructuring or objects: V8 keeps them unboxed, about 4× faster here.
    const c = this.c;
    const z = this.z;
    const b0 = c[0] as number, b1 = c[1] as number, b2 = c[2] as number, a1 = c[3] as number, a2 = c[4] as number;
    const h0 = c[5] as number, h1 = c[6] as number, h2 = c[7] as number, g1 = c[8] as number, g2 = c[9] as number;
    let lx1 = z[0] as number, lx2 = z[1] as number, ly1 = z[2] as number, ly2 = z[3] as number;
    let lu1 = z[4] as number, lu2 = z[5] as number, lv1 = z[6] as number, lv2 = z[7] as number;
    let rx1 = z[8] as number, rx2 = z[9] as number, ry1 = z[10] as number, ry2 = z[11] as number;
    let ru1 = z[12] as number, ru2 = z[13] as number, rv1 = z[14] as number, rv2 = z[15] as number;
    const stereo = this.channels === 2;
    const step = this.step;
    let acc = this.acc;
    let inStep = this.inStep;
    for (let i = from; i < to; i++) {
      const xl = left[i] as number;
      const yl = b0 * xl + b1 * lx1 + b2 * lx2 - a1 * ly1 - a2 * ly2;
      lx2 = lx1; lx1 = xl; ly2 = ly1; ly1 = yl;
      const vl = h0 * yl + h1 * lu1 + h2 * lu2 - g1 * lv1 - g2 * lv2;
      lu2 = lu1; lu1 = yl; lv2 = lv1; lv1 = vl;
      acc += vl * vl;
      if (stereo) {
        const xr = right[i] as number;
        const yr = b0 * xr + b1 * rx1 + b2 * rx2 - a1 * ry1 - a2 * ry2;
        rx2 = rx1; rx1 = xr; ry2 = ry1; ry1 = yr;
        const vr = h0 * yr + h1 * ru1 + h2 * ru2 - g1 * rv1 - g2 * rv2;
        ru2 = ru1; ru1 = yr; rv2 = rv1; rv1 = vr;
        acc += vr * vr;
      }
      if (++inStep === step) {
        this.endStep(acc);
        acc = 0;
        inStep = 0;
      }
    }
    z[0] = lx1; z[1] = lx2; z[2] = ly1; z[3] = ly2; z[4] = lu1; z[5] = lu2; z[6] = lv1; z[7] = lv2;
    z[8] = rx1; z[9] = rx2; z[10] = ry1; z[11] = ry2; z[12] = ru1; z[13] = ru2; z[14] = rv1; z[15] = rv2;
    this.acc = acc;
    this.inStep = inStep;
  }

  private endStep(energy: number): void {
    this.steps.push(energy);
  }

  /** K-weighted energy (channel-summed sum of squares) of each complete 100 ms step so far. */
  stepEnergies(): Float64Array {
    return this.steps.view();
  }

  /** Samples per 100 ms step. */
  get stepLength(): number {
    return this.step;
  }

  /** Gated integrated loudness (LUFS); −Infinity when nothing passes the absolute gate. */
  integrated(): number {
    return gatedLoudness([this.stepEnergies()], [1], this.step);
  }
}

/**
 * Gated integrated loudness of a weighted sum of uncorrelated signals, from their per-step
 * K-weighted energies: a step of Σ wᵢ·xᵢ has energy Σ wᵢ²·Eᵢ (cross terms of independent noise
 * and transients average out over 100 ms). `weights` are linear gains.
 */
export function gatedLoudness(stepSets: readonly Float64Array[], weights: readonly number[], stepLength: number): number {
  const n = Math.min(...stepSets.map((s) => s.length));
  const w2 = weights.map((w) => w * w);
  const energy = (i: number): number => {
    let e = 0;
    for (let k = 0; k < stepSets.length; k++) e += (w2[k] as number) * ((stepSets[k] as Float64Array)[i] as number);
    return e;
  };
  const blockLen = 4 * stepLength;
  const blocks: number[] = [];
  let e0 = 0, e1 = 0, e2 = 0;
  for (let i = 0; i < n; i++) {
    const e3 = energy(i);
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
