/**
 * @module Pose on a CPU worker, only where it can pay: people who walk. The analysis decode samples
 * frames for detection alone (once a second, as without pose); each detection is handed here, and
 * once two detections show a person who moved, the caller starts a second decode whose frames come
 * at the pose rate (`wanted`). Each of those frames gets pose for the people who move between the
 * detections around it, in boxes interpolated between the two, so no pose runs for people who
 * stand, for frames before anyone moved, or at all where nobody walks: a clip with nobody costs
 * what it costs without pose. Why a second decode rather than sampling the first one densely:
 * ffmpeg's sampling cannot change its rate mid-stream, and dense RGB frames would cost a clip with
 * nobody in it about a third more CPU than its decode (~0.19 s of ffmpeg scaling and frame
 * handling over ~0.55 s for 10 s of 720p, BENCHMARKS.md).
 */
import { streamGrayFrames, type GrayFrameSize } from '../../../media/frames.js';
import type { VisionModels } from '../../../vision/models.js';
import type { Box } from '../../../vision/types.js';
import type { PoseSample } from './tracks.js';

export interface PosePassOptions {
  models: VisionModels;
  /** Slowest walk that gets pose: the box centre's speed in body heights per second. */
  minSpeed?: number;
  /** Pose for at most this many moving people per frame (the largest). */
  maxPeople?: number;
}

export interface PosePassResult {
  poses: PoseSample[];
  /** Frames of the pose decode handed in, and those that had someone to pose. */
  frames: number;
  posed: number;
  /** People posed, all frames together (one crop each). */
  crops: number;
  /** Time inside the pose model (ms). */
  modelMs: number;
  failure: Error | undefined;
}

interface Seen {
  time: number;
  people: Box[];
}

const centre = (b: Box): { x: number; y: number; h: number } => ({ x: (b.x0 + b.x1) / 2, y: (b.y0 + b.y1) / 2, h: b.y1 - b.y0 });

/**
 * The same people in two detections: greedy by centre distance (in body heights, x in height
 * units through `aspect`), at most `maxDist` apart and of similar height. A walker covers about
 * one body height a second, so boxes a second apart rarely overlap: IoU would not match them.
 */
export function matchPeople(a: readonly Box[], b: readonly Box[], o: { aspect: number; maxDist: number }): Array<[number, number, number]> {
  const pairs: Array<[number, number, number]> = [];
  a.forEach((p, i) => {
    const cp = centre(p);
    b.forEach((q, j) => {
      const cq = centre(q);
      const h = (cp.h + cq.h) / 2;
      const ratio = cp.h / Math.max(1e-6, cq.h);
      if (ratio < 0.7 || ratio > 1.4) return;
      const d = Math.hypot((cq.x - cp.x) * o.aspect, cq.y - cp.y) / h;
      if (d <= o.maxDist) pairs.push([i, j, d]);
    });
  });
  pairs.sort((x, y) => x[2] - y[2]);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  return pairs.filter(([i, j]) => {
    if (usedA.has(i) || usedB.has(j)) return false;
    usedA.add(i);
    usedB.add(j);
    return true;
  });
}

/** The box a fraction `u` of the way from `p` to `q` (beyond 1, or below 0, carried on along the same line). */
export const lerp = (p: Box, q: Box, u: number): Box => ({
  x0: p.x0 + (q.x0 - p.x0) * u,
  y0: p.y0 + (q.y0 - p.y0) * u,
  x1: p.x1 + (q.x1 - p.x1) * u,
  y1: p.y1 + (q.y1 - p.y1) * u,
});

export class PosePass {
  private readonly seen: Seen[] = [];
  private ended = false;
  private waiting: Array<() => void> = [];
  private aspect = 16 / 9;
  private readonly minSpeed: number;
  private readonly maxPeople: number;
  private readonly result: PosePassResult = { poses: [], frames: 0, posed: 0, crops: 0, modelMs: 0, failure: undefined };
  private start: ((yes: boolean) => void) | undefined;
  /** Resolves true when someone walks (start the pose decode), false when the detections ended without. */
  readonly wanted: Promise<boolean>;

  constructor(private readonly o: PosePassOptions) {
    // A standing person's box jitters by a few hundredths of a body height a second; a slow walk is ~0.5.
    this.minSpeed = o.minSpeed ?? 0.15;
    // Measured on the labelled walkers (BENCHMARKS.md): 3 keeps every one of them (as 4 did, with a
    // fifth fewer crops on a street); 2 lost one (recall 0.67).
    this.maxPeople = o.maxPeople ?? 3;
    this.wanted = new Promise((r) => (this.start = r));
  }

  /** A detection of the analysis decode (in time order): the people in it, as boxes. */
  detected(time: number, people: Box[], size: { width: number; height: number }): void {
    this.aspect = size.width / size.height;
    this.seen.push({ time, people });
    if (this.seen.length >= 2 && this.walkersBetween(this.seen.length - 2).length > 0) this.start?.(true);
    this.wake();
  }

  /** No more detections. */
  end(): void {
    this.ended = true;
    this.start?.(false);
    this.wake();
  }

  /** Stops posing (the pose decode failed): the poses so far stay. */
  fail(e: unknown): void {
    this.result.failure ??= e instanceof Error ? e : new Error(String(e));
  }

  /** A frame of the pose decode; resolves when it has been looked at (which paces that decode). */
  async push(rgb: Uint8Array, time: number, size: { width: number; height: number }): Promise<void> {
    this.result.frames++;
    if (this.result.failure) return;
    // The boxes between two detections need the later one: wait for the analysis decode.
    while (!this.ended && !(this.seen.length > 0 && this.seen.at(-1)!.time > time)) await new Promise<void>((r) => this.waiting.push(r));
    const boxes = this.boxesAt(time).slice(0, this.maxPeople);
    if (boxes.length === 0) return;
    const m = this.o.models;
    const before = m.modelMs.pose;
    try {
      const poses = await m.pose({ width: size.width, height: size.height, data: rgb }, boxes);
      this.result.poses.push({ time, poses });
      this.result.posed++;
      this.result.crops += boxes.length;
    } catch (e) {
      this.fail(e);
    } finally {
      this.result.modelMs += m.modelMs.pose - before;
    }
  }

  finish(): PosePassResult {
    return this.result;
  }

  private wake(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  /** The walkers of detection `k` and where each is at `k + 1`: [box at k, box at k + 1]. */
  private walkersBetween(k: number): Array<[Box, Box]> {
    const a = this.seen[k];
    const b = this.seen[k + 1];
    if (!a || !b || b.time <= a.time) return [];
    const dt = b.time - a.time;
    return matchPeople(a.people, b.people, { aspect: this.aspect, maxDist: 2.5 * dt })
      .filter(([, , d]) => d / dt >= this.minSpeed)
      .map(([i, j]): [Box, Box] => [a.people[i]!, b.people[j]!]);
  }

  /** Boxes of the people walking at `time`, largest first: interpolated between the detections around it. */
  private boxesAt(time: number): Box[] {
    let k = -1;
    for (let i = 0; i < this.seen.length && this.seen[i]!.time <= time + 1e-3; i++) k = i;
    if (k < 0) return [];
    const a = this.seen[k]!;
    const next = this.seen[k + 1];
    let boxes: Box[];
    if (next) {
      const u = Math.min(1, Math.max(0, (time - a.time) / (next.time - a.time)));
      boxes = this.walkersBetween(k).map(([p, q]) => lerp(p, q, u));
    } else {
      // After the last detection: those who walked into it, where it saw them.
      boxes = k > 0 ? this.walkersBetween(k - 1).map(([, q]) => q) : [];
    }
    const area = (b: Box): number => (b.x1 - b.x0) * (b.y1 - b.y0);
    return boxes.sort((x, y) => area(y) - area(x));
  }
}

export interface PoseDecodeOptions {
  ffmpeg: string;
  file: string;
  pass: PosePass;
  /** The pose frames' width and rate. */
  frames: { width: number; everyS: number };
  signal: AbortSignal;
  timeoutMs: number;
  limits?: { maxFrames: number; maxTimeS: number } | undefined;
}

/**
 * The pose pass's own decode, once someone walks: the sampled frames at the pose rate feed the
 * pass (its pace holds the decode back). Its failure ends the pass, not the job: the caller warns,
 * as for a model that fails part-way.
 */
export async function decodeForPose(o: PoseDecodeOptions): Promise<void> {
  if (!(await o.pass.wanted)) return;
  let size: GrayFrameSize = { width: 0, height: 0 };
  try {
    await streamGrayFrames({
      ffmpeg: o.ffmpeg,
      file: o.file,
      signal: o.signal,
      timeoutMs: o.timeoutMs,
      limits: o.limits,
      onFrame: () => undefined,
      sample: {
        width: o.frames.width,
        everyS: o.frames.everyS,
        onSize: (s) => {
          size = s;
        },
        onFrame: (rgb, t) => o.pass.push(rgb, t, size),
      },
    });
  } catch (e) {
    if (!o.signal.aborted) o.pass.fail(e);
  }
}
