/**
 * @module Motion analysis over a stream of small frames (pure: no ffmpeg, no fs). `MotionAnalyzer`
 * takes frames one at a time with their presentation times and keeps only a few numbers per frame
 * plus a short window of histograms; `finish()` turns them into onsets (sudden motion, with where
 * on screen it happened), scene cuts, per-scene colour and periodic runs (a walker's cadence).
 */
import { detectCadence, locomotionSteps, type Cadence, type LocomotionOptions } from './cadence.js';
import { CutDetector, type CutOptions } from './cuts.js';
import { BLOCK_COLS, BLOCK_ROWS, EDGE_CHANNELS, frameFeatures, GRID_COLS, GRID_ROWS, HIST_BINS } from './frame-features.js';
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
  /**
   * Whose hit plays it: absent, the preset's own; 'impact', the impact preset's heavy body thud
   * whatever the preset (a hand seen stopping hit something, e.g. vision/events.ts).
   */
  voice?: OnsetVoice | undefined;
}

/** Hit voices an onset may ask for instead of its preset's (see `Onset.voice`). */
export type OnsetVoice = 'impact';

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
  /** Smallest changed area (fraction of the frame) an onset needs: a blink, a fade's drift stay below. */
  minArea?: number;
  /**
   * A contact is sudden and then over: the busiest cell's change over the next two frames, relative
   * to its change at the onset, must stay at or below this. A gesture or a head turn that starts
   * there keeps changing (≈1) and is not a hit.
   */
  maxDecay?: number;
  /** How many times the frame before's busiest-cell change an onset's must be (sudden, not swelling). */
  minJump?: number;
  /** A change covering this much of the frame (a flash, a slammed door filling the shot) is an event whatever follows. */
  bigArea?: number;
  locomotion?: LocomotionOptions;
}

/** A frame waiting for the frames after it to say whether its change was over at once. */
interface Pending {
  cell: number;
  value: number;
  motion: number;
  next: Array<{ v: number; motion: number }>;
}

const STILL = 0.0015;
const MOVING = 0.004;

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
  private readonly blocks = new Float64Array(BLOCK_COLS * BLOCK_ROWS);
  private readonly edges = new Float64Array(BLOCK_COLS * BLOCK_ROWS * EDGE_CHANNELS);
  private readonly cells = new Float64Array(GRID_COLS * GRID_ROWS);
  /** The last few frames, until their decay is known (FIFO: decay is pushed in frame order). */
  private pending: Pending[] = [];
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
    area: new Series(),
    decay: new Series(),
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
    const f = frameFeatures({
      frame,
      prev: this.hasPrev ? this.prev : null,
      prevHist: this.hasPrev ? this.prevHist : null,
      hist: this.hist,
      width: this.width,
      height: this.height,
      blocks: this.blocks,
      edges: this.edges,
      cellsOut: this.cells,
    });
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
    this.s.area.push(f.area);
    for (const p of this.pending) p.next.push({ v: this.cells[p.cell] as number, motion: f.motion });
    while (this.pending.length > 0 && (this.pending[0] as Pending).next.length >= 3) this.settle();
    this.pending.push({ cell: f.peakIndex, value: f.peakCell, motion: f.motion, next: [] });
    this.cuts.push(index, time, { hist: this.hist, blocks: this.blocks, edges: this.edges });
    this.prev.set(frame.subarray(0, n));
    [this.prevHist, this.hist] = [this.hist, this.prevHist];
    this.hasPrev = true;
  }

  /**
   * The oldest pending frame's decay: the mean change of its busiest cell over the next two frames
   * (a repeated frame of telecine or frame-rate conversion, still between moving ones, is not one
   * of them) over its change at that frame.
   */
  private settle(): void {
    const p = this.pending.shift() as Pending;
    const seq = [p.motion, ...p.next.map((e) => e.motion)];
    let sum = 0;
    let used = 0;
    for (let j = 0; j < p.next.length && used < 2; j++) {
      const e = p.next[j] as { v: number; motion: number };
      const after = j + 2 < seq.length ? (seq[j + 2] as number) : 0;
      if (e.motion <= STILL && (seq[j] as number) >= MOVING && after >= MOVING) continue;
      sum += e.v;
      used++;
    }
    this.s.decay.push(p.value > 0 && used > 0 ? sum / used / p.value : 0);
  }

  /** Ends the stream. `times` may replace the pushed times (e.g. when they were only known later). */
  finish(times?: Float64Array): AnalysisResult {
    const s = this.s;
    while (this.pending.length > 0) this.settle();
    const t = times ?? s.times.toFloat64();
    const n = t.length;
    const cutFrames = this.cuts.finish();
    const novelty = s.novelty.toFloat64();
    const motion = s.motion.toFloat32();
    const area = s.area.toFloat64();
    const decay = s.decay.toFloat64();
    const { minArea = 0.01, maxDecay = 0.5, bigArea = 0.08, minJump = 1.5 } = this.opts;
    // A hit needs extent (not a blink, not a fade's even drift) and the shape of a contact: sudden,
    // then over (not the start of a gesture that goes on).
    const repeats = repeatedFrames(motion);
    const eligible = new Uint8Array(n);
    let before = 0;
    for (let i = 0; i < n; i++) {
      if (repeats[i]) continue;
      const a = area[i] as number;
      const v = novelty[i] as number;
      // Sudden: well above the frame before (a movement that swells over several frames is a gesture).
      const sudden = v >= minJump * before;
      eligible[i] = sudden && a >= minArea && ((decay[i] as number) <= maxDecay || a >= bigArea) ? 1 : 0;
      before = v;
    }
    const picks = pickOnsets({ novelty, times: t, shotStarts: cutFrames, skip: repeats, eligible }, this.opts);
    const x = s.x.toFloat32();
    const y = s.y.toFloat32();
    // Bodies crossing the frame whose steps no onset marks get steps at a cadence.
    const guard = this.opts.cutGuardFrames ?? 2;
    const nearCut = new Uint8Array(n);
    for (const c of cutFrames) for (let j = Math.max(0, c - guard); j <= Math.min(n - 1, c + guard); j++) nearCut[j] = 1;
    const runs = locomotionSteps(
      { times: t, area, x, skip: repeats, blocked: nearCut, onsetTimes: picks.map((p) => t[p.frame] as number) },
      this.opts.locomotion,
    );
    const laid = runs.flatMap((r) => r.frames.map((frame) => ({ frame, rise: 0.5 * (novelty[frame] as number) })));
    const all = [...picks, ...laid].sort((a, b) => a.frame - b.frame);
    const strongest = all.reduce((m, p) => Math.max(m, p.rise), 0);
    const onsets: Onset[] = all.map(({ frame, rise }) => ({
      frame,
      time: t[frame] as number,
      strength: strongest > 0 ? Math.sqrt(rise / strongest) : 0,
      pan: x[frame] as number,
      y: y[frame] as number,
      step: -1,
    }));
    const cadences = detectCadence(onsets.map((o) => o.time));
    // Each crossing is a cadence of its own (its laid steps with the onsets found inside it).
    for (const r of runs) {
      const inside = onsets.flatMap((o, i) => (o.time >= r.start - 1e-9 && o.time <= r.end + 1e-9 ? [i] : []));
      const first = inside[0];
      const last = inside.at(-1);
      if (first === undefined || last === undefined || inside.length < 2) continue;
      if (cadences.some((c) => c.first <= last && first <= c.last)) continue;
      cadences.push({ first, last, periodS: r.periodS, perMinute: 60 / r.periodS });
    }
    cadences.sort((a, b) => a.first - b.first);
    for (const c of cadences) for (let i = c.first; i <= c.last; i++) (onsets[i] as Onset).step = i - c.first;
    const duration = n === 0 ? 0 : (t[n - 1] as number) + frameInterval(t);
    return {
      times: t,
      motion,
      pan: x,
      onsets,
      cuts: cutFrames.map((f) => t[f] as number),
      scenes: sceneStats({
        times: t,
        brightness: s.brightness.toFloat64(),
        cb: s.cb.toFloat64(),
        cr: s.cr.toFloat64(),
        motion,
        cutFrames,
        duration,
      }),
      cadences,
      duration,
    };
  }
}

/** Convenience for whole clips in memory (tests, tools): push every frame, then finish. */
export function analyzeFrames(
  clip: { frames: readonly Uint8Array[]; times: ArrayLike<number>; width: number; height: number },
  opts: DetectOptions = {},
): AnalysisResult {
  const { frames, times, width, height } = clip;
  const a = new MotionAnalyzer(width, height, opts);
  for (const [i, f] of frames.entries()) a.push(f, times[i] as number);
  return a.finish();
}
