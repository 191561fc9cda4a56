/**
 * @module Per-sample motion envelope (pure, streaming): each frame's motion held from its pts,
 * mapped to a 0..1.5 level and smoothed (fast attack, slower release). Absolute, not relative to
 * the clip, so a still shot stays quiet. Also follows the motion's horizontal centre for panning.
 */
import { onePoleCoef } from '../dsp/filters.js';

/** Motion under this (mean |Δluma|/255) is codec noise or grain: silence, not a faint texture. */
export const MOTION_GATE = 0.002;

/** Motion energy → 0..1.5 loudness for textures and hum. */
export function motionLevel(m: number): number {
  return Math.min(1.5, Math.sqrt(Math.max(0, m - MOTION_GATE) / 0.08));
}

export class MotionFollower {
  private frame = 0;
  private level = 0;
  private pan = 0;
  private readonly attack: number;
  private readonly release: number;
  private readonly panGlide: number;

  constructor(
    private readonly times: ArrayLike<number>,
    private readonly motion: ArrayLike<number>,
    private readonly panSeries: ArrayLike<number>,
    private readonly sr: number,
  ) {
    this.attack = onePoleCoef(1 / 0.02, sr);
    this.release = onePoleCoef(1 / 0.2, sr);
    this.panGlide = onePoleCoef(1 / 0.3, sr);
  }

  /** Fills `env` and `pan` for absolute samples [start, start+len). */
  render(env: Float32Array, pan: Float32Array, start: number, len: number): void {
    const n = this.times.length;
    const t0 = n > 0 ? (this.times[0] as number) : 0;
    for (let i = 0; i < len; i++) {
      const t = (start + i) / this.sr;
      while (this.frame + 1 < n && (this.times[this.frame + 1] as number) <= t) this.frame++;
      const target = n === 0 || t < t0 ? 0 : motionLevel(this.motion[this.frame] as number);
      this.level += (target > this.level ? this.attack : this.release) * (target - this.level);
      // Only follow the centre while something moves; a still frame's centre (0) means nothing.
      if (n > 0 && (this.motion[this.frame] as number) > 0.002) this.pan += this.panGlide * ((this.panSeries[this.frame] as number) * 0.7 - this.pan);
      env[i] = this.level;
      pan[i] = this.pan;
    }
  }
}
