/**
 * @module The audio's energy per video frame, which drives the camera: RMS over each frame's span
 * of samples, scaled to [0, 1] against the track's own loud level (its 95th percentile, so one
 * spike does not flatten the rest), and the onsets (sudden rises in energy) that get a zoom punch.
 */

/** RMS of mono `samples` (at `rate` Hz) over each of `frames` video frames at `fps`. */
export function frameRms(samples: Float32Array, rate: number, fps: number, frames: number): Float32Array {
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    const a = Math.floor((f * rate) / fps);
    const b = Math.min(samples.length, Math.floor(((f + 1) * rate) / fps));
    let sum = 0;
    for (let i = a; i < b; i++) sum += (samples[i] as number) ** 2;
    out[f] = b > a ? Math.sqrt(sum / (b - a)) : 0;
  }
  return out;
}

/** Below this RMS (about −60 dBFS) a track counts as silent. */
export const SILENCE_RMS = 1e-3;

export interface Energy {
  /** Per frame, 0 … 1. */
  level: Float32Array;
  /** True when the whole track stays under SILENCE_RMS. */
  silent: boolean;
}

/** RMS → energy in [0, 1] relative to the track's 95th percentile (all zeros for a silent track). */
export function normalizeEnergy(rms: Float32Array): Energy {
  const sorted = Float32Array.from(rms).sort();
  const loud = sorted.length > 0 ? (sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] as number) : 0;
  const silent = loud < SILENCE_RMS && (sorted.at(-1) ?? 0) < SILENCE_RMS;
  const level = new Float32Array(rms.length);
  if (!silent) for (let i = 0; i < rms.length; i++) level[i] = Math.min(1, (rms[i] as number) / Math.max(loud, SILENCE_RMS));
  return { level, silent };
}

/**
 * Onset strength per frame: where the energy rises by more than `threshold` over the mean of the
 * previous 100 ms and is the largest rise within `minGapS`; 0 elsewhere. Strength = the rise.
 */
export function onsets(level: Float32Array, fps: number, threshold = 0.3, minGapS = 0.25): Float32Array {
  const back = Math.max(1, Math.round(0.1 * fps));
  const gap = Math.max(1, Math.round(minGapS * fps));
  const rise = new Float32Array(level.length);
  for (let i = 1; i < level.length; i++) {
    let past = 0;
    const from = Math.max(0, i - back);
    for (let j = from; j < i; j++) past += level[j] as number;
    rise[i] = Math.max(0, (level[i] as number) - past / (i - from));
  }
  const out = new Float32Array(level.length);
  let last = -gap;
  for (let i = 0; i < rise.length; i++) {
    const r = rise[i] as number;
    if (r < threshold || i - last < gap) continue;
    let isMax = true;
    for (let j = Math.max(0, i - gap + 1); j < Math.min(rise.length, i + gap) && isMax; j++) if ((rise[j] as number) > r) isMax = false;
    if (!isMax) continue;
    out[i] = r;
    last = i;
  }
  return out;
}
