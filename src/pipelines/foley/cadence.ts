/**
 * @module Periodic motion (a walker's steps, a hammer, a bouncing ball) from onset times (pure).
 * Runs of onsets whose intervals agree within a tolerance are a cadence; the synthesis uses it
 * to alternate feet (left/right, heel/toe colour) instead of repeating one sound.
 */

export interface Cadence {
  /** Index of the first and last onset of the run (inclusive). */
  first: number;
  last: number;
  /** Median interval (s) of the run. */
  periodS: number;
  /** Steps per minute. */
  perMinute: number;
}

export interface CadenceOptions {
  /** Shortest and longest period (s) that count (0.2–1.5 s covers running to slow walking). */
  minPeriodS?: number;
  maxPeriodS?: number;
  /** Relative deviation of an interval from the run's period that still counts as regular. */
  tolerance?: number;
  /** Fewest onsets in a run. */
  minOnsets?: number;
}

/** Maximal runs of regularly spaced onsets. */
export function detectCadence(onsetTimes: readonly number[], opts: CadenceOptions = {}): Cadence[] {
  const { minPeriodS = 0.2, maxPeriodS = 1.5, tolerance = 0.2, minOnsets = 4 } = opts;
  const runs: Cadence[] = [];
  let i = 0;
  while (i + 1 < onsetTimes.length) {
    const first = i;
    const intervals: number[] = [];
    let period = (onsetTimes[i + 1] as number) - (onsetTimes[i] as number);
    while (i + 1 < onsetTimes.length) {
      const gap = (onsetTimes[i + 1] as number) - (onsetTimes[i] as number);
      if (gap < minPeriodS || gap > maxPeriodS || Math.abs(gap - period) > tolerance * period) break;
      intervals.push(gap);
      const sorted = [...intervals].sort((a, b) => a - b);
      period = sorted[sorted.length >> 1] as number;
      i++;
    }
    if (i - first + 1 >= minOnsets) runs.push({ first, last: i, periodS: period, perMinute: 60 / period });
    if (i === first) i++;
  }
  return runs;
}
