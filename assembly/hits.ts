// One sound per onset: a pitched body "thump" whose pitch falls after the strike, a burst of
// band-passed noise and (for hard materials) a few inharmonic resonant modes. Every hit starts on
// its onset's sample with a 1 ms attack ramp and ends with a 5 ms fade, so nothing clicks; it is
// placed in the stereo field where the motion was, and steps of a cadence alternate feet.
// An onset may ask for a second voice (`alt`: the impact preset's hit, for a hand seen stopping on
// something): it is drawn from the same random stream, so it sounds as that preset would play it.
import { BandPass, panGains, PAN_L, PAN_R, sinCycle } from './filters';
import { MAX_MODES } from './preset';
import { Rng } from './rng';

export class HitParams {
  level: f64 = 0;
  thumpHz: f64 = 0;
  thumpDecayS: f64 = 0;
  noiseHz: f64 = 0;
  noiseQ: f64 = 0;
  noiseDecayS: f64 = 0;
  mix: f64 = 0;
  modesLevel: f64 = 0;
  modesDecayS: f64 = 0;
  alternate: bool = false;
  /** Attack ramp (s): 1 ms for a strike, longer for a soft swish (cloth). */
  attackS: f64 = 0.001;
  modeCount: i32 = 0;
  ratios: StaticArray<f64> = new StaticArray<f64>(MAX_MODES);
}

class Hit {
  start: i32 = 0;
  len: i32 = 0;
  end: i32 = 0;
  amp: f64 = 0;
  f0: f64 = 0;
  gl: f64 = 0;
  gr: f64 = 0;
  j: i32 = 0;
  phase: f64 = 0;
  glide: f64 = 0.6;
  body: f64 = 1;
  noise: f64 = 1;
  glideDecay: f64 = 0;
  bodyDecay: f64 = 0;
  noiseDecay: f64 = 0;
  attack: i32 = 0;
  fade: i32 = 0;
  rng: Rng = new Rng(0, 0);
  bp: BandPass = new BandPass(1000, 1, 48000);
  modeC: StaticArray<f64>;
  modeY1: StaticArray<f64>;
  modeY2: StaticArray<f64>;
  modeDecay: StaticArray<f64>;
  modeEnv: StaticArray<f64>;

  constructor(readonly h: HitParams) {
    const n = h.modeCount;
    this.modeC = new StaticArray<f64>(n);
    this.modeY1 = new StaticArray<f64>(n);
    this.modeY2 = new StaticArray<f64>(n);
    this.modeDecay = new StaticArray<f64>(n);
    this.modeEnv = new StaticArray<f64>(n);
  }

  /**
   * (Re)starts this hit for onset `k`: draws its parameters from the onset's own random stream,
   * which then goes on as the hit's noise. A finished hit is recycled this way.
   */
  init(seed: u32, k: i32, start: i32, len: i32, strength: f64, pan: f64, y: f64, step: f64, sr: f64): Hit {
    const h = this.h;
    const rng = this.rng;
    rng.reseed(seed, 1000 + k);
    // Steps of a cadence alternate feet: a touch of pan and pitch either way.
    const foot: f64 = h.alternate && step >= 0 ? (<i32>step % 2 == 0 ? -1 : 1) : 0;
    this.amp = h.level * (0.3 + 0.7 * strength) * (0.85 + 0.3 * rng.next());
    // Low on screen (the ground) is heavier: up to a fifth lower.
    const f0 = h.thumpHz * (0.85 + 0.3 * rng.next()) * (1 + 0.06 * foot) * (1 - 0.1 * Math.max(-1, Math.min(1, y)));
    panGains(pan * 0.8 + 0.15 * foot);
    this.gl = PAN_L;
    this.gr = PAN_R;
    this.start = start;
    this.len = len;
    this.end = start + len;
    this.f0 = f0;
    this.j = 0;
    this.phase = 0;
    this.glide = 0.6;
    this.body = 1;
    this.noise = 1;
    this.glideDecay = Math.exp(-1 / (0.012 * sr));
    this.bodyDecay = Math.exp(-1 / (h.thumpDecayS * (0.8 + 0.4 * rng.next()) * sr));
    this.noiseDecay = Math.exp(-1 / (h.noiseDecayS * (0.8 + 0.4 * rng.next()) * sr));
    this.bp.tune(h.noiseHz * (0.8 + 0.4 * rng.next()), h.noiseQ, sr);
    for (let i = 0; i < h.modeCount; i++) {
      const w = (2 * Math.PI * Math.min(sr / 3, f0 * h.ratios[i] * (0.98 + 0.04 * rng.next()))) / sr;
      // Start at sin(0) = 0 so the mode needs no ramp of its own.
      this.modeC[i] = 2 * Math.cos(w);
      this.modeY1[i] = 0;
      this.modeY2[i] = -Math.sin(w);
      this.modeDecay[i] = Math.exp(-1 / ((h.modesDecayS / (1 + 0.5 * <f64>i)) * sr));
      this.modeEnv[i] = 1;
    }
    this.attack = <i32>Math.round(sr * h.attackS);
    this.fade = <i32>Math.round(sr * 0.005);
    return this;
  }

  /** Adds samples [from, to) (absolute) into the block that starts at `blockStart`. */
  render(L: StaticArray<f32>, R: StaticArray<f32>, blockStart: i32, from: i32, to: i32, sr: f64): void {
    const mix = this.h.mix;
    const modeLevel = this.h.modesLevel;
    const n = this.h.modeCount;
    for (let s = from; s < to; s++) {
      const j = this.j++;
      this.phase += (this.f0 * (1 + this.glide)) / sr;
      if (this.phase >= 1) this.phase -= 1;
      this.glide *= this.glideDecay;
      const body = sinCycle(this.phase) * this.body;
      const noise = this.bp.process(this.rng.white()) * 2.2 * this.noise;
      this.body *= this.bodyDecay;
      this.noise *= this.noiseDecay;
      let modes: f64 = 0;
      for (let k = 0; k < n; k++) {
        const y = unchecked(this.modeC[k]) * unchecked(this.modeY1[k]) - unchecked(this.modeY2[k]);
        unchecked(this.modeY2[k] = unchecked(this.modeY1[k]));
        unchecked(this.modeY1[k] = y);
        modes += y * unchecked(this.modeEnv[k]);
        unchecked(this.modeEnv[k] = unchecked(this.modeEnv[k]) * unchecked(this.modeDecay[k]));
      }
      const ramp = j < this.attack ? <f64>j / <f64>this.attack : 1;
      const fade = this.len - j < this.fade ? <f64>(this.len - j) / <f64>this.fade : 1;
      const v = (body * (1 - mix) + noise * mix + modes * modeLevel) * this.amp * ramp * fade;
      const i = s - blockStart;
      unchecked(L[i] = <f32>(<f64>unchecked(L[i]) + v * this.gl));
      unchecked(R[i] = <f32>(<f64>unchecked(R[i]) + v * this.gr));
    }
  }
}

/** How long a hit of these parameters sounds (s): its longest decay, 7 time constants. */
function tailOf(p: HitParams): f64 {
  return Math.max(Math.max(p.thumpDecayS, p.noiseDecayS), p.modeCount > 0 ? p.modesDecayS : 0) * 7;
}

export class Hits {
  next: i32 = 0;
  active: Array<Hit> = new Array<Hit>();
  /** The other list of the pair: survivors of a block go here, so no list is allocated per block. */
  spare: Array<Hit> = new Array<Hit>();
  /** Finished hits, reused: memory stays flat however many onsets. One pool a voice (their mode arrays differ). */
  pool: Array<Hit> = new Array<Hit>();
  altPool: Array<Hit> = new Array<Hit>();
  tail: f64;
  altTail: f64 = 0;
  /** The second voice and which onsets use it (one number an onset, nonzero: `alt`); null: none. */
  alt: HitParams | null = null;
  voices: StaticArray<f64> | null = null;

  /** `onsets`: time (s), strength, pan, y, step: 5 numbers an onset. */
  constructor(
    readonly onsets: StaticArray<f64>, readonly count: i32, readonly p: HitParams,
    readonly seed: u32, readonly sr: f64, readonly length: i32
  ) {
    this.tail = tailOf(p);
  }

  /** Onsets whose `voices` entry is nonzero play `alt` instead of the preset's hit. */
  setAlt(alt: HitParams, voices: StaticArray<f64>): void {
    this.alt = alt;
    this.voices = voices;
    this.altTail = tailOf(alt);
  }

  open(k: i32): Hit {
    const o = 5 * k;
    const start = <i32>Math.round(this.onsets[o] * this.sr);
    const useAlt = this.voices != null && this.voices![k] != 0;
    const len = min(this.length - start, <i32>Math.round(this.sr * (useAlt ? this.altTail : this.tail)));
    const pool = useAlt ? this.altPool : this.pool;
    const hit = pool.length > 0 ? pool.pop() : new Hit(useAlt ? this.alt! : this.p);
    return hit.init(this.seed, k, start, len, this.onsets[o + 1], this.onsets[o + 2], this.onsets[o + 3], this.onsets[o + 4], this.sr);
  }

  render(L: StaticArray<f32>, R: StaticArray<f32>, start: i32, len: i32): void {
    const end = start + len;
    while (this.next < this.count) {
      const at = <i32>Math.round(this.onsets[5 * this.next] * this.sr);
      if (at >= end || at >= this.length) break;
      this.active.push(this.open(this.next));
      this.next++;
    }
    const kept = this.spare;
    kept.length = 0;
    for (let k = 0; k < this.active.length; k++) {
      const hit = unchecked(this.active[k]);
      const a = max(start, hit.start);
      const b = min(end, hit.end);
      if (b > a) hit.render(L, R, start, a, b, this.sr);
      if (hit.end > end) kept.push(hit);
      else if (hit.h == this.p) this.pool.push(hit);
      else this.altPool.push(hit);
    }
    this.spare = this.active;
    this.active = kept;
  }
}
