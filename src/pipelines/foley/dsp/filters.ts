/**
 * @module Small DSP building blocks (pure, per-sample state): a state-variable band-pass, a one-pole
 * coefficient, equal-power panning, a DC blocker and a biquad.
 */

/** State-variable filter (Chamberlin), band-pass output. Stable for f < sr/6, which it clamps to. */
export class BandPass {
  private low = 0;
  private band = 0;
  private readonly f: number;
  private readonly q: number;
  constructor(hz: number, q: number, sr: number) {
    this.f = 2 * Math.sin((Math.PI * Math.min(hz, sr / 6)) / sr);
    this.q = 1 / Math.max(0.5, q);
  }
  process(x: number): number {
    this.low += this.f * this.band;
    const high = x - this.low - this.q * this.band;
    this.band += this.f * high;
    return this.band;
  }
}

/** Coefficient of y += c·(x − y) for a one-pole low-pass at `hz`. */
export function onePoleCoef(hz: number, sr: number): number {
  return 1 - Math.exp((-2 * Math.PI * hz) / sr);
}

/** Equal-power pan gains for p in −1..1. */
export function panGains(p: number): [number, number] {
  const a = ((Math.max(-1, Math.min(1, p)) + 1) * Math.PI) / 4;
  return [Math.cos(a), Math.sin(a)];
}

/** First-order DC blocker (high-pass near `hz`). */
export class DcBlocker {
  private x1 = 0;
  private y1 = 0;
  private readonly r: number;
  constructor(sr: number, hz = 10) {
    this.r = Math.exp((-2 * Math.PI * hz) / sr);
  }
  process(x: number): number {
    const y = x - this.x1 + this.r * this.y1;
    this.x1 = x;
    this.y1 = y;
    return y;
  }
}

/** Direct-form-I biquad with a0 normalised to 1. */
export class Biquad {
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;
  constructor(
    private readonly b0: number,
    private readonly b1: number,
    private readonly b2: number,
    private readonly a1: number,
    private readonly a2: number,
  ) {}
  /** [b0, b1, b2, a1, a2]. */
  coefficients(): [number, number, number, number, number] {
    return [this.b0, this.b1, this.b2, this.a1, this.a2];
  }
  process(x: number): number {
    const y = this.b0 * x + this.b1 * this.x1 + this.b2 * this.x2 - this.a1 * this.y1 - this.a2 * this.y2;
    this.x2 = this.x1;
    this.x1 = x;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}
