// Per-sample motion envelope: each frame's motion held from its pts, mapped to a 0..1.5 level and
// smoothed (fast attack, slower release). Absolute, not relative to the clip, so a still shot stays
// quiet. Also follows the motion's horizontal centre for panning.
import { onePoleCoef } from './filters';

/** Motion under this (mean |Δluma|/255) is codec noise or grain: silence. */
const MOTION_GATE: f64 = 0.002;

@inline function motionLevel(m: f64): f64 {
  return Math.min(1.5, Math.sqrt(Math.max(0, m - MOTION_GATE) / 0.08));
}

export class Follower {
  frame: i32 = 0;
  level: f64 = 0;
  pan: f64 = 0;
  attack: f64;
  release: f64;
  panGlide: f64;

  constructor(
    readonly times: StaticArray<f64>, readonly motion: StaticArray<f64>, readonly panSeries: StaticArray<f64>,
    readonly n: i32, readonly sr: f64
  ) {
    this.attack = onePoleCoef(1 / 0.02, sr);
    this.release = onePoleCoef(1 / 0.2, sr);
    this.panGlide = onePoleCoef(1 / 0.3, sr);
  }

  /** Fills `env` and `pan` for absolute samples [start, start+len). */
  render(env: StaticArray<f32>, pan: StaticArray<f32>, start: i32, len: i32): void {
    const n = this.n;
    const t0 = n > 0 ? this.times[0] : 0;
    const dt = 1 / this.sr;
    for (let i = 0; i < len; i++) {
      const t = <f64>(start + i) * dt;
      while (this.frame + 1 < n && unchecked(this.times[this.frame + 1]) <= t) this.frame++;
      const m = n > 0 ? unchecked(this.motion[this.frame]) : 0;
      const target = n == 0 || t < t0 ? 0 : motionLevel(m);
      this.level += (target > this.level ? this.attack : this.release) * (target - this.level);
      // Only follow the centre while something moves; a still frame's centre (0) means nothing.
      if (n > 0 && m > 0.002) this.pan += this.panGlide * (unchecked(this.panSeries[this.frame]) * 0.7 - this.pan);
      unchecked(env[i] = <f32>this.level);
      unchecked(pan[i] = <f32>this.pan);
    }
  }
}
