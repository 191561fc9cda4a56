// Fire crackle: pops in clusters. Clusters arrive at random (a Poisson rate that rises with the
// motion of the flames); each holds a few pops within tens of milliseconds. A pop is a burst of
// band-passed noise a fraction of a millisecond to a few long, its loudness drawn from a
// heavy-tailed law (most pops faint, a few sharp snaps), and now and then a bigger, lower snap of
// wood splitting. Into the events stem, panned at random around the motion.
import { BandPass, panGains, PAN_L, PAN_R } from './filters';
import { Rng } from './rng';

class Pop {
  at: i32 = 0;
  len: i32 = 0;
  amp: f64 = 0;
  decay: f64 = 0;
  gl: f64 = 0;
  gr: f64 = 0;
  rng: Rng = new Rng(0, 0);
  bp: BandPass = new BandPass(3000, 1, 48000);
}

export class Crackle {
  rng: Rng;
  active: Array<Pop> = new Array<Pop>();
  spare: Array<Pop> = new Array<Pop>();
  pool: Array<Pop> = new Array<Pop>();
  count: u32 = 0;

  constructor(readonly rate: f64, readonly motionRate: f64, readonly level: f64, readonly seed: u32, readonly sr: f64) {
    this.rng = new Rng(seed, 13);
  }

  cluster(at: i32, pan: f64): void {
    const rng = this.rng;
    const n = 1 + <i32>Math.floor(rng.next() * 5);
    let t = at;
    for (let k = 0; k < n; k++) {
      const snap = rng.next() < 0.1;
      const p = this.pool.length > 0 ? this.pool.pop() : new Pop();
      p.rng.reseed(this.seed, 0x30000000 + this.count++);
      const u = rng.next();
      p.at = t;
      const durS = snap ? 0.004 + 0.008 * rng.next() : 0.0004 + 0.003 * rng.next();
      p.len = max(16, <i32>Math.round(durS * 4 * this.sr));
      p.decay = Math.exp(-1 / (durS * this.sr));
      p.amp = this.level * (snap ? 1 : 0.15 + 0.85 * u * u * u);
      panGains(Math.max(-1, Math.min(1, pan + 0.9 * (rng.next() * 2 - 1))));
      p.gl = PAN_L;
      p.gr = PAN_R;
      p.bp.tune(snap ? 700 + 1200 * rng.next() : 1200 + 5000 * rng.next(), snap ? 1.5 : 0.9, this.sr);
      this.active.push(p);
      t += max(1, <i32>Math.round((0.004 + 0.03 * rng.next()) * this.sr));
    }
  }

  render(L: StaticArray<f32>, R: StaticArray<f32>, start: i32, len: i32, env: StaticArray<f32>, pan: StaticArray<f32>): void {
    const sr = this.sr;
    const rng = this.rng;
    for (let i = 0; i < len; i++) {
      const e = Math.min(1, <f64>unchecked(env[i]));
      if (rng.next() < (this.rate + this.motionRate * e) / sr) this.cluster(start + i, <f64>unchecked(pan[i]));
    }
    const end = start + len;
    const kept = this.spare;
    kept.length = 0;
    for (let k = 0; k < this.active.length; k++) {
      const p = unchecked(this.active[k]);
      const a = max(start, p.at);
      const b = min(end, p.at + p.len);
      for (let s = a; s < b; s++) {
        const j = s - p.at;
        // A 0.1 ms ramp in, an exponential decay, a short ramp out at the end.
        const ramp = Math.min(1, <f64>j / 5) * Math.min(1, <f64>(p.len - j) / 16);
        const v = p.bp.process(p.rng.white()) * p.amp * ramp * Math.pow(p.decay, <f64>j) * 3;
        const i = s - start;
        unchecked(L[i] = <f32>(<f64>unchecked(L[i]) + v * p.gl));
        unchecked(R[i] = <f32>(<f64>unchecked(R[i]) + v * p.gr));
      }
      if (p.at + p.len > end) kept.push(p);
      else this.pool.push(p);
    }
    this.spare = this.active;
    this.active = kept;
  }
}
