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
export function detectAudioOnsets(samples: Float32Array, sampleRate: number, opts: { riseDb?: number; floorDb?: number; minGapS?: number } = {}): number[] {
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
  found.forEach((x, f) => truth.forEach((y, t) => {
    const d = Math.abs(x - y);
    if (d <= tolerance + 1e-9) pairs.push({ f, t, d });
  }));
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
