/**
 * @module Motion analysis over a stream of small grayscale frames (pure: no ffmpeg, no fs).
 * Per frame: motion energy (mean absolute luma change), its horizontal centroid (for stereo
 * placement) and a luma-histogram distance (for scene cuts). Then onsets (sudden motion) by an
 * adaptive threshold — running median + MAD — with a refractory period, and scene cuts.
 */

const HIST_BINS = 32;
const GRID_COLS = 8;

export interface FrameFeatures {
  /** Mean |Δluma| / 255 against the previous frame, 0..1 (0 for the first frame). */
  motion: number;
  /** Horizontal centre of the motion, −1 (left) … 1 (right); 0 when nothing moved. */
  pan: number;
  /** Half the L1 distance between this frame's luma histogram and the previous one, 0..1. */
  histDistance: number;
  /** Mean luma 0..1. */
  brightness: number;
  /** Normalised luma histogram (sums to 1), kept to tell a cut (lasting) from a flash (gone soon). */
  hist: Float32Array;
}

/** Accumulates features frame by frame, keeping only the previous frame in memory. */
export class MotionAnalyzer {
  readonly features: FrameFeatures[] = [];
  private readonly prev: Uint8Array;
  private readonly prevHist = new Float64Array(HIST_BINS);
  private readonly hist = new Float64Array(HIST_BINS);
  private readonly colEnergy = new Float64Array(GRID_COLS);
  private hasPrev = false;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.prev = new Uint8Array(width * height);
  }

  push(frame: Uint8Array): void {
    const { width, height } = this;
    const n = width * height;
    this.hist.fill(0);
    this.colEnergy.fill(0);
    let diffSum = 0;
    let lumaSum = 0;
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < width; x++) {
        const i = row + x;
        const v = frame[i] as number;
        lumaSum += v;
        (this.hist as Float64Array)[(v * HIST_BINS) >> 8]! += 1;
        if (this.hasPrev) {
          const d = Math.abs(v - (this.prev[i] as number));
          diffSum += d;
          this.colEnergy[((x * GRID_COLS) / width) | 0]! += d;
        }
      }
    }
    let histDistance = 0;
    let pan = 0;
    if (this.hasPrev) {
      for (let b = 0; b < HIST_BINS; b++) histDistance += Math.abs((this.hist[b] as number) - (this.prevHist[b] as number));
      histDistance /= 2 * n;
      if (diffSum > 0) {
        let weighted = 0;
        for (let c = 0; c < GRID_COLS; c++) weighted += (this.colEnergy[c] as number) * (((c + 0.5) / GRID_COLS) * 2 - 1);
        pan = weighted / diffSum;
      }
    }
    const hist = new Float32Array(HIST_BINS);
    for (let b = 0; b < HIST_BINS; b++) hist[b] = (this.hist[b] as number) / n;
    this.features.push({ motion: this.hasPrev ? diffSum / (255 * n) : 0, pan, histDistance, brightness: lumaSum / (255 * n), hist });
    this.prev.set(frame);
    this.prevHist.set(this.hist);
    this.hasPrev = true;
  }
}

export interface Onset {
  /** Frame index where the sudden motion first shows. */
  frame: number;
  /** Seconds (the frame's presentation time). */
  time: number;
  /** 0..1, relative to the strongest onset of the clip. */
  strength: number;
  pan: number;
}

export interface AnalysisResult {
  times: Float64Array;
  motion: Float32Array;
  pan: Float32Array;
  onsets: Onset[];
  /** Times (s) where a new shot starts. */
  cuts: number[];
  /** End of the last frame (s) on the output timeline, where the audio must end. */
  duration: number;
}

export interface DetectOptions {
  /** Window (s) of the running median/MAD before each frame. */
  windowS?: number;
  /** How many scaled MADs above the running median count as sudden. */
  k?: number;
  /** Minimum rise (mean |Δluma| / 255) that counts at all, so codec noise on a still shot stays silent. */
  floor?: number;
  /** No second onset within this many seconds of the last. */
  refractoryS?: number;
  /** Histogram distance above which a frame starts a new shot. */
  cutThreshold?: number;
  /** A new look must last this long (s) to be a cut; a shorter one (a flash) is an event. */
  cutHoldS?: number;
}

function histDistance(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs((a[i] as number) - (b[i] as number));
  return d / 2;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Frame duration estimate for the end of the last frame: the median interval between frames. */
export function frameInterval(times: Float64Array): number {
  if (times.length < 2) return 1 / 25;
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) gaps.push((times[i] as number) - (times[i - 1] as number));
  const g = median(gaps.filter((x) => x > 0));
  return g > 0 ? g : 1 / 25;
}

export function detectEvents(features: readonly FrameFeatures[], times: Float64Array, opts: DetectOptions = {}): AnalysisResult {
  const { windowS = 0.5, k = 4, floor = 0.004, refractoryS = 0.1, cutThreshold = 0.5, cutHoldS = 0.3 } = opts;
  const n = features.length;
  const motion = Float32Array.from(features, (f) => f.motion);
  const pan = Float32Array.from(features, (f) => f.pan);
  const interval = frameInterval(times);
  const window = Math.max(3, Math.round(windowS / interval));

  const cuts: number[] = [];
  const cutFrames = new Set<number>();
  const hold = Math.max(1, Math.round(cutHoldS / interval));
  for (let i = 1; i < n; i++) {
    if ((features[i] as FrameFeatures).histDistance <= cutThreshold) continue;
    // A cut changes the picture's make-up for good; a flash changes it and comes back. So the new
    // look must differ from every frame of the last `hold`, and the next `hold` frames must stay
    // far from the frame before the change (else it is a flash, or the end of one).
    const before = (features[i - 1] as FrameFeatures).hist;
    const now = (features[i] as FrameFeatures).hist;
    let lasting = true;
    for (let j = Math.max(0, i - hold); j < i - 1 && lasting; j++) {
      if (histDistance((features[j] as FrameFeatures).hist, now) <= cutThreshold) lasting = false;
    }
    for (let j = i + 1; j < Math.min(n, i + hold) && lasting; j++) {
      if (histDistance(before, (features[j] as FrameFeatures).hist) <= cutThreshold) lasting = false;
    }
    if (lasting) {
      cuts.push(times[i] as number);
      cutFrames.add(i);
    }
  }

  const candidates: Array<{ frame: number; rise: number }> = [];
  let lastOnset = Number.NEGATIVE_INFINITY;
  for (let i = 1; i < n; i++) {
    if (cutFrames.has(i)) continue;
    const past: number[] = [];
    for (let j = Math.max(1, i - window); j < i; j++) past.push(motion[j] as number);
    const base = median(past);
    const mad = median(past.map((x) => Math.abs(x - base))) * 1.4826;
    const rise = (motion[i] as number) - base;
    const t = times[i] as number;
    if (rise > Math.max(floor, k * mad) && t - lastOnset >= refractoryS) {
      candidates.push({ frame: i, rise });
      lastOnset = t;
    }
  }
  const strongest = candidates.reduce((m, c) => Math.max(m, c.rise), 0);
  const onsets = candidates.map(({ frame, rise }) => ({
    frame,
    time: times[frame] as number,
    strength: strongest > 0 ? Math.sqrt(rise / strongest) : 0,
    pan: pan[frame] as number,
  }));
  const duration = n === 0 ? 0 : (times[n - 1] as number) + interval;
  return { times, motion, pan, onsets, cuts, duration };
}
