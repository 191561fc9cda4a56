/**
 * @module Where each output frame of a frame-rate change sits between the source frames, in
 * exact integer arithmetic (a 30000/1001 source to 60 fps never drifts), and the scene-cut test
 * that decides whether a pair may be blended at all.
 *
 * Output frame j is shown at j/out seconds, which is source position p = j·in/out: frame
 * floor(p), advanced by timestep frac(p) towards the next one. The output has round(N·out/in)
 * frames, so it lasts as long as the source to within half an output frame; positions past the
 * last source frame show the last frame (it is held, as a player holds it, for its own duration).
 */
import { parseRate } from '../../media/rgb-frames.js';

export interface Rate {
  num: number;
  den: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export function reduceRate(num: number, den: number): Rate {
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

export const rateString = (r: Rate): string => `${r.num}/${r.den}`;
export const rateValue = (r: Rate): number => r.num / r.den;

export function toRate(rate: string): Rate {
  const r = parseRate(rate);
  return reduceRate(r.num, r.den);
}

/**
 * A target rate given as a number: NTSC rates (23.976, 29.97, 59.94, 119.88) exactly as n·1000/1001,
 * other rates to a thousandth of a frame per second.
 */
export function rateFromFps(fps: number): Rate {
  const ntsc = Math.round((fps * 1001) / 1000);
  if (Math.abs((ntsc * 1000) / 1001 - fps) < 0.005 && Math.abs(ntsc - fps) > 0.005) return reduceRate(ntsc * 1000, 1001);
  return reduceRate(Math.round(fps * 1000), 1000);
}

/** The output frames' positions between source frames, for a source of `in` and an output of `out`. */
export class FrameSchedule {
  /** Output frame j sits at source position j·a/b. */
  private readonly a: number;
  private readonly b: number;

  constructor(
    readonly rateIn: Rate,
    readonly rateOut: Rate,
  ) {
    // in/out = (inNum·outDen)/(inDen·outNum)
    const r = reduceRate(rateIn.num * rateOut.den, rateIn.den * rateOut.num);
    this.a = r.num;
    this.b = r.den;
  }

  /** The source frame before output frame j, and the timestep (0 ≤ t < 1) towards the next one. */
  at(j: number): { frame: number; t: number } {
    const x = j * this.a;
    return { frame: Math.floor(x / this.b), t: (x % this.b) / this.b };
  }

  /** Output frames for a source of `frames` frames: round(frames·out/in). */
  total(frames: number): number {
    return Math.round((frames * this.b) / this.a);
  }
}

/**
 * Scene cuts, by the rule ffmpeg's minterpolate uses (`scd=fdiff`), so both engines cut at the
 * same places: the mean absolute luma difference between two frames (mafd, in percent of full
 * scale) must be at least the threshold, and so must its change from the previous pair's. A hard
 * cut jumps on both counts; a fast pan has a large but steady difference and is interpolated.
 * Luma is BT.601 from rgb24, sampled every `step` pixels (a cut changes the whole picture). As
 * in ffmpeg, the first pair is compared with a previous difference of 0, so motion large from
 * the very first frame (mafd ≥ 5) counts as a cut there once.
 */
export const CUT_THRESHOLD = 5;

export class CutDetector {
  private prevMafd: number | undefined;
  private prevLuma: Float32Array | undefined;

  constructor(
    private readonly width: number,
    private readonly height: number,
    private readonly threshold = CUT_THRESHOLD,
    private readonly step = 2,
  ) {}

  private luma(rgb: Uint8Array): Float32Array {
    const { width, height, step } = this;
    const out = new Float32Array(Math.ceil(width / step) * Math.ceil(height / step));
    let k = 0;
    for (let y = 0; y < height; y += step) {
      for (let x = 0; x < width; x += step) {
        const i = (y * width + x) * 3;
        out[k++] = 0.299 * rgb[i]! + 0.587 * rgb[i + 1]! + 0.114 * rgb[i + 2]!;
      }
    }
    return out;
  }

  /** Feed frames in order; true when the step from the previous frame to this one is a cut. */
  push(rgb: Uint8Array): boolean {
    const luma = this.luma(rgb);
    const prev = this.prevLuma;
    this.prevLuma = luma;
    if (!prev) return false;
    let sad = 0;
    for (let i = 0; i < luma.length; i++) sad += Math.abs(luma[i]! - prev[i]!);
    const mafd = (100 * sad) / luma.length / 256;
    const diff = Math.abs(mafd - (this.prevMafd ?? 0));
    this.prevMafd = mafd;
    return Math.min(mafd, diff) >= this.threshold;
  }
}
