// A stereo-linked true-peak limiter with lookahead. The gain is the moving average (over the
// lookahead) of the moving minimum (over the lookahead) of the gain each sample needs; that average
// is provably never above any sample's need, so nothing passes the ceiling, and it moves as a ramp
// over the lookahead, so nothing clicks. Release is a one-pole rise. The 4× true-peak filter
// (coefficients from the host's true-peak.ts) only runs near the ceiling, and quiet stretches take
// an idle path, which keeps the limiter cheap on long tracks.

export const TAPS: i32 = 12;
const HALF: i32 = 6;
/** Indices wrap at 2^30 (a power of two every ring size divides). */
const WRAP: i32 = 0x3fffffff;

/** Phases 1..3 of the 4× interpolator, interleaved by tap: [tap][phase] (from the host's true-peak.ts). */
export const H = new StaticArray<f64>(3 * TAPS);

export class Limiter {
  latency: i32;
  outputPeak: f64 = 0;
  minGain: f64 = 1;
  look: i32;
  quiet: f64;
  release: f64;
  mask: i32;
  ringL: StaticArray<f64> = new StaticArray<f64>(2 * TAPS);
  ringR: StaticArray<f64> = new StaticArray<f64>(2 * TAPS);
  ringPos: i32 = 0;
  loudAgo: i32 = TAPS;
  prevInterval: f64 = 0;
  dl: StaticArray<f64>;
  dr: StaticArray<f64>;
  det: StaticArray<f64>;
  need: StaticArray<f64>;
  dq: StaticArray<i32>;
  dqHead: i32 = 0;
  dqTail: i32 = 0;
  mins: StaticArray<f64>;
  minSum: f64;
  minPos: i32 = 0;
  limiting: i32 = 0;
  g: f64 = 1;
  m: i32 = 0;

  constructor(sr: f64, readonly ceiling: f64, tpBound: f64, lookaheadS: f64, releaseS: f64) {
    const look = max(1, <i32>Math.round(lookaheadS * sr));
    const latency = HALF + look - 1;
    let size = 1;
    while (size < latency + look + 4) size <<= 1;
    const need = new StaticArray<f64>(size);
    for (let i = 0; i < size; i++) need[i] = 1;
    const mins = new StaticArray<f64>(look);
    for (let i = 0; i < look; i++) mins[i] = 1;
    this.latency = latency;
    this.look = look;
    this.quiet = ceiling / tpBound;
    this.release = 1 - Math.exp(-1 / (releaseS * sr));
    this.mask = size - 1;
    this.dl = new StaticArray<f64>(size);
    this.dr = new StaticArray<f64>(size);
    this.det = new StaticArray<f64>(size);
    this.need = need;
    this.dq = new StaticArray<i32>(size);
    this.mins = mins;
    this.minSum = <f64>look;
  }

  /** Writes `len` output frames, each `latency` samples older than the input frame at the same index. */
  process(inL: StaticArray<f64>, inR: StaticArray<f64>, len: i32, outL: StaticArray<f64>, outR: StaticArray<f64>): void {
    const mask = this.mask, look = this.look, ceiling = this.ceiling, quiet = this.quiet, release = this.release;
    const dl = this.dl, dr = this.dr, det = this.det, need = this.need;
    const dq = this.dq, mins = this.mins, ringL = this.ringL, ringR = this.ringR;
    let loudAgo = this.loudAgo, prevInterval = this.prevInterval, dqHead = this.dqHead, dqTail = this.dqTail;
    let minSum = this.minSum, minPos = this.minPos;
    let m = this.m, ringPos = this.ringPos, outputPeak = this.outputPeak, minGain = this.minGain, limiting = this.limiting, g = this.g;
    let i = 0;
    while (i < len) {
      if (limiting == 0 && loudAgo == TAPS) {
        // Idle: nothing to limit in the lookahead and no loud tap: the output is the input, delayed,
        // times the releasing gain, the same samples the full path gives for a fraction of the work.
        const from = i;
        for (; i < len; i++) {
          const l = unchecked(inL[i]);
          const r = unchecked(inR[i]);
          if (abs(l) > quiet || abs(r) > quiet) break;
          unchecked(dl[m & mask] = l);
          unchecked(dr[m & mask] = r);
          const h = (m - HALF) & mask;
          const il = abs(unchecked(dl[h]));
          const ir = abs(unchecked(dr[h]));
          const interval = il > ir ? il : ir;
          unchecked(det[h] = interval > prevInterval ? interval : prevInterval);
          prevInterval = interval;
          g += release * (1 - g);
          const k = (m - HALF - look + 1) & mask;
          unchecked(outL[i] = unchecked(dl[k]) * g);
          unchecked(outR[i] = unchecked(dr[k]) * g);
          const peak = unchecked(det[k]) * g;
          if (peak > outputPeak) outputPeak = peak;
          m = (m + 1) & WRAP;
        }
        const n = i - from;
        if (n > 0) {
          minPos = (minPos + n) % look;
          // Every need in the window is 1: the deque keeps only the newest.
          const j = (m - 1 - HALF) & WRAP;
          unchecked(need[j & mask] = 1);
          unchecked(dq[0] = j);
          dqHead = 0;
          dqTail = 1;
          // The true-peak filter's rings hold the last TAPS inputs.
          ringPos = (ringPos + n) % TAPS;
          for (let t = 0; t < TAPS; t++) {
            const p = (ringPos - t + TAPS) % TAPS;
            const at = (m - 1 - t) & mask;
            const a = unchecked(dl[at]);
            const b = unchecked(dr[at]);
            unchecked(ringL[p] = a);
            unchecked(ringL[p + TAPS] = a);
            unchecked(ringR[p] = b);
            unchecked(ringR[p + TAPS] = b);
          }
        }
        if (i == len) break;
      }
      const l = unchecked(inL[i]);
      const r = unchecked(inR[i]);
      unchecked(dl[m & mask] = l);
      unchecked(dr[m & mask] = r);
      ringPos = ringPos + 1 == TAPS ? 0 : ringPos + 1;
      unchecked(ringL[ringPos] = l);
      unchecked(ringL[ringPos + TAPS] = l);
      unchecked(ringR[ringPos] = r);
      unchecked(ringR[ringPos + TAPS] = r);
      const base = ringPos + TAPS;
      const al = abs(l);
      const ar = abs(r);
      // Interval peak for [m−half, m−half+1); the 4× filter only when a tap is loud enough to matter.
      const il = abs(unchecked(ringL[base - HALF]));
      const ir = abs(unchecked(ringR[base - HALF]));
      let interval = il > ir ? il : ir;
      if (loudAgo < TAPS || al > quiet || ar > quiet) {
        let l1: f64 = 0, l2: f64 = 0, l3: f64 = 0, r1: f64 = 0, r2: f64 = 0, r3: f64 = 0;
        for (let k = 0; k < TAPS; k++) {
          const xl = unchecked(ringL[base - k]);
          const xr = unchecked(ringR[base - k]);
          const c = 3 * k;
          const h1 = unchecked(H[c]), h2 = unchecked(H[c + 1]), h3 = unchecked(H[c + 2]);
          l1 += xl * h1; l2 += xl * h2; l3 += xl * h3;
          r1 += xr * h1; r2 += xr * h2; r3 += xr * h3;
        }
        // Comparisons, not max(): f64.max spends instructions on NaN and −0, which cannot occur here.
        l1 = abs(l1); l2 = abs(l2); l3 = abs(l3); r1 = abs(r1); r2 = abs(r2); r3 = abs(r3);
        if (l1 > interval) interval = l1;
        if (l2 > interval) interval = l2;
        if (l3 > interval) interval = l3;
        if (r1 > interval) interval = r1;
        if (r2 > interval) interval = r2;
        if (r3 > interval) interval = r3;
      }
      loudAgo = al > quiet || ar > quiet ? 0 : loudAgo < TAPS ? loudAgo + 1 : TAPS;
      const d = interval > prevInterval ? interval : prevInterval;
      prevInterval = interval;
      const j = (m - HALF) & WRAP;
      unchecked(det[j & mask] = d);
      const nd = d > ceiling ? ceiling / d : 1;
      unchecked(need[j & mask] = nd);
      // Moving minimum of need over the last `look` detector samples.
      while (dqTail > dqHead && unchecked(need[unchecked(dq[(dqTail - 1) & mask]) & mask]) >= nd) dqTail--;
      unchecked(dq[dqTail & mask] = j);
      dqTail++;
      while (((j - unchecked(dq[dqHead & mask])) & WRAP) >= look) dqHead++;
      const windowMin = unchecked(need[unchecked(dq[dqHead & mask]) & mask]);
      // Moving mean of the window minima: the gain for sample k = j − look + 1.
      const old = unchecked(mins[minPos]);
      if (old < 1) limiting--;
      if (windowMin < 1) limiting++;
      // Back to no limiting: the sum is exactly `look` again (no rounding left over).
      minSum = limiting == 0 ? <f64>look : minSum + windowMin - old;
      unchecked(mins[minPos] = windowMin);
      minPos = minPos + 1 == look ? 0 : minPos + 1;
      const target = minSum / <f64>look;
      g = target < g ? target : g + release * (target - g);
      const k = (j - look + 1) & WRAP;
      unchecked(outL[i] = unchecked(dl[k & mask]) * g);
      unchecked(outR[i] = unchecked(dr[k & mask]) * g);
      const peak = unchecked(det[k & mask]) * g;
      if (peak > outputPeak) outputPeak = peak;
      if (g < minGain) minGain = g;
      m = (m + 1) & WRAP;
      i++;
    }
    this.loudAgo = loudAgo; this.prevInterval = prevInterval; this.dqHead = dqHead; this.dqTail = dqTail;
    this.minSum = minSum; this.minPos = minPos; this.m = m; this.ringPos = ringPos;
    this.outputPeak = outputPeak; this.minGain = minGain; this.limiting = limiting; this.g = g;
  }
}
