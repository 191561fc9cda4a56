/**
 * @module Adaptive onset picking over a per-frame novelty curve (pure). A frame is an onset when
 * its novelty rises above the running median of the shot's recent frames by more than `k` scaled
 * MADs (and an absolute floor), with a refractory period. The median and MAD make the threshold
 * follow the shot: a busy shot needs a bigger jolt than a still one, and one outlier (the last
 * event) does not raise the bar for the next.
 */

export interface OnsetOptions {
  /** Window (s) of the running median/MAD before each frame. */
  windowS?: number;
  /** How many scaled MADs above the running median count as sudden. */
  k?: number;
  /** Minimum rise that counts at all, so codec noise on a still shot stays silent. */
  floor?: number;
  /** No second onset within this many seconds of the last. */
  refractoryS?: number;
  /** No onset within this many frames of a shot start, either side: a cut is never a hit. */
  cutGuardFrames?: number;
}

export interface OnsetPick {
  frame: number;
  /** Novelty above the running median. */
  rise: number;
}

function median(values: Float64Array, n: number): number {
  if (n === 0) return 0;
  const s = values.subarray(0, n).sort();
  const m = n >> 1;
  return n % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Repeated frames: an (almost) unchanged frame between moving ones, as telecine, frame-rate
 * conversion or a stuttering camera leave every few frames. Their zeros would drag the running
 * median down and the MAD up, so picking skips them.
 */
export function repeatedFrames(motion: ArrayLike<number>, still = 0.0015, moving = 0.004): Uint8Array {
  const n = motion.length;
  const out = new Uint8Array(n);
  for (let i = 1; i < n; i++) {
    if ((motion[i] as number) > still) continue;
    const before = motion[i - 1] as number;
    const after = i + 1 < n ? (motion[i + 1] as number) : 0;
    if (before >= moving && after >= moving) out[i] = 1;
  }
  return out;
}

/**
 * `novelty[i]` is the change into frame i; `shotStarts` are frames that begin a shot (cuts): they
 * and their neighbours are never onsets, and the running statistics do not reach back across them.
 * Frames flagged in `skip` (repeats) are neither onsets nor part of the statistics; frames not
 * flagged in `eligible` (when given) are part of the statistics but never onsets.
 */
export interface OnsetSeries {
  novelty: ArrayLike<number>;
  times: ArrayLike<number>;
  shotStarts: readonly number[];
  skip?: Uint8Array | undefined;
  eligible?: Uint8Array | undefined;
}

export function pickOnsets({ novelty, times, shotStarts, skip, eligible }: OnsetSeries, opts: OnsetOptions = {}): OnsetPick[] {
  const { windowS = 0.5, k = 4, floor = 0.02, refractoryS = 0.1, cutGuardFrames = 2 } = opts;
  const n = novelty.length;
  const picks: OnsetPick[] = [];
  const starts = new Set(shotStarts);
  // Frames near a cut: the cut's own change (and a blended or half-decoded frame either side of
  // it) would read as a hit.
  const guarded = new Uint8Array(n);
  for (const c of shotStarts) for (let j = Math.max(0, c - cutGuardFrames); j <= Math.min(n - 1, c + cutGuardFrames); j++) guarded[j] = 1;
  let shotStart = 0;
  let lastOnset = Number.NEGATIVE_INFINITY;
  const past = new Float64Array(4096);
  const dev = new Float64Array(4096);
  for (let i = 1; i < n; i++) {
    if (starts.has(i)) {
      shotStart = i;
      continue;
    }
    if (skip?.[i]) continue;
    const t = times[i] as number;
    // The window [from, i): this shot's frames within windowS before i, at least 3 when there are.
    const lo = shotStart + 1;
    let from = i;
    while (from > lo && (t - (times[from - 1] as number) <= windowS || i - from < 3) && i - from < past.length) from--;
    let count = 0;
    for (let j = i - 1; j >= from; j--) if (!skip?.[j]) past[count++] = novelty[j] as number;
    // The first frames of a shot are judged against what there is (an entrance in the second frame
    // of a clip is an event too).
    if (count < 1) continue;
    const base = median(past, count);
    for (let j = 0; j < count; j++) dev[j] = Math.abs((past[j] as number) - base);
    const mad = median(dev, count) * 1.4826;
    const rise = (novelty[i] as number) - base;
    if (rise > Math.max(floor, k * mad) && t - lastOnset >= refractoryS && !guarded[i] && (!eligible || eligible[i])) {
      picks.push({ frame: i, rise });
      lastOnset = t;
    }
  }
  return picks;
}
