/**
 * @module Heel strikes without pose, for a CPU worker's default: the feet's own motion in each
 * walker's box. The analysis decode's luma frames (every 0.1 s, the detection's size) come here
 * beside the once-a-second detections; a person whose box moved between two detections walks
 * (pose-pass.ts `matchPeople`), and in every frame between them the strip at the bottom of their
 * box (interpolated between the two) is compared with the frame before, in place: a planted foot
 * does not change its pixels, a swinging one changes many. The share of changed pixels peaks on the
 * frame where the swinging foot lands (its last stretch of travel) and falls while both feet are
 * down, which is what the labelled heel strikes mark (test/fixtures/heel-strikes: "the first frame
 * the new leading foot is at ground level and has ended its travel"). Each peak is a step. It costs
 * a few thousand pixel differences a frame instead of a pose model's run per walker.
 */
import type { Box } from '../../../vision/types.js';
import type { Contact } from './contacts.js';
import { lerp, matchPeople } from './pose-pass.js';

export interface FeetMotionOptions {
  /** Slowest walk that is followed: the box centre's speed in body heights per second (as the pose pass). */
  minSpeed?: number;
  /** A pixel changed when its luma moved by more than this (0–255): above sensor noise and compression. */
  threshold?: number;
  /** Two steps of one person are at least this far apart (s): a brisk walk is ~2.5 steps a second. */
  minGapS?: number;
  /** A peak needs at least this share of the strip's pixels changed. */
  minChange?: number;
}

interface Detection {
  time: number;
  people: Box[];
  /** Track id of each person (same order). */
  tracks: number[];
}

interface Sample {
  time: number;
  /** Share of changed pixels in the track's foot strip. */
  change: number;
  x: number;
  y: number;
  /** The strip's width (normalised): two tracks' steps closer than half of it are one person's. */
  w: number;
}

/** A sampled frame's luma, at the sampling's size. */
interface Frame {
  time: number;
  gray: Uint8Array;
}

/**
 * Frames waiting for their detections at most: a safety net, never reached while detections come.
 * Those are paced by the decode (the detector's queue holds it back), so frames wait for at most
 * the detector's queue, the frame in the model and the two detections a frame needs after it: ~9 s
 * at 0.1 s, once a second. Letting frames go at a smaller bound made heel strikes depend on how
 * fast the detector ran beside the decode (a loaded machine gave other steps for the same seed).
 */
const MAX_PENDING = 200;
/** Luma buffers kept for reuse at most. */
const MAX_SPARE = 64;

/** The strip where the feet are: the bottom fifth of the box and a little below, a little wider. */
function footStrip(b: Box): Box {
  const w = b.x1 - b.x0;
  const h = b.y1 - b.y0;
  return { x0: b.x0 - 0.1 * w, x1: b.x1 + 0.1 * w, y0: b.y1 - 0.2 * h, y1: b.y1 + 0.05 * h };
}

export class FeetMotion {
  private readonly seen: Detection[] = [];
  private readonly pending: Frame[] = [];
  private previous: Frame | undefined;
  /** Luma buffers let go, for the next frames: a 10 s clip reuses ~20 instead of allocating 100. */
  private readonly spare: Uint8Array[] = [];
  private size = { width: 0, height: 0 };
  private readonly series = new Map<number, Sample[]>();
  private nextTrack = 0;
  private abandoned = false;
  private frames = 0;
  private readonly minSpeed: number;
  private readonly threshold: number;

  constructor(private readonly o: FeetMotionOptions = {}) {
    this.minSpeed = o.minSpeed ?? 0.15;
    this.threshold = o.threshold ?? 12;
  }

  /** A detection (in time order, normalised boxes): who is where. */
  detected(time: number, people: Box[], size: { width: number; height: number }): void {
    this.size = { width: size.width, height: size.height };
    const last = this.seen.at(-1);
    const tracks = people.map(() => -1);
    if (last) {
      const aspect = size.width / Math.max(1, size.height);
      for (const [i, j] of matchPeople(last.people, people, { aspect, maxDist: 2.5 * Math.max(1e-3, time - last.time) })) {
        tracks[j] = last.tracks[i]!;
      }
    }
    this.seen.push({ time, people, tracks: tracks.map((t) => (t >= 0 ? t : this.nextTrack++)) });
    this.drain(false);
  }

  /**
   * A sampled luma frame (in time order; the buffer is only read during the call), held until the
   * detections around it are known, in a recycled buffer of ours: frames held while they wait
   * outlive V8's young generation, and fresh buffers for each would be collected by the costlier
   * full collections (measured with RGB frames held: +44 ms of garbage collection per 10 s job).
   */
  frame(gray: Uint8Array, time: number, size: { width: number; height: number }): void {
    this.size = { width: size.width, height: size.height };
    let copy = this.spare.pop();
    if (copy?.length !== gray.length) copy = new Uint8Array(gray.length);
    copy.set(gray);
    this.pending.push({ time, gray: copy });
    this.drain(false);
    if (this.abandoned) {
      this.drain(true);
      return;
    }
    while (this.pending.length > MAX_PENDING) {
      this.frames++;
      this.advance(this.pending.shift()!);
    }
  }

  /**
   * Detections stopped (a model failed part-way): the frames waiting are measured with the walkers
   * known so far, and those that come later are let go as they come, not hoarded.
   */
  abandon(): void {
    this.abandoned = true;
    this.drain(true);
  }

  /** The heel strikes: one contact per peak of each walker's foot-strip change. */
  finish(): { contacts: Contact[]; frames: number } {
    this.drain(true);
    const minGapS = this.o.minGapS ?? 0.25;
    const minChange = this.o.minChange ?? 0.02;
    const contacts: Array<Contact & { w: number }> = [];
    for (const [track, s] of this.series) {
      const peaks = s.filter((p, i) => i > 0 && i < s.length - 1 && p.change > s[i - 1]!.change && p.change >= s[i + 1]!.change);
      const kept: Sample[] = [];
      for (const p of [...peaks].sort((a, b) => b.change - a.change)) {
        if (p.change >= minChange && kept.every((k) => Math.abs(k.time - p.time) >= minGapS - 1e-6)) kept.push(p);
      }
      kept.sort((a, b) => a.time - b.time);
      kept.forEach((p, k) => {
        contacts.push({ time: p.time, track, side: k % 2 === 0 ? 'left' : 'right', x: p.x, y: p.y, speed: p.change, w: p.w });
      });
    }
    // One person seen as two tracks (a detection split or doubled) steps once: the stronger stays.
    const kept: Contact[] = [];
    for (const c of [...contacts].sort((a, b) => b.speed - a.speed)) {
      const twin = kept.some((k) => k.track !== c.track && Math.abs(k.time - c.time) <= 0.15 && Math.abs(k.x - c.x) < c.w / 2);
      if (!twin) kept.push({ time: c.time, track: c.track, side: c.side, x: c.x, y: c.y, speed: c.speed });
    }
    return { contacts: kept.sort((a, b) => a.time - b.time), frames: this.frames };
  }

  /**
   * Frames whose walkers are known are measured and let go: those before the second-to-last
   * detection (a walker who first shows in the next detection is followed back from the one
   * after), or all of them at the end.
   */
  private drain(all: boolean): void {
    const known = this.seen.at(-2)?.time ?? Number.NEGATIVE_INFINITY;
    while (this.pending.length > 0 && (all || this.pending[0]!.time < known)) {
      const f = this.pending.shift()!;
      this.frames++;
      const walkers = this.previous ? this.walkersAt(f.time) : [];
      if (walkers.length > 0 && this.previous) this.measure(f.time, walkers, this.previous.gray, f.gray);
      this.advance(f);
    }
  }

  /** `f` becomes the frame before the next one; the one it replaces gives its buffer back. */
  private advance(f: Frame): void {
    if (this.previous && this.spare.length < MAX_SPARE) this.spare.push(this.previous.gray);
    this.previous = f;
  }

  /** Each walker's foot-strip change between two consecutive sampled frames. */
  private measure(time: number, walkers: Array<{ track: number; box: Box }>, before: Uint8Array, now: Uint8Array): void {
    for (const w of walkers) {
      const s = footStrip(w.box);
      const { width, height } = this.size;
      const xa = Math.max(0, Math.round(s.x0 * width));
      const xb = Math.min(width - 1, Math.round(s.x1 * width));
      const ya = Math.max(0, Math.round(s.y0 * height));
      const yb = Math.min(height - 1, Math.round(s.y1 * height));
      // A strip of a few pixels says nothing: the person is too small at this size.
      if (xb - xa < 3 || yb - ya < 2) continue;
      let changed = 0;
      for (let y = ya; y <= yb; y++) {
        for (let x = xa, i = y * width + xa; x <= xb; x++, i++) if (Math.abs(now[i]! - before[i]!) > this.threshold) changed++;
      }
      const series = this.series.get(w.track) ?? [];
      series.push({ time, change: changed / ((xb - xa + 1) * (yb - ya + 1)), x: (s.x0 + s.x1) / 2, y: w.box.y1, w: s.x1 - s.x0 });
      this.series.set(w.track, series);
    }
  }

  /** The walkers between detections `k` and `k + 1`: [person in k, person in k + 1, distance]. */
  private walking(k: number): Array<[number, number]> {
    const a = this.seen[k];
    const b = this.seen[k + 1];
    if (!a || !b || b.time <= a.time) return [];
    const dt = b.time - a.time;
    const aspect = this.size.width / Math.max(1, this.size.height);
    return matchPeople(a.people, b.people, { aspect, maxDist: 2.5 * dt })
      .filter(([, , d]) => d / dt >= this.minSpeed)
      .map(([i, j]): [number, number] => [i, j]);
  }

  /**
   * The walkers at `time`, by track: between the detections around it, interpolated; and for one
   * interval either side, extrapolated — who walked into the earlier detection but is missed by the
   * later one (occluded, at the frame's edge), and who first shows walking in the later one.
   */
  private walkersAt(time: number): Array<{ track: number; box: Box }> {
    let k = -1;
    for (let i = 0; i < this.seen.length && this.seen[i]!.time <= time + 1e-3; i++) k = i;
    const out = new Map<number, Box>();
    const along = (from: number, pairs: Array<[number, number]>, keep: (i: number, j: number) => boolean): void => {
      const a = this.seen[from]!;
      const b = this.seen[from + 1]!;
      const u = (time - a.time) / (b.time - a.time);
      if (u < -1 || u > 2) return;
      for (const [i, j] of pairs) {
        const track = b.tracks[j]!;
        if (keep(i, j) && !out.has(track)) out.set(track, lerp(a.people[i]!, b.people[j]!, u));
      }
    };
    const now = this.walking(k);
    if (now.length > 0) along(k, now, () => true);
    const before = k >= 1 ? this.walking(k - 1) : [];
    if (before.length > 0) along(k - 1, before, (_, j) => !now.some(([i]) => i === j));
    const after = this.walking(k + 1);
    if (after.length > 0) along(k + 1, after, (i) => !now.some(([, j]) => j === i));
    return [...out].map(([track, box]) => ({ track, box }));
  }
}
