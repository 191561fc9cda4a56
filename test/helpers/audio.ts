/**
 * Test-side audio analysis that shares no code with the engine: an onset detector that does not
 * know how many events to expect, and precision/recall against known event times.
 */

/** RMS of each 5 ms hop of a mono signal; `hop` is the hop length in samples. */
export function rmsHops(samples: Float32Array, sampleRate: number): { hop: number; rms: Float64Array } {
  const hop = Math.round(sampleRate * 0.005);
  const rms = new Float64Array(Math.floor(samples.length / hop));
  for (let f = 0; f < rms.length; f++) {
    let sum = 0;
    for (let i = f * hop; i < (f + 1) * hop; i++) sum += (samples[i] as number) ** 2;
    rms[f] = Math.sqrt(sum / hop);
  }
  return { hop, rms };
}

/**
 * Onsets (s) of a mono signal: RMS in 5 ms hops; a hop is an onset when its level is at least
 * `riseDb` above the mean of the previous 50 ms and above `floorDb` (dBFS RMS); after an onset,
 * no other for `minGapS`. The time reported is the start of the first hop of the rise.
 */
export function detectAudioOnsets(
  samples: Float32Array,
  sampleRate: number,
  opts: { riseDb?: number; floorDb?: number; minGapS?: number } = {},
): number[] {
  const { riseDb = 9, floorDb = -45, minGapS = 0.1 } = opts;
  const { hop, rms } = rmsHops(samples, sampleRate);
  const frames = rms.length;
  const ratio = 10 ** (riseDb / 20);
  const floor = 10 ** (floorDb / 20);
  const onsets: number[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (let f = 10; f < frames; f++) {
    let past = 0;
    for (let j = f - 10; j < f; j++) past += rms[j] as number;
    past /= 10;
    const t = (f * hop) / sampleRate;
    if ((rms[f] as number) > floor && (rms[f] as number) > ratio * (past + 1e-9) && t - last >= minGapS) {
      onsets.push(t);
      last = t;
    }
  }
  return onsets;
}

export interface MatchScore {
  precision: number;
  recall: number;
  /** Median |found − truth| over matched pairs (s). */
  medianError: number;
  unmatchedFound: number[];
  missed: number[];
}

/** One-to-one greedy matching (closest pairs first) within `tolerance` seconds. */
export function scoreOnsets(found: readonly number[], truth: readonly number[], tolerance: number): MatchScore {
  const pairs: Array<{ f: number; t: number; d: number }> = [];
  found.forEach((x, f) => {
    truth.forEach((y, t) => {
      const d = Math.abs(x - y);
      if (d <= tolerance + 1e-9) pairs.push({ f, t, d });
    });
  });
  pairs.sort((a, b) => a.d - b.d);
  const usedF = new Set<number>();
  const usedT = new Set<number>();
  const errors: number[] = [];
  for (const p of pairs) {
    if (usedF.has(p.f) || usedT.has(p.t)) continue;
    usedF.add(p.f);
    usedT.add(p.t);
    errors.push(p.d);
  }
  errors.sort((a, b) => a - b);
  return {
    precision: found.length ? usedF.size / found.length : truth.length ? 0 : 1,
    recall: truth.length ? usedT.size / truth.length : 1,
    medianError: errors.length ? (errors[errors.length >> 1] as number) : Number.POSITIVE_INFINITY,
    unmatchedFound: found.filter((_, i) => !usedF.has(i)),
    missed: truth.filter((_, i) => !usedT.has(i)),
  };
}

/**
 * Power spectrum of a real signal whose length is a power of two, by an in-place radix-2 FFT:
 * the n/2 bins of sampleRate/n Hz, |X[k]|². Windowing and zero-padding are the caller's.
 */
export function powerSpectrum(signal: Float64Array): Float64Array {
  const n = signal.length;
  if (n === 0 || (n & (n - 1)) !== 0) throw new RangeError(`the length must be a power of two (got ${n})`);
  const re = Float64Array.from(signal);
  const im = new Float64Array(n);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) [re[i], re[j]] = [re[j] as number, re[i] as number];
  }
  for (let len = 2; len <= n; len <<= 1) {
    const a = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const c = Math.cos(a * k),
          s = Math.sin(a * k);
        const p = i + k,
          q = p + len / 2;
        const tr = (re[q] as number) * c - (im[q] as number) * s;
        const ti = (re[q] as number) * s + (im[q] as number) * c;
        re[q] = (re[p] as number) - tr;
        im[q] = (im[p] as number) - ti;
        re[p] = (re[p] as number) + tr;
        im[p] = (im[p] as number) + ti;
      }
    }
  }
  return Float64Array.from({ length: n / 2 }, (_, k) => (re[k] as number) ** 2 + (im[k] as number) ** 2);
}
