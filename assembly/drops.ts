// Random droplets in the bed (rain ticks, or rising "bubbles" for water): Poisson arrivals drawn as
// exponential gaps, each drop enveloped (1 ms attack) and panned at random.
import { panGains, PAN_L, PAN_R, sinCycle } from './filters';
import { Rng } from './rng';

class Drop {
  at: i32 = 0;
  len: i32 = 0;
  amp: f64 = 0;
  gl: f64 = 0;
  gr: f64 = 0;
  f0: f64 = 0;
  /** Noise of a tick, keyed by its start sample (pitched drops make none). */
  noise: Rng = new Rng(0, 7);

  set(at: i32, len: i32, amp: f64, gl: f64, gr: f64, f0: f64, pitched: bool): Drop {
    this.at = at;
    this.len = len;
    this.amp = amp;
    this.gl = gl;
    this.gr = gr;
    this.f0 = f0;
    if (!pitched) this.noise.reseed(<u32>at, 7);
    return this;
  }
}

export class Drops {
  rng: Rng;
  next: i32;
  active: Array<Drop> = new Array<Drop>();
  /** The other list of the pair: survivors of a block go here, so no list is allocated per block. */
  spare: Array<Drop> = new Array<Drop>();
  /** Finished drops, reused: memory stays flat however long the rain. */
  pool: Array<Drop> = new Array<Drop>();

  constructor(readonly rate: f64, readonly level: f64, readonly pitched: bool, seed: u32, readonly sr: f64) {
    this.rng = new Rng(seed, 3);
    this.next = rate > 0 ? this.gap() : 0;
  }

  gap(): i32 {
    return max(1, <i32>Math.round((-Math.log(1 - this.rng.next()) / this.rate) * this.sr));
  }

  render(L: StaticArray<f32>, R: StaticArray<f32>, start: i32, len: i32): void {
    if (this.rate <= 0) return;
    const end = start + len;
    while (this.next < end) {
      panGains(this.rng.next() * 2 - 1);
      const gl = PAN_L;
      const gr = PAN_R;
      const dropLen = <i32>Math.round(this.sr * (this.pitched ? 0.04 : 0.008));
      const amp = this.level * (0.3 + 0.7 * this.rng.next());
      const f0 = this.pitched ? 500 + 900 * this.rng.next() : 0;
      const drop = this.pool.length > 0 ? this.pool.pop() : new Drop();
      this.active.push(drop.set(this.next, dropLen, amp, gl, gr, f0, this.pitched));
      this.next += this.gap();
    }
    const sr = this.sr;
    const decay = this.pitched ? 0.012 : 0.002;
    const kept = this.spare;
    kept.length = 0;
    for (let k = 0; k < this.active.length; k++) {
      const d = unchecked(this.active[k]);
      const a = max(start, d.at);
      const b = min(end, d.at + d.len);
      const noise = d.noise;
      const pitched = this.pitched;
      for (let s = a; s < b; s++) {
        const j = s - d.at;
        const t = <f64>j / sr;
        const env = Math.min(1, <f64>j / 48) * Math.exp(-t / decay) * Math.min(1, <f64>(d.len - j) / 48);
        const v = pitched ? sinCycle(d.f0 * t * (1 + 12 * t)) : noise.white();
        const i = s - start;
        unchecked(L[i] = <f32>(<f64>unchecked(L[i]) + v * env * d.amp * d.gl));
        unchecked(R[i] = <f32>(<f64>unchecked(R[i]) + v * env * d.amp * d.gr));
      }
      if (d.at + d.len > end) kept.push(d);
      else this.pool.push(d);
    }
    this.spare = this.active;
    this.active = kept;
  }
}
