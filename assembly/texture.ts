// Motion texture: band-passed noise whose level follows how much moves, panned to where it moves,
// plus (for presets that ask) a granular layer: short enveloped grains of filtered noise whose
// density follows the motion (gravel, leaves, cloth).
import { BandPass, panGains, PAN_L, PAN_R, sinCycle } from './filters';
import { Rng } from './rng';

class Grain {
  at: i32 = 0;
  len: i32 = 0;
  amp: f64 = 0;
  gl: f64 = 0;
  gr: f64 = 0;
  bp: BandPass = new BandPass(1000, 1.5, 48000);
}

export class Texture {
  rng: Rng;
  grainRng: Rng;
  bpL: BandPass;
  bpR: BandPass;
  grains: Array<Grain> = new Array<Grain>();
  /** The other list of the pair: survivors of a block go here, so no list is allocated per block. */
  spare: Array<Grain> = new Array<Grain>();
  /** Finished grains, reused: memory stays flat however long the clip. */
  pool: Array<Grain> = new Array<Grain>();

  constructor(
    readonly level: f64, centerHz: f64, q: f64, readonly grainsOn: bool, readonly grainRate: f64,
    readonly grainLevel: f64, readonly grainHz: f64, readonly grainDur: f64, seed: u32, readonly sr: f64
  ) {
    this.rng = new Rng(seed, 2);
    this.grainRng = new Rng(seed, 5);
    this.bpL = new BandPass(centerHz, q, sr);
    this.bpR = new BandPass(centerHz * 1.07, q, sr);
  }

  render(L: StaticArray<f32>, R: StaticArray<f32>, start: i32, len: i32, env: StaticArray<f32>, pan: StaticArray<f32>): void {
    const level = this.level;
    let gl: f64 = 0;
    let gr: f64 = 0;
    // The two band-passes' state in locals for the loop (registers, not memory).
    const bpL = this.bpL, bpR = this.bpR, noise = this.rng;
    const fL = bpL.f, qL = bpL.q, fR = bpR.f, qR = bpR.q;
    let lowL = bpL.low, bandL = bpL.band, lowR = bpR.low, bandR = bpR.band;
    for (let i = 0; i < len; i++) {
      // The pan glides slowly (0.3 s): gains every 64 samples are exact enough.
      if ((i & 63) == 0) {
        panGains(<f64>unchecked(pan[i]));
        gl = PAN_L;
        gr = PAN_R;
      }
      const e = <f64>unchecked(env[i]);
      // Nothing moves (−100 dB): skip the noise.
      if (e < 1e-5) continue;
      const tex = level * e * 2;
      lowL += fL * bandL;
      bandL += fL * (noise.white() - lowL - qL * bandL);
      lowR += fR * bandR;
      bandR += fR * (noise.white() - lowR - qR * bandR);
      unchecked(L[i] = <f32>(<f64>unchecked(L[i]) + bandL * tex * gl));
      unchecked(R[i] = <f32>(<f64>unchecked(R[i]) + bandR * tex * gr));
    }
    bpL.low = lowL; bpL.band = bandL; bpR.low = lowR; bpR.band = bandR;
    if (!this.grainsOn) return;
    const sr = this.sr;
    const rng = this.grainRng;
    for (let i = 0; i < len; i++) {
      // Grain births: a Bernoulli draw per sample at a rate that follows the motion.
      const e = <f64>unchecked(env[i]);
      if (e > 0.02 && rng.next() < (this.grainRate * e) / sr) {
        panGains(<f64>unchecked(pan[i]) + 0.3 * (rng.next() * 2 - 1));
        const pl = PAN_L;
        const pr = PAN_R;
        const glen = max(48, <i32>Math.round(this.grainDur * sr * (0.5 + rng.next())));
        const amp = this.grainLevel * (0.4 + 0.6 * rng.next()) * Math.min(1, e);
        const g = this.pool.length > 0 ? this.pool.pop() : new Grain();
        g.at = start + i;
        g.len = glen;
        g.amp = amp;
        g.gl = pl;
        g.gr = pr;
        g.bp.tune(this.grainHz * (0.7 + 0.6 * rng.next()), 1.5, sr);
        this.grains.push(g);
      }
    }
    const end = start + len;
    const kept = this.spare;
    kept.length = 0;
    for (let k = 0; k < this.grains.length; k++) {
      const g = unchecked(this.grains[k]);
      const a = max(start, g.at);
      const b = min(end, g.at + g.len);
      for (let s = a; s < b; s++) {
        const j = s - g.at;
        // Hann window: every grain starts and ends at zero.
        const w = 0.5 - 0.5 * sinCycle(<f64>j / <f64>g.len + 0.25);
        const v = g.bp.process(rng.white()) * w * g.amp;
        const i = s - start;
        unchecked(L[i] = <f32>(<f64>unchecked(L[i]) + v * g.gl));
        unchecked(R[i] = <f32>(<f64>unchecked(R[i]) + v * g.gr));
      }
      if (g.at + g.len > end) kept.push(g);
      else this.pool.push(g);
    }
    this.spare = this.grains;
    this.grains = kept;
  }
}
