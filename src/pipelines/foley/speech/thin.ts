/**
 * @module Thinning Foley events under speech (pure). Outside speech every event stays. Inside a
 * speech span (widened by `marginS`, the ducking's ramp) only events at least `minStrength`
 * strong stay (strength is the engine's 0..1 onset strength), and of those at most one per
 * `minGapMs`, the strongest first: a door slam during dialogue still sounds, the patter of small
 * gestures under it does not.
 */

export interface ThinOptions {
  /** Weakest event kept inside speech (0..1). Default 0.6. */
  minStrength?: number;
  /** Least time between two events kept inside speech (ms). Default 500. */
  minGapMs?: number;
  /** How far before and after a span still counts as inside (s). Default 0.15. */
  marginS?: number;
}

export const THIN_DEFAULTS = { minStrength: 0.6, minGapMs: 500, marginS: 0.15 } as const;

/** The events to keep, in their input order (the same objects). */
export function thinEventsInSpeech<T extends { time: number; strength: number }>(
  onsets: readonly T[],
  spans: ReadonlyArray<readonly [number, number]>,
  o: ThinOptions = {},
): T[] {
  const minStrength = o.minStrength ?? THIN_DEFAULTS.minStrength;
  const gap = (o.minGapMs ?? THIN_DEFAULTS.minGapMs) / 1000;
  const margin = o.marginS ?? THIN_DEFAULTS.marginS;
  const inSpeech = (t: number): boolean => spans.some(([a, b]) => t >= a - margin && t <= b + margin);
  const keep = new Set<number>();
  const candidates: number[] = [];
  onsets.forEach((e, i) => {
    if (!inSpeech(e.time)) keep.add(i);
    else if (e.strength >= minStrength) candidates.push(i);
  });
  // Strongest first (earlier on ties), each kept only if no kept speech event is within the gap.
  candidates.sort((i, j) => (onsets[j] as T).strength - (onsets[i] as T).strength || (onsets[i] as T).time - (onsets[j] as T).time);
  const keptInSpeech: number[] = [];
  for (const i of candidates) {
    const t = (onsets[i] as T).time;
    if (keptInSpeech.every((u) => Math.abs(u - t) >= gap)) {
      keptInSpeech.push(t);
      keep.add(i);
    }
  }
  return onsets.filter((_, i) => keep.has(i));
}
