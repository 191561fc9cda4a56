// A deep roar (a fire's flames, a furnace): white noise through four one-pole low-passes
// (24 dB an octave, so almost nothing leaks into the band where crackle lives), its level swelling
// with the motion over a floor that never stops. Into the events stem, centred.
import { onePoleCoef } from './filters';
import { Rng } from './rng';

export class Roar {
  rng: Rng;
  c: f64;
  a: f64 = 0;
  b: f64 = 0;
  d: f64 = 0;
  e: f64 = 0;

  constructor(readonly level: f64, hz: f64, seed: u32, sr: f64) {
    this.rng = new Rng(seed, 15);
    this.c = onePoleCoef(hz, sr);
  }

  render(L: StaticArray<f32>, R: StaticArray<f32>, len: i32, env: StaticArray<f32>): void {
    const c = this.c;
    const rng = this.rng;
    let a = this.a, b = this.b, d = this.d, e = this.e;
    for (let i = 0; i < len; i++) {
      a += c * (rng.white() - a);
      b += c * (a - b);
      d += c * (b - d);
      e += c * (d - e);
      // A floor of 0.4 and a swell with the motion; ×6 makes up for what the filters take.
      const v = e * this.level * 6 * (0.4 + 0.6 * Math.min(1, <f64>unchecked(env[i])));
      unchecked(L[i] = <f32>(<f64>unchecked(L[i]) + v));
      unchecked(R[i] = <f32>(<f64>unchecked(R[i]) + v));
    }
    this.a = a; this.b = b; this.d = d; this.e = e;
  }
}
