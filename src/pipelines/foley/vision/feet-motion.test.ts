/**
 * The feet's motion on drawn frames: a person walks right across a grey frame (detections once a
 * second), and their foot strip changes on chosen frames only (a "foot" that lands somewhere new
 * on those frames and stays put, in the picture, in between). Each of those frames must come back as one step of
 * that person; a person who stands gets none; the same walker detected twice steps once.
 */
import { describe, expect, it } from 'vitest';
import type { Box } from '../../../vision/types.js';
import { FeetMotion } from './feet-motion.js';

const W = 160;
const H = 90;
const SIZE = { width: W, height: H };

/** A walker's box at time t: 0.3 of the frame tall, moving right 0.08 of the width a second. */
const walker = (t: number): Box => ({ x0: 0.2 + 0.08 * t, x1: 0.28 + 0.08 * t, y0: 0.5, y1: 0.8 });
const stander: Box = { x0: 0.7, x1: 0.78, y0: 0.5, y1: 0.8 };

/**
 * A luma frame: grey, with a dark 3×2 "foot" at `foot` (pixels): it stays put while planted. Drawn
 * into one buffer for every frame, as a decode hands them over: FeetMotion must keep copies.
 */
const pixels = new Uint8Array(W * H);
function frame(foot: { x: number; y: number }): Uint8Array {
  pixels.fill(128);
  for (let dy = 0; dy < 2; dy++) pixels.fill(20, (foot.y + dy) * W + foot.x, (foot.y + dy) * W + foot.x + 3);
  return pixels;
}

/**
 * Runs 4 s (frames 0 to `last`) at 10 frames a second; the foot lands somewhere new (inside the walker's strip) on the
 * frames in `steps`. Detections come with their frame, or (`lag`) that many frames later, as when
 * the detector runs behind the decode; `failAt`: the detector fails at that frame (no detections after).
 */
function run(o: { steps: number[]; people: (t: number) => Box[]; lag?: number; failAt?: number; last?: number }) {
  const last = o.last ?? 40;
  const feet = new FeetMotion();
  const place = (t: number, k: number) => {
    const b = walker(t);
    return { x: Math.round((b.x0 + (b.x1 - b.x0) * (0.3 + 0.4 * (k % 2))) * W), y: Math.round(b.y1 * H) - 2 };
  };
  let foot = place(0, 0);
  const detections: number[] = [];
  for (let i = 0; i <= last + (o.lag ?? 0); i++) {
    if (i <= last && i % 10 === 0) detections.push(i);
    if (i === o.failAt) feet.abandon();
    while (o.failAt === undefined || i < o.failAt) {
      const d = detections[0];
      if (d === undefined || i - d < (o.lag ?? 0)) break;
      detections.shift();
      feet.detected(d / 10, o.people(d / 10), SIZE);
    }
    if (i > last) continue;
    const t = i / 10;
    if (o.steps.includes(i)) foot = place(t, o.steps.indexOf(i) + 1);
    feet.frame(frame(foot), t, SIZE);
  }
  return feet.finish();
}

describe('heel strikes from the feet’s motion', () => {
  it('a walker steps on the frames where the foot landed, and nowhere else', () => {
    const steps = [4, 9, 14, 19, 24, 29, 34];
    const { contacts, frames } = run({ steps, people: (t) => [walker(t), stander] });
    expect(frames).toBe(41);
    expect(contacts.map((c) => Math.round(c.time * 10))).toEqual(steps);
    expect(new Set(contacts.map((c) => c.track)).size).toBe(1);
    // Feet alternate, and each step is at the walker's feet.
    expect(contacts.map((c) => c.side)).toEqual(['left', 'right', 'left', 'right', 'left', 'right', 'left']);
    for (const c of contacts) expect(Math.abs(c.y - 0.8)).toBeLessThan(1e-6);
  });

  it('nobody walking, nothing steps: a standing person, or a walker seen once', () => {
    expect(run({ steps: [4, 9, 14], people: () => [stander] }).contacts).toEqual([]);
    expect(run({ steps: [4, 9, 14], people: (t) => (t < 1 ? [walker(t)] : []) }).contacts).toEqual([]);
  });

  it('the same steps however far the detector runs behind the frames (a loaded machine, the same seed)', () => {
    const steps = [4, 9, 14, 19, 24, 29, 34, 39, 44, 49, 54, 59, 64, 69, 74];
    const onTime = run({ steps, people: (t) => [walker(t), stander], last: 80 });
    expect(onTime.contacts.map((c) => Math.round(c.time * 10))).toEqual(steps);
    for (const lag of [3, 15, 45, 70]) expect(run({ steps, people: (t) => [walker(t), stander], lag, last: 80 })).toEqual(onTime);
  });

  it('a detector that fails part-way: the steps seen until then stay, later frames are let go', () => {
    const steps = [4, 9, 14, 19, 24, 29, 34];
    const { contacts, frames } = run({ steps, people: (t) => [walker(t), stander], failAt: 25 });
    expect(frames).toBe(41);
    // Walkers are followed one interval past the last detection (2 s): the steps up to 3 s.
    expect(contacts.map((c) => Math.round(c.time * 10))).toEqual(steps.filter((s) => s <= 29));
  });

  it('one walker detected twice (two overlapping boxes) steps once', () => {
    const steps = [4, 9, 14, 19];
    const twice = (t: number): Box[] => {
      const b = walker(t);
      return [b, { ...b, x0: b.x0 + 0.005, x1: b.x1 + 0.005 }];
    };
    const { contacts } = run({ steps, people: twice });
    expect(contacts.map((c) => Math.round(c.time * 10))).toEqual(steps);
  });
});
