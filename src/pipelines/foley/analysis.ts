/**
 * @module Motion analysis over a stream of small frames (pure: no ffmpeg, no fs). `MotionAnalyzer`
 * takes frames one at a time with their presentation times and keeps only a few numbers per frame
 * plus a short window of histograms; `finish()` turns them into onsets (sudden motion, with where
 * on screen it happened), scene cuts, per-scene colour and periodic runs (a walker's cadence).
 */
import { detectCadence, type Cadence } from './cadence.js';
import { CutDetector, type CutOptions } from './cuts.js';
import { frameFeatures, HIST_BINS } from './frame-features.js';
import { pickOnsets, repeatedFrames, type OnsetOptions } from './onsets.js';
import { sceneStats, type Scene } from './scenes.js';
import { Series } from './series.js';

export interface Onset {
  /** Frame index where the sudden motion first shows. */
  frame: number;
  /** Seconds (the frame's presentation time). */
  time: number;
  /** 0..1, relative to the strongest onset of the clip. */
  strength: number;
  /** Where the motion was: −1 (left) … 1 (right). */
  pan: number;
  /** −1 (top) … 1 (bottom): low on screen is the ground (heavier sounds). */
  y: number;
  /** Position within a cadence run (0, 1, 2 …), or −1 when the onset is not part of one. */
  step: number;
}

export interface AnalysisResult {
  times: Float64Array;
  motion: Float32Array;
  /** Horizontal centre of each frame's motion, −1 … 1. */
  pan: Float32Array;
  onsets: Onset[];
  /** Times (s) where a new shot starts. */
  cuts: number[];
  scenes: Scene[];
  cadences: Cadence[];
  /** End of the last frame (s) on the output timeline, where the audio must end. */
  duration: number;
}

export interface DetectOptions extends OnsetOptions {
  cut?: CutOptions;
}

/** Frame duration estimate: the median interval between frames (robust to VFR outliers). */
export function frameInterval(times: ArrayLike<number>): number {
  if (times.length < 2) return 1 / 25;
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const g = (times[i] as number) - (times[i - 1] as number);
    if (g > 0) gaps.push(g);
  }
  gaps.sort((a, b) => a - b);
  const g = gaps[gaps.length >> 1];
  return g !== undefined && g > 0 ? g : 1 / 25;
}

/**
 * Accumulates features frame by frame, keeping the previous frame, a few scalars per frame and a
 * short window of histograms (for cut detection) in memory.
 */
export class MotionAnalyzer {
  private readonly prev: Uint8Array;
  private hist = new Float64Array(HIST_BINS);
  private prevHist = new Float64Array(HIST_BINS);
  private hasPrev = false;
  private readonly cuts: CutDetector;
  private readonly s = {
    times: new Series(),
    motion: new Series(),
    novelty: new Series(),
    x: new Series(),
    y: new Series(),
    brightness: new Series(),
    cb: new Series(),
    cr: new Series(),
  };

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly opts: DetectOptions = {},
  ) {
    this.prev = new Uint8Array(width * height);
    this.cuts = new CutDetector(opts.cut);
  }

  get frameCount(): number {
    return this.s.times.length;
  }

  /** `frame`: width×height luma bytes, optionally followed by Cb and Cr planes of the same size. */
  push(frame: Uint8Array, time: number): void {
    const n = this.width * this.height;
    const f = frameFeatures(frame, this.hasPrev ? this.prev : null, this.hasPrev ? this.prevHist : null, this.hist, this.width, this.height);
    const index = this.s.times.length;
    this.s.times.push(time);
    this.s.motion.push(f.motion);
    // The busiest grid cell: a small object moving is a big change there, while codec noise and
    // a slow pan spread evenly. A full-frame change reads the same in both.
    this.s.novelty.push(f.peakCell);
    this.s.x.push(f.x);
    this.s.y.push(f.y);
    this.s.brightness.push(f.brightness);
    this.s.cb.push(f.cb);
    this.s.cr.push(f.cr);
    this.cuts.push(index, time, this.hist);
    this.prev.set(frame.subarray(0, n));
    [this.prevHist, this.hist] = [this.hist, this.prevHist];
    this.hasPrev = true;
  }

  /** Ends the stream. `times` may replace the pushed times (e.g. when they were only known later). */
  finish(times?: Float64Array): AnalysisResult {
    const s = this.s;
    const t = times ?? s.times.toFloat64();
    const cutFrames = this.cuts.finish();
    const novelty = s.novelty.toFloat64();
    const motion = s.motion.toFloat32();
    const picks = pickOnsets(novelty, t, cutFrames, this.opts, repeatedFrames(motion));
    const x = s.x.toFloat32();
    const y = s.y.toFloat32();
    const strongest = picks.reduce((m, p) => Math.max(m, p.rise), 0);
    const onsets: Onset[] = picks.map(({ frame, rise }) => ({
      frame,
      time: t[frame] as number,
      strength: strongest > 0 ? Math.sqrt(rise / strongest) : 0,
      pan: x[frame] as number,
      y: y[frame] as number,
      step: -1,
    }));
    const cadences = detectCadence(onsets.map((o) => o.time));
    for (const c of cadences) for (let i = c.first; i <= c.last; i++) (onsets[i] as Onset).step = i - c.first;
    const n = t.length;
    const duration = n === 0 ? 0 : (t[n - 1] as number) + frameInterval(t);
    return {
      times: t,
      motion,
      pan: x,
      onsets,
      cuts: cutFrames.map((f) => t[f] as number),
      scenes: sceneStats(t, s.brightness.toFloat64(), s.cb.toFloat64(), s.cr.toFloat64(), motion, cutFrames, duration),
      cadences,
      duration,
    };
  }
}

/** Convenience for whole clips in memory (tests, tools): push every frame, then finish. */
export function analyzeFrames(frames: readonly Uint8Array[], times: ArrayLike<number>, width: number, height: number, opts: DetectOptions = {}): AnalysisResult {
  const a = new MotionAnalyzer(width, height, opts);
  frames.forEach((f, i) => a.push(f, times[i] as number));
  return a.finish();
}
