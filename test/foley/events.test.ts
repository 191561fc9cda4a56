/**
 * Which picture events become hits, on real footage through the real decode (streamGrayFrames →
 * MotionAnalyzer, as a job runs it):
 *  - blinks, talking and small gestures are not hits: Megamind.avi (opencv-doc) is three people
 *    talking in close-ups; looked at frame by frame it has blinks (≈1.3 s, 9.55 s, 10.8 s), head
 *    turns and a raised glass, and nothing that touches anything: no onset at all;
 *  - a running entrance gets steps: in chaplin.mp4 (../shared) a man runs in from the right from
 *    0.08 s and slows to a stop by ≈1 s; no single frame stands out (the legs blur), so the steps
 *    come from the crossing fallback: at least two, in a cadence, the first at the entrance;
 *  - the event list is what the synth plays and what the result reports (`events_at`): sorted,
 *    one per frame, inside the clip.
 * Synthetic contacts (objects that jump, a foot that plants) are held by test/foley/onsets.test.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../src/pipelines/foley/analysis.js';
import { analyseClip } from '../helpers/analysis.js';
import { SHARED_MEDIA } from '../helpers/media.js';

const OPENCV = '/usr/share/doc/opencv-doc/examples/data';
const CHAPLIN = join(SHARED_MEDIA, 'chaplin.mp4');

function expectWellFormed(r: AnalysisResult): void {
  const t = r.onsets.map((o) => o.time);
  for (let i = 1; i < t.length; i++) expect(t[i]).toBeGreaterThan(t[i - 1] as number);
  for (const o of r.onsets) {
    expect(o.time).toBe(r.times[o.frame]);
    expect(o.time).toBeGreaterThanOrEqual(0);
    expect(o.time).toBeLessThan(r.duration);
  }
}

describe('events that mean something', () => {
  it('blinks, talking and gestures in close-ups are not hits (Megamind.avi)', async () => {
    const r = await analyseClip(join(OPENCV, 'Megamind.avi'));
    expect(r.cuts.length).toBe(4);
    expect(r.onsets.map((o) => o.time)).toEqual([]);
  });

  it.skipIf(!existsSync(CHAPLIN))('a running entrance gets steps in a cadence (chaplin.mp4)', async () => {
    const r = await analyseClip(CHAPLIN);
    expectWellFormed(r);
    const entrance = r.onsets.filter((o) => o.time < 1.2);
    expect(entrance.length).toBeGreaterThanOrEqual(2);
    // The first step is the entrance itself, within the first running frames.
    expect(entrance[0]!.time).toBeLessThanOrEqual(0.2);
    expect(entrance.every((o) => o.step >= 0)).toBe(true);
    const c = r.cadences.find((k) => k.first === r.onsets.indexOf(entrance[0]!));
    expect(c).toBeDefined();
    expect(c!.periodS).toBeGreaterThanOrEqual(0.25);
    expect(c!.periodS).toBeLessThanOrEqual(0.6);
    // Steps fall where the runner is (right half at the entrance, drifting left).
    expect(entrance[0]!.pan).toBeGreaterThan(0);
  });

  it('the street (vtest.avi): events sorted, one per frame, inside the clip, none near a cut', async () => {
    const r = await analyseClip(join(OPENCV, 'vtest.avi'));
    expectWellFormed(r);
    expect(r.cuts).toEqual([]);
    expect(r.onsets.length).toBeGreaterThan(5);
  });
});
