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

export interface LocomotionOptions {
  /** Changed area (fraction of the frame) that counts as a body in motion. */
  minArea?: number;
  /** Shortest crossing (s). */
  minS?: number;
  /** How far (in half frame widths, the pan scale) the motion's centre must travel: an entrance, a crossing. */
  minDrift?: number;
  /** Above this drift speed (half widths per second) the mover runs. */
  runSpeed?: number;
  /** Step periods (s) for walking and running. */
  walkPeriodS?: number;
  runPeriodS?: number;
  /** No laid step within this many seconds of an onset that is already there. */
  clearS?: number;
}

export interface LocomotionRun {
  /** Seconds: the run's first and last moving frame. */
  start: number;
  end: number;
  /** The cadence laid (s). */
  periodS: number;
  /** Frames of the laid steps (onsets already there are not repeated). */
  frames: number[];
}

/**
 * Steps for a body crossing the frame when the motion onsets do not mark them. A runner's legs blur
 * into continuous change at 25 fps and 64 columns, so no single frame stands out; what does show is
 * a large moving area whose centre travels across the picture. Over such a run, steps are laid from
 * its first frame (the entrance) at a walking or running cadence chosen by how fast the centre
 * travels, leaving out those too close to onsets already found (which are the steps there).
 * This is the fallback of footsteps when no pose model reports heel strikes.
 */
/** Per-frame series (parallel arrays) and the onsets already found, for `locomotionSteps`. */
export interface LocomotionSeries {
  times: ArrayLike<number>;
  area: ArrayLike<number>;
  x: ArrayLike<number>;
  /** Frames that are repeats (never a step). */
  skip: Uint8Array;
  /** Frames near a cut (never a step). */
  blocked: Uint8Array;
  onsetTimes: readonly number[];
}

export function locomotionSteps(
  { times, area, x, skip, blocked, onsetTimes }: LocomotionSeries,
  opts: LocomotionOptions = {},
): LocomotionRun[] {
  const { minArea = 0.015, minS = 0.4, minDrift = 0.4, runSpeed = 0.7, walkPeriodS = 0.5, runPeriodS = 1 / 3, clearS = 0.15 } = opts;
  const n = times.length;
  const runs: LocomotionRun[] = [];
  let i = 1;
  while (i < n) {
    if (skip[i] || blocked[i] || (area[i] as number) < minArea) {
      i++;
      continue;
    }
    // A run: moving frames (repeats do not break it), no shot boundary inside.
    const run: number[] = [];
    let j = i;
    for (; j < n && !blocked[j]; j++) {
      if (skip[j]) continue;
      if ((area[j] as number) < minArea) break;
      run.push(j);
    }
    i = j + 1;
    const first = run[0] as number;
    const last = run[run.length - 1] as number;
    const span = (times[last] as number) - (times[first] as number);
    if (run.length < 4 || span < minS) continue;
    const mean = (idx: number[]): number => idx.reduce((s, k) => s + (x[k] as number), 0) / idx.length;
    const drift = Math.abs(mean(run.slice(-3)) - mean(run.slice(0, 3)));
    if (drift < minDrift) continue;
    const period = drift / span >= runSpeed ? runPeriodS : walkPeriodS;
    const frames: number[] = [];
    for (let t = times[first] as number; t <= (times[last] as number) + 1e-9; t += period) {
      if (onsetTimes.some((o) => Math.abs(o - t) < clearS)) continue;
      // The frame at (or just after) the step's time.
      let k = first;
      while (k < last && (times[k] as number) < t - 1e-9) k++;
      while (k < last && skip[k]) k++;
      frames.push(k);
    }
    runs.push({ start: times[first] as number, end: times[last] as number, periodS: period, frames });
  }
  return runs;
}
