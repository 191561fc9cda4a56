/**
 * @module The events the engine plays, once the picture has been seen (pure). Contact outranks
 * mere visual change: every heel strike becomes a step at its frame, panned to the foot and with
 * feet alternating per person; a motion onset at a step is the step (dropped); a motion onset where
 * a hand stopped is an impact (as strong as the strongest, with the impact preset's thud whatever
 * the scene's preset); other motion onsets stay, quieter,
 * because what only changed on screen may not have touched anything. One event a frame.
 */
import type { AnalysisResult, Onset } from '../analysis.js';
import type { Contact } from './contacts.js';

export type EventSource = 'foot' | 'hand' | 'motion';

export interface SeenEvents {
  onsets: Onset[];
  /** Where each onset came from (same order). */
  sources: EventSource[];
  /** Where the footsteps came from: heel strikes (from pose, or from the feet's motion), the motion cadence, or none. */
  stepsFrom: 'pose' | 'feet' | 'motion' | 'none';
}

export interface EventOptions {
  /** A motion onset this close (s) to a contact is that contact. */
  matchS?: number;
  /** Motion onsets with no contact keep this share of their strength. */
  motionScale?: number;
  /** Fewer heel strikes than this and the motion cadence stays in charge. */
  minSteps?: number;
  /** What found the heel strikes (`feet`: vision/feet-motion.ts). @default 'pose' */
  stepsFrom?: 'pose' | 'feet';
}

/** The frame whose time is nearest `t` (times sorted). */
export function nearestFrame(times: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs((times[lo - 1] as number) - t) <= Math.abs((times[lo] as number) - t)) return lo - 1;
  return lo;
}

export function eventsFromContacts(
  a: AnalysisResult,
  feet: readonly Contact[],
  hands: readonly Contact[],
  o: EventOptions = {},
): SeenEvents {
  const matchS = o.matchS ?? 0.12;
  const motionScale = o.motionScale ?? 0.6;
  const minSteps = o.minSteps ?? 2;
  // A person "landing" across a cut is two shots, not a step.
  const interval = a.times.length > 1 ? ((a.times[a.times.length - 1] as number) - (a.times[0] as number)) / (a.times.length - 1) : 0.04;
  const clearOfCuts = (c: Contact): boolean => !a.cuts.some((t) => Math.abs(t - c.time) <= 2 * interval + 1e-6);
  feet = feet.filter(clearOfCuts);
  hands = hands.filter(clearOfCuts);
  if (feet.length < minSteps) {
    const withHands = hitsAtHands(a.onsets, hands, matchS);
    return { onsets: withHands.onsets, sources: withHands.sources, stepsFrom: a.cadences.length > 0 ? 'motion' : 'none' };
  }
  const strongest = Math.max(...feet.map((f) => f.speed));
  // Steps alternate feet per person: the synth's `step` parity is the foot.
  const count = new Map<number, number>();
  const steps: Onset[] = feet.map((f) => {
    const k = count.get(f.track) ?? 0;
    count.set(f.track, k + 1);
    const frame = nearestFrame(a.times, f.time);
    return {
      frame,
      time: a.times[frame] as number,
      strength: 0.55 + 0.45 * Math.sqrt(f.speed / strongest),
      pan: Math.max(-1, Math.min(1, 2 * f.x - 1)),
      y: Math.max(-1, Math.min(1, 2 * f.y - 1)),
      step: 2 * k + (f.side === 'left' ? 0 : 1),
    };
  });
  const rest = a.onsets.filter((on) => !feet.some((f) => Math.abs(f.time - on.time) <= matchS));
  const motion = hitsAtHands(
    rest.map((on) => ({ ...on, strength: on.strength * motionScale, step: -1 })),
    hands,
    matchS,
  );
  const all = [
    ...steps.map((onset) => ({ onset, source: 'foot' as EventSource })),
    ...motion.onsets.map((onset, i) => ({ onset, source: motion.sources[i] as EventSource })),
  ];
  all.sort((x, y) => x.onset.time - y.onset.time || y.onset.strength - x.onset.strength);
  // One event a frame (two people landing on one frame are one sound): the strongest stays.
  const one = all.filter((e, i) => i === 0 || e.onset.frame !== all[i - 1]!.onset.frame);
  return { onsets: one.map((e) => e.onset), sources: one.map((e) => e.source), stepsFrom: o.stepsFrom ?? 'pose' };
}

/**
 * Onsets where a hand stopped become impacts: full strength, and the impact voice (the impact
 * preset's body thud, whatever the scene's preset: a hand stopping hit something, it did not tap).
 */
function hitsAtHands(onsets: readonly Onset[], hands: readonly Contact[], matchS: number): { onsets: Onset[]; sources: EventSource[] } {
  const out: Onset[] = [];
  const sources: EventSource[] = [];
  for (const on of onsets) {
    const hand = hands.some((h) => Math.abs(h.time - on.time) <= matchS);
    out.push(hand ? { ...on, strength: Math.max(on.strength, 0.95), voice: 'impact' } : on);
    sources.push(hand ? 'hand' : 'motion');
  }
  return { onsets: out, sources };
}
