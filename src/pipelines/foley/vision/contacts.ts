/**
 * @module Foot contacts (heel strikes) from a tracked person's ankles (pure). A walking foot
 * swings, lands and stays planted while the other swings; with the camera still, the planted
 * foot stands still in the picture. So a heel strike is the moment an ankle that was moving
 * (faster than `swing` body heights per second) comes to rest (slower than `stance`, or than half
 * the swing's peak speed): the first sample of the rest. Speeds are measured in body heights (the person's median box height), so
 * near and far walkers read alike; keypoints below `minScore` are gaps, not motion.
 */
import type { Track } from './tracks.js';

/** MoveNet / COCO keypoint indices. */
export const LEFT_ANKLE = 15;
export const RIGHT_ANKLE = 16;
export const LEFT_WRIST = 9;
export const RIGHT_WRIST = 10;

export interface Contact {
  /** Seconds: the sample where the limb came to rest. */
  time: number;
  track: number;
  /** Which keypoint: 'left' / 'right' foot or hand. */
  side: 'left' | 'right';
  /** Position in the frame, 0..1 (keypoint coordinates). */
  x: number;
  y: number;
  /** How fast the limb moved before it stopped (body heights / s): a firmer landing is louder. */
  speed: number;
}

export interface ContactOptions {
  /** Faster than this (body heights / s) is a swing. */
  swing?: number;
  /** Slower than this is at rest. */
  stance?: number;
  /** Also at rest below this share of the swing's peak speed (keypoint jitter scales with size). */
  relative?: number;
  minScore?: number;
  /** The same limb cannot land twice within this (s). */
  minIntervalS?: number;
  /** The frame's width over its height: keypoints are fractions of each, speeds need one unit. */
  aspect?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[s.length >> 1] as number);
}

/** Contacts of one keypoint (an ankle or a wrist) along a track. */
export function limbContacts(track: Track, keypoint: number, side: 'left' | 'right', o: ContactOptions = {}): Contact[] {
  // Tuned on the labelled street footage (test/foley/heel-strikes.test.ts): absolute thresholds
  // alone missed small, jittery walkers; the relative one follows each swing's own speed.
  const swing = o.swing ?? 0.5;
  const stance = o.stance ?? 0.45;
  const minScore = o.minScore ?? 0.25;
  const minInterval = o.minIntervalS ?? 0.3;
  const relative = o.relative ?? 0.5;
  // Keypoints are fractions of the frame's width and height: x is put in height units first.
  const aspect = o.aspect ?? 16 / 9;
  const h = median(track.points.map((p) => p.pose.box.y1 - p.pose.box.y0).filter((v) => v > 0));
  if (h <= 0) return [];
  const out: Contact[] = [];
  let moving = false;
  let peak = 0;
  let prev: { time: number; x: number; y: number } | undefined;
  for (const { time, pose } of track.points) {
    const k = pose.keypoints[keypoint];
    if (!k || k.score < minScore) {
      prev = undefined;
      moving = false;
      continue;
    }
    if (prev && time > prev.time) {
      const dx = (k.x - prev.x) * aspect;
      const dy = k.y - prev.y;
      const speed = Math.hypot(dx, dy) / h / (time - prev.time);
      if (speed > swing) {
        moving = true;
        peak = Math.max(peak, speed);
      } else if (moving && speed < Math.max(stance, relative * peak)) {
        // At rest now: it landed at the previous sample (the last one it moved into).
        const at = prev;
        if (!out.length || at.time - (out.at(-1) as Contact).time >= minInterval) {
          out.push({ time: at.time, track: track.id, side, x: at.x, y: at.y, speed: peak });
        }
        moving = false;
        peak = 0;
      }
    }
    prev = { time, x: k.x, y: k.y };
  }
  return out;
}

/**
 * Heel strikes of every track, both feet, in time order. One person cannot land twice within
 * `minStepS` (a sprint's steps are ~0.25 s apart): two such contacts are one foot read twice (the
 * pose model swapping or doubling the ankles), and the one that moved faster stays.
 */
export function footContacts(tracks: readonly Track[], o: ContactOptions & { minStepS?: number } = {}): Contact[] {
  const minStep = o.minStepS ?? 0.2;
  return tracks
    .flatMap((t) => {
      const both = [...limbContacts(t, LEFT_ANKLE, 'left', o), ...limbContacts(t, RIGHT_ANKLE, 'right', o)].sort((a, b) => a.time - b.time);
      const kept: Contact[] = [];
      for (const c of both) {
        const last = kept.at(-1);
        if (last && c.time - last.time < minStep - 1e-9) {
          if (c.speed > last.speed) kept[kept.length - 1] = c;
        } else kept.push(c);
      }
      return kept;
    })
    .sort((a, b) => a.time - b.time);
}

/** Hands that stop after a fast move (a hit, a grab, a knock), in time order. */
export function handContacts(tracks: readonly Track[], o: ContactOptions = {}): Contact[] {
  const hands = { swing: 1.5, stance: 0.4, ...o };
  return tracks
    .flatMap((t) => [...limbContacts(t, LEFT_WRIST, 'left', hands), ...limbContacts(t, RIGHT_WRIST, 'right', hands)])
    .sort((a, b) => a.time - b.time);
}
