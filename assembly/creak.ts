// Door creak: stick-slip friction in a hinge. A creak is a train of tiny impulses (the hinge
// sticking and slipping) at a rate that glides (40–160 a second, the creak's "pitch"), exciting a
// few resonances of the door's wood. Creaks arrive at random, at a rate that follows the motion
// (a door moves, it creaks), each half a second to a second and a half long with a swell in and
// out. Into the events stem, panned where the motion is.
import { BandPass, panGains, PAN_L, PAN_R, sinCycle } from './filters';
import { Rng } from './rng';

/** Resonances of the wood (Hz, relative to the preset's base) and their weights. */
const MODES: StaticArray<f64> = [1, 2.35, 4.1, 6.6];
const WEIGHTS: StaticArray<f64> = [1, 0.8, 0.55, 0.35];

export class Creak {
  rng: Rng;
  modes: Array<BandPass> = new Array<BandPass>();
  /** The creak now playing: [at, at+len), its pulse rates from and to, where it is panned. */
  at: i32 = 0;
  len: i32 = 0;
  fromHz: f64 = 0;
  toHz: f64 = 0;
  gl: f64 = 0;
  gr: f64 = 0;
  amp: f64 = 0;
  phase: f64 = 0;
  /** No new creak before this sample (creaks do not overlap). */
  free: i32 = 0;

  constructor(readonly rate: f64, readonly level: f64, readonly baseHz: f64, readonly seed: u32, readonly sr: f64) {
    this.rng = new Rng(seed, 14);
    for (let k = 0; k < MODES.length; k++) this.modes.push(new BandPass(Math.min(sr / 6, baseHz * unchecked(MODES[k])), 30, sr));
  }

  render(L: StaticArray<f32>, R: StaticArray<f32>, start: i32, len: i32, env: StaticArray<f32>, pan: StaticArray<f32>): void {
    const sr = this.sr;
    const rng = this.rng;
    const m0 = unchecked(this.modes[0]), m1 = unchecked(this.modes[1]), m2 = unchecked(this.modes[2]), m3 = unchecked(this.modes[3]);
    for (let i = 0; i < len; i++) {
      const s = start + i;
      const e = Math.min(1, <f64>unchecked(env[i]));
      if (s >= this.free && e > 0.02 && rng.next() < (this.rate * e) / sr) {
        this.at = s;
        this.len = <i32>((0.5 + rng.next()) * sr);
        this.free = s + this.len + <i32>(0.1 * sr);
        this.fromHz = 40 + 60 * rng.next();
        this.toHz = 60 + 100 * rng.next();
        this.amp = this.level * (0.6 + 0.4 * rng.next());
        panGains(<f64>unchecked(pan[i]));
        this.gl = PAN_L;
        this.gr = PAN_R;
        this.phase = 0;
      }
      let x: f64 = 0;
      if (s < this.at + this.len && s >= this.at) {
        const u = <f64>(s - this.at) / <f64>this.len;
        // The rate wavers as friction does (a slow sine on the glide), with jitter per pulse.
        const hz = (this.fromHz + (this.toHz - this.fromHz) * u) * (1 + 0.15 * sinCycle(u * 3.3));
        this.phase += hz / sr;
        if (this.phase >= 1) {
          this.phase -= 1 + 0.06 * rng.next();
          if (this.phase < 0) this.phase = 0;
          const swell = sinCycle(u * 0.5);
          // ×8: a resonator rings at about f (≈0.05 here) times its impulse.
          x = 8 * this.amp * swell * (0.6 + 0.4 * rng.next());
        }
      }
      // The resonators ring on after the creak; they decay on their own.
      const y = m0.process(x) * unchecked(WEIGHTS[0]) + m1.process(x) * unchecked(WEIGHTS[1])
        + m2.process(x) * unchecked(WEIGHTS[2]) + m3.process(x) * unchecked(WEIGHTS[3]);
      if (y == 0) continue;
      unchecked(L[i] = <f32>(<f64>unchecked(L[i]) + y * this.gl));
      unchecked(R[i] = <f32>(<f64>unchecked(R[i]) + y * this.gr));
    }
  }
}
