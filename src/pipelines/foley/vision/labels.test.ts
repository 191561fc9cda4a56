/**
 * What is seen → `seen` spans and the preset: detections merge per label across samples (gaps
 * bridged, separate appearances kept apart), and the sound follows the label that weighs most,
 * people in numbers being a crowd, excluded presets never chosen.
 */
import { describe, expect, it } from 'vitest';
import type { Detection } from '../../../vision/types.js';
import { LABEL_SOUNDS, mergeSeen, soundFromSeen, walkers, type DetectionSample } from './labels.js';

const det = (label: string, score: number, size = 0.2, x = 0.3): Detection => ({
  label,
  classId: 0,
  score,
  box: { x0: x, y0: 0.4, x1: x + size, y1: 0.4 + size },
});

function samples(every: number, n: number, at: (i: number) => Detection[]): DetectionSample[] {
  return Array.from({ length: n }, (_, i) => ({ time: i * every, detections: at(i) }));
}

describe('mergeSeen', () => {
  it('merges a label across samples, bridges one missed sample, splits a long absence', () => {
    // A car in samples 0–3 and 5–6 (one miss: same span), gone 7–14, back 15–16.
    const s = samples(0.5, 17, (i) => (i <= 3 || i === 5 || i === 6 || i >= 15 ? [det('car', i === 2 ? 0.9 : 0.6)] : []));
    const seen = mergeSeen(s, { intervalS: 0.5 });
    expect(seen.map((x) => [x.label, x.start, x.end, x.score])).toEqual([
      ['car', 0, 3.5, 0.9],
      ['car', 7.5, 8.5, 0.6],
    ]);
  });

  it('drops weak detections and counts people per sample', () => {
    const s = samples(0.5, 4, () => [det('person', 0.8), det('person', 0.7, 0.1, 0.6), det('person', 0.2), det('dog', 0.2)]);
    const seen = mergeSeen(s, { intervalS: 0.5 });
    expect(seen.map((x) => x.label)).toEqual(['person']);
    expect(seen[0]!.count).toBe(2);
  });

  it('says how many of the people seen walk: boxes that travel between detections, not ones that jitter', () => {
    // Six people a sample, a second apart: four walk 0.3 of their height a second, two jitter by 0.02.
    const at = (i: number): Detection[] =>
      Array.from({ length: 6 }, (_, k) => det('person', 0.8, 0.2, 0.05 + 0.15 * k + (k < 4 ? 0.06 * i : 0.004 * (i % 2))));
    const walking = mergeSeen(samples(1, 6, at), { intervalS: 1 });
    expect(walking[0]!.count).toBe(6);
    expect(walking[0]!.moving).toBeCloseTo(4 / 6, 5);
    expect(walkers([det('person', 0.8).box], [det('person', 0.8, 0.2, 0.31).box], 0.25)).toEqual({ matched: 1, walked: 0 });
    expect(walkers([det('person', 0.8).box], [det('person', 0.8, 0.2, 0.34).box], 0.25)).toEqual({ matched: 1, walked: 1 });
    // Someone far away is someone else, not one person who ran.
    expect(walkers([det('person', 0.8).box], [det('person', 0.8, 0.2, 0.9).box], 1)).toEqual({ matched: 0, walked: 0 });
  });
});

describe('soundFromSeen', () => {
  const spans = ({ label, count, size, start, end }: { label: string; count: number; size: number; start: number; end: number }) => ({
    label,
    score: 0.8,
    start,
    end,
    count,
    salience: size * size * 0.8,
  });

  it('follows the label that weighs most inside the stretch', () => {
    const seen = [
      spans({ label: 'person', count: 1, size: 0.3, start: 0, end: 10 }),
      spans({ label: 'car', count: 1, size: 0.1, start: 0, end: 10 }),
      spans({ label: 'boat', count: 1, size: 0.5, start: 12, end: 20 }),
    ];
    expect(soundFromSeen(seen, 0, 10)).toBe('footsteps');
    expect(soundFromSeen(seen, 12, 20)).toBe('water');
    expect(soundFromSeen(seen, 0, 10, { excluded: new Set(['footsteps']) })).toBe('engine');
    expect(soundFromSeen([spans({ label: 'laptop', count: 1, size: 0.5, start: 0, end: 10 })], 0, 10)).toBeUndefined();
  });

  it('people in numbers are a crowd when they stand, footsteps when most walk; walking people count double', () => {
    expect(soundFromSeen([spans({ label: 'person', count: 7, size: 0.1, start: 0, end: 10 })], 0, 10)).toBe('crowd');
    const crowd = spans({ label: 'person', count: 7, size: 0.1, start: 0, end: 10 });
    expect(soundFromSeen([{ ...crowd, moving: 0.2 }], 0, 10)).toBe('crowd');
    expect(soundFromSeen([{ ...crowd, moving: 0.8 }], 0, 10)).toBe('footsteps');
    const seen = [
      spans({ label: 'person', count: 1, size: 0.1, start: 0, end: 10 }),
      spans({ label: 'car', count: 1, size: 0.13, start: 0, end: 10 }),
    ];
    expect(soundFromSeen(seen, 0, 10)).toBe('engine');
    expect(soundFromSeen(seen, 0, 10, { stepsSeen: true })).toBe('footsteps');
  });

  it('names only presets the engine has', async () => {
    const { PRESETS } = await import('../presets.js');
    const names = new Set(PRESETS.map((p) => p.name));
    for (const sound of Object.values(LABEL_SOUNDS)) expect(names.has(sound)).toBe(true);
    expect(names.has('crowd')).toBe(true);
  });
});
