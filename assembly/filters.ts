// Small per-sample building blocks: a state-variable band-pass, a DC blocker, a one-pole
// coefficient, equal-power panning.

/** State-variable filter (Chamberlin), band-pass output; clamps f to sr/6 where it is stable. */
export class BandPass {
  low: f64 = 0;
  band: f64 = 0;
  f: f64 = 0;
  q: f64 = 0;
  constructor(hz: f64, q: f64, sr: f64) {
    this.tune(hz, q, sr);
  }
  /** Sets the centre and Q, and clears the state: a recycled filter is as good as a new one. */
  tune(hz: f64, q: f64, sr: f64): void {
    this.f = 2 * Math.sin((Math.PI * Math.min(hz, sr / 6)) / sr);
    this.q = 1 / Math.max(0.5, q);
    this.low = 0;
    this.band = 0;
  }
  @inline process(x: f64): f64 {
    this.low += this.f * this.band;
    const high = x - this.low - this.q * this.band;
    this.band += this.f * high;
    return this.band;
  }
}

/** First-order DC blocker (high-pass near 10 Hz). */
export class DcBlocker {
  x1: f64 = 0;
  y1: f64 = 0;
  r: f64;
  constructor(sr: f64) {
    this.r = Math.exp((-2 * Math.PI * 10) / sr);
  }
  @inline process(x: f64): f64 {
    const y = x - this.x1 + this.r * this.y1;
    this.x1 = x;
    this.y1 = y;
    return y;
  }
}

/** Coefficient of y += c·(x − y) for a one-pole low-pass at `hz`. */
export function onePoleCoef(hz: f64, sr: f64): f64 {
  return 1 - Math.exp((-2 * Math.PI * hz) / sr);
}

/** Equal-power pan gains for p in −1..1, left in PAN_L and right in PAN_R. */
export let PAN_L: f64 = 0;
export let PAN_R: f64 = 0;
export function panGains(p: f64): void {
  const a = ((Math.max(-1, Math.min(1, p)) + 1) * Math.PI) / 4;
  PAN_L = Math.cos(a);
  PAN_R = Math.sin(a);
}

/**
 * sin(2π·p) for a phase in cycles: folded to a quarter cycle, then the Taylor series to the 11th
 * power (error under 6·10⁻⁸, −144 dB). Several times cheaper than Math.sin, which handles any
 * argument; per-sample oscillators call this.
 */
@inline export function sinCycle(p: f64): f64 {
  let x = p - Math.floor(p + 0.5);
  if (x > 0.25) x = 0.5 - x;
  else if (x < -0.25) x = -0.5 - x;
  const y = 2 * Math.PI * x;
  const y2 = y * y;
  return y * (1 - (y2 / 6) * (1 - (y2 / 20) * (1 - (y2 / 42) * (1 - (y2 / 72) * (1 - y2 / 110)))));
}
