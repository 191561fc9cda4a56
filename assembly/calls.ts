// Animal calls in bursts: bird chirps (a sine whose pitch sweeps fast across 2–6 kHz, with a
// trill of frequency modulation) or dog barks (a voiced tone at 300–600 Hz rich in harmonics,
// rising then falling, through two formant band-passes, with breath noise). Bursts arrive at
// random (a Poisson rate that rises with the motion); each holds a few calls a short gap apart,
// alike in pitch, as one animal's phrase. Into the events stem, panned per burst.
import { BandPass, panGains, PAN_L, PAN_R, sinCycle } from './filters';
import { Rng } from './rng';

export const KIND_CHIRP: i32 = 1;
export const KIND_BARK: i32 = 2;

export class CallParams {
  kind: i32 = 0;
  level: f64 = 0;
  /** Bursts per second with nothing moving, and added at full motion. */
  rate: f64 = 0;
  motionRate: f64 = 0;
  /** Calls per burst (min, max), gap between their starts (s), a call's length (s). */
  minCalls: i32 = 1;
  maxCalls: i32 = 1;
  gapS: f64 = 0.1;
  durS: f64 = 0.1;
  /** Pitch range (Hz) of a call's start; `sweep`: its end over its start (a ratio). */
  loHz: f64 = 0;
  hiHz: f64 = 0;
  sweep: f64 = 1;
  /** Barks: the formant centre (Hz) and the noise share. */
  formantHz: f64 = 0;
  noise: f64 = 0;
}

class Call {
  at: i32 = 0;
  len: i32 = 0;
  amp: f64 = 0;
  gl: f64 = 0;
  gr: f64 = 0;
  f0: f64 = 0;
  f1: f64 = 0;
  trillHz: f64 = 0;
  phase: f64 = 0;
  trill: f64 = 0;
  rng: Rng = new Rng(0, 0);
  f1bp: BandPass = new BandPass(1000, 3, 48000);
  f2bp: BandPass = new BandPass(2000, 3, 48000);
  nbp: BandPass = new BandPass(2000, 1, 48000);
}

export class Calls {
  rng: Rng;
  active: Array<Call> = new Array<Call>();
  spare: Array<Call> = new Array<Call>();
  pool: Array<Call> = new Array<Call>();
  bursts: u32 = 0;

  constructor(readonly p: CallParams, readonly seed: u32, readonly sr: f64) {
    this.rng = new Rng(seed, 11);
  }

  /** Starts a burst at sample `at`: its calls are queued with their own starts. */
  burst(at: i32, pan: f64): void {
    const p = this.p;
    const rng = this.rng;
    const n = p.minCalls + <i32>Math.floor(rng.next() * <f64>(p.maxCalls - p.minCalls + 1));
    panGains(Math.max(-1, Math.min(1, pan + 0.8 * (rng.next() * 2 - 1))));
    const gl = PAN_L, gr = PAN_R;
    // One animal: a base pitch for the phrase, each call near it.
    const base = p.loHz * Math.pow(p.hiHz / p.loHz, rng.next());
    const up = rng.next() < 0.5;
    const loud = 0.5 + 0.5 * rng.next();
    let t = at;
    for (let k = 0; k < n; k++) {
      const c = this.pool.length > 0 ? this.pool.pop() : new Call();
      c.rng.reseed(this.seed, 0x20000000 + this.bursts * 16 + <u32>k);
      c.at = t;
      c.len = max(64, <i32>Math.round(p.durS * (0.6 + 0.8 * rng.next()) * this.sr));
      c.amp = p.level * loud * (0.7 + 0.3 * rng.next());
      c.gl = gl;
      c.gr = gr;
      c.f0 = Math.min(this.sr / 3, base * (0.9 + 0.2 * rng.next()));
      const sweep = p.kind == KIND_CHIRP && up ? 1 / p.sweep : p.sweep;
      c.f1 = Math.min(this.sr / 3, c.f0 * sweep * (0.9 + 0.2 * rng.next()));
      c.trillHz = 18 + 30 * rng.next();
      c.phase = 0;
      c.trill = 0;
      if (p.kind == KIND_BARK) {
        c.f1bp.tune(p.formantHz * (0.85 + 0.3 * rng.next()), 4, this.sr);
        c.f2bp.tune(p.formantHz * 2.1 * (0.85 + 0.3 * rng.next()), 5, this.sr);
        c.nbp.tune(p.formantHz * 1.6, 1.2, this.sr);
      }
      this.active.push(c);
      t += max(1, <i32>Math.round(p.gapS * (0.7 + 0.6 * rng.next()) * this.sr)) + c.len;
    }
    this.bursts++;
  }

  render(L: StaticArray<f32>, R: StaticArray<f32>, start: i32, len: i32, env: StaticArray<f32>, pan: StaticArray<f32>): void {
    const p = this.p;
    const sr = this.sr;
    const rng = this.rng;
    for (let i = 0; i < len; i++) {
      const e = Math.min(1, <f64>unchecked(env[i]));
      if (rng.next() < (p.rate + p.motionRate * e) / sr) this.burst(start + i, <f64>unchecked(pan[i]));
    }
    const end = start + len;
    const kept = this.spare;
    kept.length = 0;
    const bark = p.kind == KIND_BARK;
    for (let k = 0; k < this.active.length; k++) {
      const c = unchecked(this.active[k]);
      const a = max(start, c.at);
      const b = min(end, c.at + c.len);
      const inv = 1 / <f64>c.len;
      for (let s = a; s < b; s++) {
        const u = <f64>(s - c.at) * inv;
        let v: f64;
        if (bark) {
          // Pitch rises over the first fifth, then falls; a sharp onset and a decaying tail.
          const contour = u < 0.2 ? c.f0 * (0.85 + 0.75 * u) : c.f0 + (c.f1 - c.f0) * (u - 0.2) / 0.8;
          c.phase += contour / sr;
          c.phase -= Math.floor(c.phase);
          let src: f64 = 0;
          for (let h = 1; h <= 8; h++) src += sinCycle(c.phase * <f64>h) / <f64>h;
          const voiced = c.f1bp.process(src) * 1.6 + c.f2bp.process(src) * 1.1;
          const breath = c.nbp.process(c.rng.white()) * p.noise * 2;
          // A sharp onset, a held body that sags, a quick release: a bark is loud for most of its length.
          const envl = Math.min(1, u * 25) * (1 - 0.45 * u) * Math.min(1, (1 - u) * 8);
          v = (voiced * (1 - p.noise) + breath) * envl;
        } else {
          // Exponential sweep from f0 to f1, a trill on top, a Hann window.
          const f = c.f0 * Math.pow(c.f1 / c.f0, u) * (1 + 0.06 * sinCycle(c.trill));
          c.trill += c.trillHz / sr;
          c.phase += f / sr;
          c.phase -= Math.floor(c.phase);
          const w = 0.5 - 0.5 * sinCycle(u + 0.25);
          v = sinCycle(c.phase) * w;
        }
        v *= c.amp;
        const i = s - start;
        unchecked(L[i] = <f32>(<f64>unchecked(L[i]) + v * c.gl));
        unchecked(R[i] = <f32>(<f64>unchecked(R[i]) + v * c.gr));
      }
      if (c.at + c.len > end) kept.push(c);
      else this.pool.push(c);
    }
    this.spare = this.active;
    this.active = kept;
  }
}
