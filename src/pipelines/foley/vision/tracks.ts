/**
 * @module People followed from sample to sample (pure). Each sampled frame gives poses (a box and
 * 17 keypoints per person); a pose joins the track whose last box it overlaps most (greedy, best
 * overlap first), or starts a new one. Good enough for footsteps: a swapped identity costs one
 * misplaced step, not a wrong sound, and pedestrians rarely cross within a fifth of a second.
 */
import { boxIou } from '../../../vision/detector.js';
import type { Pose } from '../../../vision/types.js';

export interface PoseSample {
  /** Seconds. */
  time: number;
  poses: readonly Pose[];
}

export interface TrackPoint {
  time: number;
  pose: Pose;
}

export interface Track {
  id: number;
  points: TrackPoint[];
}

export interface TrackOptions {
  /** Least overlap for a pose to continue a track. */
  minIou?: number;
  /** A track not seen for this long (s) is closed. */
  maxGapS?: number;
}

export function trackPeople(samples: readonly PoseSample[], o: TrackOptions = {}): Track[] {
  const minIou = o.minIou ?? 0.2;
  const maxGapS = o.maxGapS ?? 0.6;
  const tracks: Track[] = [];
  const open: Track[] = [];
  for (const s of samples) {
    // Close tracks that have not been seen for too long.
    for (let i = open.length - 1; i >= 0; i--) if (s.time - open[i]!.points.at(-1)!.time > maxGapS) open.splice(i, 1);
    const pairs: Array<{ t: Track; p: number; score: number }> = [];
    for (const t of open) {
      const last = t.points.at(-1)!.pose.box;
      s.poses.forEach((pose, p) => {
        const score = boxIou(last, pose.box);
        if (score >= minIou) pairs.push({ t, p, score });
      });
    }
    pairs.sort((a, b) => b.score - a.score);
    const usedTracks = new Set<Track>();
    const usedPoses = new Set<number>();
    for (const { t, p } of pairs) {
      if (usedTracks.has(t) || usedPoses.has(p)) continue;
      usedTracks.add(t);
      usedPoses.add(p);
      t.points.push({ time: s.time, pose: s.poses[p]! });
    }
    s.poses.forEach((pose, p) => {
      if (usedPoses.has(p)) return;
      const t: Track = { id: tracks.length, points: [{ time: s.time, pose }] };
      tracks.push(t);
      open.push(t);
    });
  }
  return tracks;
}
