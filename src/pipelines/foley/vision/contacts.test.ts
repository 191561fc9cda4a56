/**
 * Heel strikes from tracked ankles, on a walker built from a gait model: each foot alternates a
 * swing (moving forward and up, then down) and a stance (planted) of known timing, so the landing
 * frames are known exactly; keypoint noise and missing keypoints are added as a real pose model
 * gives them. Tracking keeps two walkers apart across samples.
 */
import { describe, expect, it } from 'vitest';
import type { Keypoint, Pose } from '../../../vision/types.js';
import { footContacts, handContacts, LEFT_ANKLE, RIGHT_ANKLE, RIGHT_WRIST } from './contacts.js';
import { trackPeople, type PoseSample } from './tracks.js';

const FPS = 10;

/** A seeded noise source (tests must be repeatable). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/**
 * A walker moving right at `speed` body heights / s, step period `period` s (each foot swings for
 * 40 % of a stride, two steps a stride). Returns its poses per sample and the true landing times.
 */
function walker(o: {
  x0: number;
  y: number;
  height: number;
  speed: number;
  period: number;
  frames: number;
  noise: number;
  seed: number;
  aspect: number;
  phase?: number;
}): { poses: Pose[]; landings: Array<{ time: number; side: 'left' | 'right' }> } {
  const noise = rng(o.seed);
  const stride = 2 * o.period;
  const swing = 0.4 * stride;
  const landings: Array<{ time: number; side: 'left' | 'right' }> = [];
  // Foot position: planted while in stance; during its swing it moves 2 × stride × body speed.
  const footX = (t: number, offset: number): { x: number; lift: number } => {
    const local = t + offset;
    const n = Math.floor(local / stride);
    const u = local - n * stride;
    const advance = (o.speed * stride * o.height) / o.aspect; // frame widths per stride
    const base = o.x0 + n * advance - (offset / stride) * advance;
    if (u < swing) return { x: base + advance * (u / swing), lift: Math.sin((Math.PI * u) / swing) * 0.04 * o.height };
    return { x: base + advance, lift: 0 };
  };
  const poses: Pose[] = [];
  const phase = o.phase ?? 0;
  for (let i = 0; i < o.frames; i++) {
    const t = i / FPS;
    const l = footX(t + phase, 0);
    const r = footX(t + phase, o.period);
    const cx = (l.x + r.x) / 2;
    const keypoints: Keypoint[] = Array.from({ length: 17 }, (_, k) => ({
      x: cx + noise() * 0.002,
      y: o.y - o.height * (0.9 - k * 0.04),
      score: 0.8,
    }));
    keypoints[LEFT_ANKLE] = { x: l.x + noise() * o.noise, y: o.y - l.lift + noise() * o.noise, score: 0.7 };
    keypoints[RIGHT_ANKLE] = { x: r.x + noise() * o.noise, y: o.y - r.lift + noise() * o.noise, score: 0.7 };
    poses.push({
      box: { x0: cx - (0.2 * o.height) / o.aspect, x1: cx + (0.2 * o.height) / o.aspect, y0: o.y - o.height, y1: o.y + 0.02 },
      keypoints,
      score: 0.75,
    });
  }
  // Landings: where each foot's swing ends (between samples, in general).
  for (const [side, offset] of [
    ['left', 0],
    ['right', o.period],
  ] as const) {
    for (let n = -1; n < o.frames / FPS / stride + 1; n++) {
      const t = n * stride + swing - offset - phase;
      if (t > 0.15 && t < (o.frames - 2) / FPS) landings.push({ time: t, side });
    }
  }
  return { poses, landings: landings.sort((a, b) => a.time - b.time) };
}

const samples = (...walkers: Pose[][]): PoseSample[] => walkers[0]!.map((_, i) => ({ time: i / FPS, poses: walkers.map((w) => w[i]!) }));

/** Precision and recall of detected times against the truth, matching within `tol` s one to one. */
function score(found: number[], truth: number[], tol: number): { precision: number; recall: number } {
  const used = new Set<number>();
  let hits = 0;
  for (const f of found) {
    const j = truth.findIndex((t, k) => !used.has(k) && Math.abs(t - f) <= tol + 1e-9);
    if (j >= 0) {
      used.add(j);
      hits++;
    }
  }
  return { precision: found.length ? hits / found.length : 0, recall: truth.length ? hits / truth.length : 0 };
}

describe('footContacts', () => {
  it('finds every landing of a walker within one frame, feet alternating', () => {
    const aspect = 4 / 3;
    const w = walker({ x0: 0.1, y: 0.8, height: 0.25, speed: 0.8, period: 0.55, frames: 60, noise: 0.002, seed: 1, aspect });
    const contacts = footContacts(trackPeople(samples(w.poses)), { aspect });
    const s = score(
      contacts.map((c) => c.time),
      w.landings.map((l) => l.time),
      0.1,
    );
    expect(s.recall).toBeGreaterThanOrEqual(0.9);
    expect(s.precision).toBeGreaterThanOrEqual(0.9);
    // Alternating feet: no two consecutive contacts of one track on the same side (with gaps allowed).
    const sides = contacts.map((c) => c.side);
    const repeats = sides.filter((v, i) => i > 0 && v === sides[i - 1]).length;
    expect(repeats).toBeLessThanOrEqual(1);
  });

  it('ignores a person standing still (keypoint jitter is not a step) and low-score ankles', () => {
    const aspect = 16 / 9;
    const w = walker({ x0: 0.5, y: 0.7, height: 0.3, speed: 0, period: 0.5, frames: 50, noise: 0.006, seed: 2, aspect });
    expect(footContacts(trackPeople(samples(w.poses)), { aspect })).toEqual([]);
    const moving = walker({ x0: 0.1, y: 0.8, height: 0.25, speed: 0.8, period: 0.55, frames: 40, noise: 0.002, seed: 3, aspect });
    for (const p of moving.poses) for (const k of [LEFT_ANKLE, RIGHT_ANKLE]) p.keypoints[k] = { ...p.keypoints[k]!, score: 0.1 };
    expect(footContacts(trackPeople(samples(moving.poses)), { aspect })).toEqual([]);
  });

  it('keeps two walkers apart and finds each one’s steps', () => {
    const aspect = 4 / 3;
    const a = walker({ x0: 0.05, y: 0.85, height: 0.3, speed: 0.8, period: 0.5, frames: 50, noise: 0.002, seed: 4, aspect });
    const b = walker({ x0: 0.45, y: 0.5, height: 0.15, speed: 0.9, period: 0.6, frames: 50, noise: 0.001, seed: 5, aspect, phase: 0.17 });
    const tracks = trackPeople(samples(a.poses, b.poses));
    expect(tracks.length).toBe(2);
    const contacts = footContacts(tracks, { aspect });
    for (const [w, id] of [
      [a, tracks[0]!.id],
      [b, tracks[1]!.id],
    ] as const) {
      const mine = contacts.filter((c) => c.track === id).map((c) => c.time);
      const s = score(
        mine,
        w.landings.map((l) => l.time),
        0.1,
      );
      expect(s.recall).toBeGreaterThanOrEqual(0.85);
      expect(s.precision).toBeGreaterThanOrEqual(0.85);
    }
  });

  it('a hand that moves fast and stops is a hand contact; a foot at walking pace is not a hand', () => {
    const aspect = 16 / 9;
    const w = walker({ x0: 0.4, y: 0.8, height: 0.4, speed: 0, period: 0.5, frames: 20, noise: 0, seed: 6, aspect });
    // The right wrist swings down fast from frame 5 to 8, then rests (a knock on a table).
    w.poses.forEach((p, i) => {
      const y = i < 5 ? 0.5 : i < 8 ? 0.5 + (i - 4) * 0.08 : 0.82;
      p.keypoints[RIGHT_WRIST] = { x: 0.5, y, score: 0.9 };
    });
    const hands = handContacts(trackPeople(samples(w.poses)), { aspect });
    expect(hands.map((h) => [h.time, h.side])).toEqual([[0.8, 'right']]);
  });
});
