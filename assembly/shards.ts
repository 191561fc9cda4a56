// Glass shards: after each hit, a scatter of small bright fragments tinkling down. Each onset
// sends a number of fragments that grows with its strength; a fragment is a pair of inharmonic
// partials (2.5–9 kHz, the second 2.4× the first) that ring for tens of milliseconds, starting at
// random over the following half second, fewer and fainter the later. Every onset has its own
// random stream. Into the events stem, around the hit's pan.
import { panGains, PAN_L, PAN_R, sinCycle } from './filters';
import { Rng } from './rng';

class Shard {
  at: i32 = 0;
  len: i32 = 0;
  amp: f64 = 0;
  decay: f64 = 0;
  f: f64 = 0;
  gl: f64 = 0;
  gr: f64 = 0;
}

export class Shards {
  next: i32 = 0;
  rng: Rng = new Rng(0, 0);
  active: Array<Shard> = new Array<Shard>();
  spare: Array<Shard> = new Array<Shard>();
  pool: Array<Shard> = new Array<Shard>();

  /** `onsets`: time (s), strength, pan, y, step: 5 numbers an onset. */
  constructor(
    readonly onsets: StaticArray<f64>, readonly count: i32, readonly perHit: f64, readonly level: f64,
    readonly spreadS: f64, readonly seed: u32, readonly sr: f64, readonly length: i32
  ) {}

  spawn(k: i32): void {
    const o = 5 * k;
    const at0 = <i32>Math.round(this.onsets[o] * this.sr);
    const strength = this.onsets[o + 1];
    const rng = this.rng;
    rng.reseed(this.seed, 0x40000000 + <u32>k);
    const n = <i32>Math.round(this.perHit * (0.3 + 0.7 * strength));
    for (let j = 0; j < n; j++) {
      const u = rng.next();
      // Early fragments are many and loud; the delay's law is skewed to the start.
      const delay = this.spreadS * u * Math.sqrt(u);
      const s = this.pool.length > 0 ? this.pool.pop() : new Shard();
      s.at = at0 + <i32>Math.round(delay * this.sr);
      const ring = 0.015 + 0.06 * rng.next();
      s.len = <i32>Math.round(ring * 5 * this.sr);
      s.decay = Math.exp(-1 / (ring * this.sr));
      s.f = Math.min(this.sr / 2.6 / 2.4, 2500 + 6500 * rng.next());
      s.amp = this.level * (1 - 0.7 * u) * (0.3 + 0.7 * rng.next());
      panGains(Math.max(-1, Math.min(1, this.onsets[o + 2] * 0.8 + 0.7 * (rng.next() * 2 - 1))));
      s.gl = PAN_L;
      s.gr = PAN_R;
      if (s.at < this.length) this.active.push(s);
      else this.pool.push(s);
    }
  }

  render(L: StaticArray<f32>, R: StaticArray<f32>, start: i32, len: i32): void {
    const end = start + len;
    while (this.next < this.count) {
      const at = <i32>Math.round(this.onsets[5 * this.next] * this.sr);
      if (at >= end || at >= this.length) break;
      this.spawn(this.next);
      this.next++;
    }
    const sr = this.sr;
    const kept = this.spare;
    kept.length = 0;
    for (let k = 0; k < this.active.length; k++) {
      const s = unchecked(this.active[k]);
      const a = max(start, s.at);
      const b = min(min(end, s.at + s.len), this.length);
      for (let n = a; n < b; n++) {
        const j = n - s.at;
        const t = <f64>j / sr;
        const ramp = Math.min(1, <f64>j / 24) * Math.min(1, <f64>(s.len - j) / 48);
        const v = (sinCycle(s.f * t) + 0.6 * sinCycle(s.f * 2.4 * t)) * Math.pow(s.decay, <f64>j) * ramp * s.amp;
        const i = n - start;
        unchecked(L[i] = <f32>(<f64>unchecked(L[i]) + v * s.gl));
        unchecked(R[i] = <f32>(<f64>unchecked(R[i]) + v * s.gr));
      }
      if (s.at + s.len > end) kept.push(s);
      else this.pool.push(s);
    }
    this.spare = this.active;
    this.active = kept;
  }
}
