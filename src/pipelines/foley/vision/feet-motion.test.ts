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

/** Runs 4 s at 10 frames a second; the foot lands somewhere new (inside the walker's strip) on the frames in `steps`. */
function run(o: { steps: number[]; people: (t: number) => Box[] }) {
  const feet = new FeetMotion();
  const place = (t: number, k: number) => {
    const b = walker(t);
    return { x: Math.round((b.x0 + (b.x1 - b.x0) * (0.3 + 0.4 * (k % 2))) * W), y: Math.round(b.y1 * H) - 2 };
  };
  let foot = place(0, 0);
  for (let i = 0; i <= 40; i++) {
    const t = i / 10;
    if (o.steps.includes(i)) foot = place(t, o.steps.indexOf(i) + 1);
    if (i % 10 === 0) feet.detected(t, o.people(t), SIZE);
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
