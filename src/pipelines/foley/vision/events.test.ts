/**
 * Contact outranks visual change: heel strikes become steps at their frames (feet alternating,
 * panned to the foot), a motion onset at a step is not played twice, one where a hand stopped is
 * an impact, the rest are quieter; nothing lands within two frames of a cut; too few heel strikes
 * leave the motion in charge.
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisResult, Onset } from '../analysis.js';
import type { Contact } from './contacts.js';
import { eventsFromContacts, nearestFrame } from './events.js';

const FPS = 25;
function analysis(onsets: Array<Partial<Onset> & { time: number }>, cuts: number[] = [], cadences = 0): AnalysisResult {
  const n = 250;
  const times = Float64Array.from({ length: n }, (_, i) => i / FPS);
  return {
    times,
    motion: new Float32Array(n),
    pan: new Float32Array(n),
    onsets: onsets.map((o) => ({ frame: Math.round(o.time * FPS), strength: 0.5, pan: 0, y: 0, step: -1, ...o })),
    cuts,
    scenes: [],
    cadences: Array.from({ length: cadences }, () => ({ first: 0, last: 1, period: 0.5 })) as unknown as AnalysisResult['cadences'],
    duration: n / FPS,
  };
}
const foot = (time: number, side: 'left' | 'right', x = 0.25, track = 0): Contact => ({ time, side, x, y: 0.9, speed: 1.5, track });

describe('eventsFromContacts', () => {
  it('steps at heel strikes, the motion onset at a step dropped, a hand stop an impact, other motion quieter', () => {
    const a = analysis([
      { time: 1.0, strength: 0.8 },
      { time: 2.0, strength: 0.6 },
      { time: 3.0, strength: 0.5 },
    ]);
    const ev = eventsFromContacts(
      a,
      [foot(1.04, 'left'), foot(1.52, 'right', 0.75), foot(2.4, 'left')],
      [{ ...foot(3.0, 'right'), y: 0.5 }],
    );
    expect(ev.stepsFrom).toBe('pose');
    expect(ev.onsets.map((o) => o.time)).toEqual([1.04, 1.52, 2.0, 2.4, 3.0]);
    expect(ev.sources).toEqual(['foot', 'foot', 'motion', 'foot', 'hand']);
    const [s1, s2, m, , hand] = ev.onsets;
    // Feet alternate (the synth's step parity is the foot) and are panned where they are.
    expect([s1!.step % 2, s2!.step % 2]).toEqual([0, 1]);
    expect(s1!.pan).toBeCloseTo(-0.5);
    expect(s2!.pan).toBeCloseTo(0.5);
    expect(m!.strength).toBeCloseTo(0.36);
    expect(hand!.strength).toBeGreaterThanOrEqual(0.95);
    // The hand stop plays the impact voice; steps and plain motion keep the preset's hit.
    expect(ev.onsets.map((o) => o.voice)).toEqual([undefined, undefined, undefined, undefined, 'impact']);
  });

  it('no step within two frames of a cut; too few steps leave the motion cadence in charge', () => {
    const a = analysis([{ time: 0.5 }], [2.0], 1);
    const ev = eventsFromContacts(a, [foot(1.0, 'left'), foot(2.04, 'right'), foot(1.96, 'left', 0.3, 1)], []);
    // Only one heel strike is clear of the cut: fewer than two, so motion stays in charge.
    expect(ev.stepsFrom).toBe('motion');
    expect(ev.onsets.map((o) => o.time)).toEqual([0.5]);
    expect(eventsFromContacts(analysis([]), [], []).stepsFrom).toBe('none');
    // With motion in charge, a hand stop still plays the impact voice.
    const hands = eventsFromContacts(analysis([{ time: 0.5 }, { time: 1.5 }]), [], [{ ...foot(1.5, 'right'), y: 0.5 }]);
    expect(hands.sources).toEqual(['motion', 'hand']);
    expect(hands.onsets.map((o) => o.voice)).toEqual([undefined, 'impact']);
  });

  it('nearestFrame', () => {
    const t = [0, 0.04, 0.08, 0.12];
    expect([-1, 0.019, 0.021, 0.095, 0.11, 5].map((x) => nearestFrame(t, x))).toEqual([0, 0, 1, 2, 3, 3]);
  });
});
