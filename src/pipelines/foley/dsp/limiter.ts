/**
 * @module A stereo-linked true-peak limiter with lookahead (pure, streaming). The gain is the
 * moving average (over the lookahead) of the moving minimum (over the lookahead) of the gain each
 * sample needs; that average is provably never above any sample's need, so nothing passes the
 * ceiling, and it moves as a ramp over the lookahead, so nothing clicks. Release is a one-pole rise.
 * The 4× true-peak filter only runs near the ceiling, which keeps the limiter cheap on long tracks.
 */
import { COEFS, TAPS, TP_BOUND, TruePeak } from './true-peak.js';

/** Phases 1..3 of the 4× interpolator, interleaved by tap: [tap][phase]. */
const H = Float64Array.from({ length: 3 * TAPS }, (_, i) => (COEFS[1 + (i % 3)] as Float64Array)[Math.floor(i / 3)] as number);

export interface LimiterOptions {
  sampleRate: number;
  /** Linear ceiling for the true peak. */
  ceiling: number;
  /** Lookahead (s); also the attack ramp. */
  lookaheadS?: number;
  /** Release time constant (s). */
  releaseS?: number;
}

/** Default lookahead (s): also the attack ramp. */
export const LOOKAHEAD_S = 0.002;
/** Default release time constant (s). */
export const RELEASE_S = 0.08;

/** Indices wrap at 2^30 (a power of two every ring size divides), so any length of audio works. */
const WRAP = 0x3fffffff;

function pow2AtLeast(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

export class TruePeakLimiter {
  /** Output lags input by this many samples. */
  readonly latency: number;
  /** Largest true peak seen at the output (estimate: detector × applied gain). */
  outputPeak = 0;
  /** Smallest gain applied. */
  minGain = 1;
  private readonly ceiling: number;
  private readonly quiet: number;
  private readonly look: number;
  private readonly release: number;
  /** True-peak filter input rings, each sample written twice so the taps read one run. */
  private readonly ringL = new Float64Array(2 * TAPS);
  private readonly ringR = new Float64Array(2 * TAPS);
  private ringPos = 0;
  private readonly tpLatency: number = TruePeak.LATENCY;
  /** Samples since a tap input was over `quiet`, counted up to TAPS. */
  private loudAgo = TAPS;
  private prevInterval = 0;
  private readonly mask: number;
  private readonly dl: Float64Array;
  private readonly dr: Float64Array;
  private readonly det: Float64Array;
  private readonly need: Float64Array;
  /** Monotonic deque of indices (moving minimum of `need`). */
  private readonly dq: Int32Array;
  private dqHead = 0;
  private dqTail = 0;
  private readonly mins: Float64Array;
  private minSum: number;
  private minPos = 0;
  /** How many of `mins` are under 1: 0 means no limiting anywhere in the lookahead. */
  private limiting = 0;
  private gain = 1;
  private m = 0;

  constructor(o: LimiterOptions) {
    this.ceiling = o.ceiling;
    this.quiet = o.ceiling / TP_BOUND;
    this.look = Math.max(1, Math.round((o.lookaheadS ?? LOOKAHEAD_S) * o.sampleRate));
    this.release = 1 - Math.exp(-1 / ((o.releaseS ?? RELEASE_S) * o.sampleRate));
    this.latency = this.tpLatency + this.look - 1;
    const size = pow2AtLeast(this.latency + this.look + 4);
    this.mask = size - 1;
    this.dl = new Float64Array(size);
    this.dr = new Float64Array(size);
    this.det = new Float64Array(size);
    this.need = new Float64Array(size).fill(1);
    this.dq = new Int32Array(size);
    this.mins = new Float64Array(this.look).fill(1);
    this.minSum = this.look;
  }

  /**
   * Gain `gain` is applied to the input first. Writes `len` output frames, each `latency` samples
   * older than the input frame at the same index.
   */
  process(inL: Float32Array, inR: Float32Array, len: number, gain: number, outL: Float32Array, outR: Float32Array): void {
    // Hot state in locals (V8 keeps them unboxed); written back at the end.
    const { mask, look, ceiling, quiet, release, tpLatency, dl, dr, det, need, dq, mins, ringL, ringR } = this;
    const half = tpLatency;
    let { loudAgo, prevInterval, dqHead, dqTail, minSum, minPos, m, ringPos, outputPeak, minGain, limiting } = this;
    let g = this.gain;
    let i = 0;
    while (i < len) {
      if (limiting === 0 && loudAgo === TAPS) {
        // Idle: no limiting anywhere in the lookahead, no loud tap for the true-peak filter, the
        // gain at 1 or releasing towards it. While the input stays quiet nothing can change that,
        // so the output is the input delayed, times the releasing gain: the same samples the full
        // path gives, for a fraction of the work. Most of a track is this.
        const from = i;
        for (; i < len; i++) {
          const l = (inL[i] as number) * gain;
          const r = (inR[i] as number) * gain;
          if (Math.abs(l) > quiet || Math.abs(r) > quiet) break;
          dl[m & mask] = l;
          dr[m & mask] = r;
          const h = (m - half) & mask;
          const interval = Math.max(Math.abs(dl[h] as number), Math.abs(dr[h] as number));
          det[h] = interval > prevInterval ? interval : prevInterval;
          prevInterval = interval;
          g += release * (1 - g);
          const k = (m - half - look + 1) & mask;
          outL[i] = (dl[k] as number) * g;
          outR[i] = (dr[k] as number) * g;
          const peak = (det[k] as number) * g;
          if (peak > outputPeak) outputPeak = peak;
          m = (m + 1) & WRAP;
        }
        const n = i - from;
        if (n > 0) {
          minPos = (minPos + n) % look;
          // Every need in the window is 1: the deque keeps only the newest.
          const j = (m - 1 - half) & WRAP;
          need[j & mask] = 1;
          dq[0] = j;
          dqHead = 0;
          dqTail = 1;
          // The true-peak filter's rings hold the last TAPS inputs.
          ringPos = (ringPos + n) % TAPS;
          for (let t = 0; t < TAPS; t++) {
            const p = (ringPos - t + TAPS) % TAPS;
            const at = (m - 1 - t) & mask;
            ringL[p] = ringL[p + TAPS] = dl[at] as number;
            ringR[p] = ringR[p + TAPS] = dr[at] as number;
          }
        }
        if (i === len) break;
      }
      const l = (inL[i] as number) * gain;
      const r = (inR[i] as number) * gain;
      dl[m & mask] = l;
      dr[m & mask] = r;
      ringPos = ringPos + 1 === TAPS ? 0 : ringPos + 1;
      ringL[ringPos] = l;
      ringL[ringPos + TAPS] = l;
      ringR[ringPos] = r;
      ringR[ringPos + TAPS] = r;
      const base = ringPos + TAPS;
      const al = Math.abs(l);
      const ar = Math.abs(r);
      // Interval peak for [m−half, m−half+1); the 4× filter only when a tap is loud enough to matter.
      let interval = Math.max(Math.abs(ringL[base - half] as number), Math.abs(ringR[base - half] as number));
      if (loudAgo < TAPS || al > quiet || ar > quiet) {
        // The three in-between phases at once: each tap is read once for all of them.
        let l1 = 0, l2 = 0, l3 = 0, r1 = 0, r2 = 0, r3 = 0;
        for (let k = 0, c = 0; k < TAPS; k++, c += 3) {
          const xl = ringL[base - k] as number;
          const xr = ringR[base - k] as number;
          const h1 = H[c] as number, h2 = H[c + 1] as number, h3 = H[c + 2] as number;
          l1 += xl * h1; l2 += xl * h2; l3 += xl * h3;
          r1 += xr * h1; r2 += xr * h2; r3 += xr * h3;
        }
        interval = Math.max(interval, Math.abs(l1), Math.abs(l2), Math.abs(l3), Math.abs(r1), Math.abs(r2), Math.abs(r3));
      }
      loudAgo = al > quiet || ar > quiet ? 0 : loudAgo < TAPS ? loudAgo + 1 : TAPS;
      const d = interval > prevInterval ? interval : prevInterval;
      prevInterval = interval;
      const j = (m - half) & WRAP;
      det[j & mask] = d;
      const nd = d > ceiling ? ceiling / d : 1;
      need[j & mask] = nd;
      // Moving minimum of need over the last `look` detector samples.
      while (dqTail > dqHead && (need[(dq[(dqTail - 1) & mask] as number) & mask] as number) >= nd) dqTail--;
      dq[dqTail & mask] = j;
      dqTail++;
      while (((j - (dq[dqHead & mask] as number)) & WRAP) >= look) dqHead++;
      const windowMin = need[(dq[dqHead & mask] as number) & mask] as number;
      // Moving mean of the window minima: the gain for sample k = j − look + 1.
      const old = mins[minPos] as number;
      if (old < 1) limiting--;
      if (windowMin < 1) limiting++;
      // Back to no limiting: the sum is exactly `look` again (no rounding left over).
      minSum = limiting === 0 ? look : minSum + windowMin - old;
      mins[minPos] = windowMin;
      minPos = minPos + 1 === look ? 0 : minPos + 1;
      const target = minSum / look;
      g = target < g ? target : g + release * (target - g);
      const k = (j - look + 1) & WRAP;
      outL[i] = (dl[k & mask] as number) * g;
      outR[i] = (dr[k & mask] as number) * g;
      const peak = (det[k & mask] as number) * g;
      if (peak > outputPeak) outputPeak = peak;
      if (g < minGain) minGain = g;
      m = (m + 1) & WRAP;
      i++;
    }
    Object.assign(this, { loudAgo, prevInterval, dqHead, dqTail, minSum, minPos, m, ringPos, outputPeak, minGain, limiting, gain: g });
  }
}
