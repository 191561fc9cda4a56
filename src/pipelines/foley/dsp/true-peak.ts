/**
 * @module True-peak estimation (BS.1770-4 Annex 2, pure): 4× oversampling by a windowed-sinc
 * polyphase interpolator, 12 taps a phase. `TruePeak.push(x)` returns the peak of the reconstructed
 * signal over the interval from sample n to n+1, where n lags the input by `TruePeak.LATENCY`.
 */

export const TAPS = 12;
const HALF = TAPS / 2;
const PHASES = 4;

/** h[p][k]: weight of x[m−k] for the value at m − HALF + p/PHASES (Hann-windowed sinc, unit DC gain). */
export const COEFS: Float64Array[] = Array.from({ length: PHASES }, (_, p) => {
  const h = new Float64Array(TAPS);
  let sum = 0;
  for (let k = 0; k < TAPS; k++) {
    const u = k - HALF + p / PHASES;
    const sinc = u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u);
    const w = Math.abs(u) < HALF ? 0.5 * (1 + Math.cos((Math.PI * u) / HALF)) : 0;
    h[k] = sinc * w;
    sum += h[k] as number;
  }
  for (let k = 0; k < TAPS; k++) h[k] = (h[k] as number) / sum;
  return h;
});

/**
 * No interpolated value can exceed the largest tap input times this (the largest phase's sum of
 * |coefficients|): below `ceiling / TP_BOUND` over the taps, the true peak is surely under the
 * ceiling and the filter need not run.
 */
export const TP_BOUND = Math.max(...COEFS.map((h) => h.reduce((a, v) => a + Math.abs(v), 0)));

export class TruePeak {
  /** The interval reported by push() starts this many samples before the sample just pushed. */
  static readonly LATENCY = HALF;
  /** Twice the taps, each sample written twice, so the taps read one contiguous run. */
  private readonly ring = new Float64Array(2 * TAPS);
  private pos = 0;

  /**
   * Push x[m]; returns max |x̂(t)| for t in [m − LATENCY, m − LATENCY + 1). With `quiet` and
   * `loudAgo` (samples since a tap input last exceeded `quiet`), the filter is skipped while every
   * tap is under `quiet`, and the sample value is returned instead (the true peak is then surely
   * under `quiet × TP_BOUND`).
   */
  push(x: number, quiet = Number.NEGATIVE_INFINITY, loudAgo = 0): number {
    const ring = this.ring;
    this.pos = this.pos + 1 === TAPS ? 0 : this.pos + 1;
    ring[this.pos] = x;
    ring[this.pos + TAPS] = x;
    const base = this.pos + TAPS;
    // Phase 0 is the sample itself (the sinc is 1 there and 0 at every other tap).
    let peak = Math.abs(ring[base - HALF] as number);
    if (loudAgo >= TAPS && Math.abs(x) <= quiet) return peak;
    for (let p = 1; p < PHASES; p++) {
      const h = COEFS[p] as Float64Array;
      let y = 0;
      for (let k = 0; k < TAPS; k++) y += (ring[base - k] as number) * (h[k] as number);
      const a = Math.abs(y);
      if (a > peak) peak = a;
    }
    return peak;
  }
}

/** True peak (linear) of whole channels, for tests and tools. */
export function truePeakOf(...channels: Float32Array[]): number {
  let peak = 0;
  for (const ch of channels) {
    const tp = new TruePeak();
    for (let i = 0; i < ch.length + TAPS; i++) peak = Math.max(peak, tp.push(i < ch.length ? (ch[i] as number) : 0));
  }
  return peak;
}
