/**
 * @module Runs the vision models over the sampled frames of a decode, in order, one at a time:
 * object detection every `detectEveryS`, and pose on the people in every sampled frame (their
 * boxes from the last detection, or, between detections, from where their keypoints were last).
 * Frames wait in a short queue; when it is full `push` waits, which holds the decode back. A model
 * that fails stops the watching (the job goes on without it, with a warning); nothing thrown here
 * reaches the decode.
 */
import type { VisionModels } from '../../../vision/models.js';
import type { Box, Detection, Pose, RgbImage } from '../../../vision/types.js';
import type { DetectionSample } from './labels.js';
import type { PoseSample } from './tracks.js';

export interface WatchOptions {
  models: VisionModels;
  /** Seconds between detections. */
  detectEveryS: number;
  /** Pose on every frame pushed (false: detection only). */
  pose: boolean;
  /** People smaller than this (box height, fraction of the frame) get no pose: too few pixels. */
  minPersonHeight?: number;
  /** Pose for at most this many people per frame (the largest). */
  maxPeople?: number;
  /** Frames waiting for the models at most. */
  queue?: number;
  /** Each detection's people (tall enough, largest first, not capped at `maxPeople`): the pose pass follows them. */
  onPeople?: (time: number, people: Box[], size: { width: number; height: number }) => void;
  /** A model failed and the watching stopped: no more `onPeople`. */
  onFailure?: (error: Error) => void;
}

export interface VisionWatch {
  detections: DetectionSample[];
  poses: PoseSample[];
  /** Frames the models saw. */
  frames: number;
  /** Time inside the models (ms). */
  modelMs: { detect: number; pose: number };
  /** Why the watching stopped early (a model failed), if it did. */
  failure: Error | undefined;
}

const PERSON_SCORE = 0.3;
/** Detections under this score are dropped at once (`seen` starts at 0.35, people to pose at 0.3). */
const KEEP_SCORE = 0.3;

/** A box around a pose's confident keypoints, widened to hold the whole body next time. */
function boxFromPose(p: Pose): Box {
  const ks = p.keypoints.filter((k) => k.score >= 0.25);
  if (ks.length < 4) return p.box;
  const xs = ks.map((k) => k.x);
  const ys = ks.map((k) => k.y);
  const x0 = Math.min(...xs),
    x1 = Math.max(...xs),
    y0 = Math.min(...ys),
    y1 = Math.max(...ys);
  const h = Math.max(y1 - y0, p.box.y1 - p.box.y0);
  const w = Math.max(x1 - x0, 0.35 * h);
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return { x0: Math.max(0, cx - 0.6 * w), x1: Math.min(1, cx + 0.6 * w), y0: Math.max(0, cy - 0.6 * h), y1: Math.min(1, cy + 0.6 * h) };
}

export class VisionWatcher {
  private readonly queue: Array<{ image: RgbImage; time: number }> = [];
  private size: { width: number; height: number } | undefined;
  private working: Promise<void> | undefined;
  private room: (() => void) | undefined;
  private lastDetect = Number.NEGATIVE_INFINITY;
  private people: Box[] = [];
  private readonly result: VisionWatch = { detections: [], poses: [], frames: 0, modelMs: { detect: 0, pose: 0 }, failure: undefined };
  private readonly minHeight: number;
  private readonly maxPeople: number;
  private readonly capacity: number;

  constructor(private readonly o: WatchOptions) {
    this.minHeight = o.minPersonHeight ?? 0.08;
    this.maxPeople = o.maxPeople ?? 4;
    this.capacity = o.queue ?? 4;
  }

  setSize(size: { width: number; height: number }): void {
    this.size = size;
  }

  /** Queue a frame; resolves when there is room for the next one. */
  async push(rgb: Uint8Array, time: number): Promise<void> {
    if (this.result.failure || !this.size) return;
    this.queue.push({ image: { width: this.size.width, height: this.size.height, data: rgb }, time });
    this.working ??= this.work();
    while (this.queue.length >= this.capacity && !this.result.failure) await new Promise<void>((r) => (this.room = r));
  }

  /** Waits for the queued frames and gives what was seen. */
  async finish(): Promise<VisionWatch> {
    await this.working;
    return this.result;
  }

  private async work(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const next = this.queue[0]!;
        await this.look(next.image, next.time);
        this.queue.shift();
        this.result.frames++;
        this.room?.();
      }
    } catch (e) {
      this.result.failure = e instanceof Error ? e : new Error(String(e));
      this.queue.length = 0;
      this.o.onFailure?.(this.result.failure);
      this.room?.();
    } finally {
      this.working = undefined;
    }
  }

  private async look(image: RgbImage, time: number): Promise<void> {
    const m = this.o.models;
    // Sampled times are on the video's clock; a small tolerance keeps "every 0.5 s" from
    // skipping a frame that came 0.499 s after the last detection.
    if (time - this.lastDetect >= this.o.detectEveryS - 1e-3) {
      this.lastDetect = time;
      const before = m.modelMs.detect;
      // Only what can matter is kept (for `seen` and the people to pose): a long video keeps one
      // short list a detection, not the detector's twenty best guesses.
      const [found = []] = await m.detect([image], { minScore: KEEP_SCORE });
      this.result.modelMs.detect += m.modelMs.detect - before;
      this.result.detections.push({ time, detections: found });
      const all = people(found, this.minHeight);
      this.o.onPeople?.(time, all, image);
      this.people = all.slice(0, this.maxPeople);
    }
    if (!this.o.pose || this.people.length === 0) return;
    const before = m.modelMs.pose;
    const poses = await m.pose(image, this.people);
    this.result.modelMs.pose += m.modelMs.pose - before;
    this.result.poses.push({ time, poses });
    // Between detections, each person is looked for where their keypoints were.
    this.people = poses.map(boxFromPose);
  }
}

function people(found: readonly Detection[], minHeight: number): Box[] {
  return found
    .filter((d) => d.label === 'person' && d.score >= PERSON_SCORE && d.box.y1 - d.box.y0 >= minHeight)
    .sort((a, b) => (b.box.x1 - b.box.x0) * (b.box.y1 - b.box.y0) - (a.box.x1 - a.box.x0) * (a.box.y1 - a.box.y0))
    .map((d) => d.box);
}
