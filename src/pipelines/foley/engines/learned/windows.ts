/**
 * @module Any length from a model trained on a span (MMAudio 8 s, HunyuanVideo-Foley up to 15 s):
 * the track is cut into windows of the trained span that overlap by at least a second, each sampled
 * on its own, and joined with equal-power crossfades (cos/sin: the summed power stays constant where
 * two windows of unrelated noise meet). A source shorter than one window gets one window, of the
 * source's length (MMAudio's fixed-length graphs then condition the part past its end on the learned
 * "no picture" features and cut it off). Window starts sit on the 8 fps grid, so each window's
 * CLIP frames are whole frames of the one decode.
 */

/** The least overlap between two windows (s). */
export const MIN_OVERLAP_S = 1;
/** Window starts are multiples of this (s): one CLIP frame at 8 fps. */
export const START_GRID_S = 1 / 8;

export interface Window {
  /** Seconds into the track. */
  start: number;
  /** Seconds of the track it covers (the window length, or less for the last of a short track). */
  length: number;
}

/** The windows for `durationS` seconds of sound from a model of `windowS`-second windows. */
export function planWindows(durationS: number, windowS: number): Window[] {
  if (!(durationS > 0) || !(windowS > MIN_OVERLAP_S)) throw new RangeError(`cannot window ${durationS} s into ${windowS} s windows`);
  if (durationS <= windowS) return [{ start: 0, length: durationS }];
  const n = Math.ceil((durationS - MIN_OVERLAP_S) / (windowS - MIN_OVERLAP_S));
  const lastStart = Math.floor((durationS - windowS) / START_GRID_S) * START_GRID_S;
  const out: Window[] = [];
  for (let i = 0; i < n; i++) {
    // Evenly spread, on the grid; the last one ends at (or within a grid step of) the track's end.
    const start = i === n - 1 ? lastStart : Math.round((lastStart * i) / (n - 1) / START_GRID_S) * START_GRID_S;
    out.push({ start, length: Math.min(windowS, durationS - start) });
  }
  return out;
}

/**
 * Lays `audio` (a window's samples from its start) into `track` at `startSample`, crossfading
 * with what is already there over `fadeSamples` at the window's head (equal power). The first
 * window has nothing under it and is laid in as it is.
 */
export function layWindow(track: Float32Array, o: { audio: Float32Array; startSample: number; fadeSamples: number }): void {
  const end = Math.min(track.length, o.startSample + o.audio.length);
  const fade = o.startSample === 0 ? 0 : Math.min(o.fadeSamples, end - o.startSample);
  for (let i = o.startSample; i < end; i++) {
    const k = i - o.startSample;
    const s = o.audio[k]!;
    if (k < fade) {
      const x = (k + 0.5) / fade;
      track[i] = track[i]! * Math.cos((Math.PI / 2) * x) + s * Math.sin((Math.PI / 2) * x);
    } else {
      track[i] = s;
    }
  }
}

/** Samples of overlap between a window and the one before it (0 for the first). */
export function overlapSamples(windows: readonly Window[], index: number, sampleRate: number): number {
  if (index === 0) return 0;
  const prev = windows[index - 1]!;
  return Math.max(0, Math.round((prev.start + prev.length - windows[index]!.start) * sampleRate));
}
