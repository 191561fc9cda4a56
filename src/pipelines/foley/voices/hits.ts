/**
 * @module One sound per onset: a pitched body "thump" whose pitch falls after the strike, a burst
 * of band-passed noise and (for hard materials) a few inharmonic resonant modes. Every hit starts
 * on its onset's sample with a 1 ms attack ramp and ends with a 5 ms fade, so nothing clicks; it
 * is placed in the stereo field where the motion was, and steps of a cadence alternate feet.
 */
import { BandPass, panGains } from '../dsp/filters.js';
import type { Onset } from '../analysis.js';
import type { Preset } from '../presets.js';
import { createRng, type Rng } from '../rng.js';
import { white, type Voice } from './voice.js';

interface Mode {
  /** Recursive oscillator state: y[n] = c·y[n−1] − y[n−2]. */
  c: number;
  y1: number;
  y2: number;
  decay: number;
  env: number;
}

class Hit {
  readonly end: number;
  private j = 0;
  private phase = 0;
  private glide = 0.6;
  private body: number;
  private noise: number;
  private readonly glideDecay: number;
  private readonly bodyDecay: number;
  private readonly noiseDecay: number;
  private readonly bp: BandPass;
  private readonly modes: Mode[];
  private readonly attack: number;
  private readonly fade: number;

  constructor(
    readonly start: number,
    private readonly len: number,
    private readonly amp: number,
    private readonly f0: number,
    private readonly gl: number,
    private readonly gr: number,
    private readonly mix: number,
    private readonly modeLevel: number,
    private readonly rng: Rng,
    h: Preset['hit'],
    sr: number,
  ) {
    this.end = start + len;
    this.body = 1;
    this.noise = 1;
    this.glideDecay = Math.exp(-1 / (0.012 * sr));
    this.bodyDecay = Math.exp(-1 / (h.thumpDecayS * (0.8 + 0.4 * rng()) * sr));
    this.noiseDecay = Math.exp(-1 / (h.noiseDecayS * (0.8 + 0.4 * rng()) * sr));
    this.bp = new BandPass(h.noiseHz * (0.8 + 0.4 * rng()), h.noiseQ, sr);
    this.modes = (h.modes?.ratios ?? []).map((ratio, i) => {
      const w = (2 * Math.PI * Math.min(sr / 3, f0 * ratio * (0.98 + 0.04 * rng()))) / sr;
      // Start at sin(0) = 0 so the mode needs no ramp of its own.
      return { c: 2 * Math.cos(w), y1: 0, y2: -Math.sin(w), decay: Math.exp(-1 / (((h.modes?.decayS ?? 0.3) / (1 + 0.5 * i)) * sr)), env: 1 };
    });
    this.attack = Math.round(sr * 0.001);
    this.fade = Math.round(sr * 0.005);
  }

  /** Adds samples [from, to) (absolute) into the block that starts at `blockStart`. */
  render(L: Float32Array, R: Float32Array, blockStart: number, from: number, to: number, sr: number): void {
    const twoPi = 2 * Math.PI;
    for (let s = from; s < to; s++) {
      const j = this.j++;
      this.phase += (this.f0 * (1 + this.glide)) / sr;
      if (this.phase >= 1) this.phase -= 1;
      this.glide *= this.glideDecay;
      const body = Math.sin(twoPi * this.phase) * this.body;
      const noise = this.bp.process(white(this.rng)) * 2.2 * this.noise;
      this.body *= this.bodyDecay;
      this.noise *= this.noiseDecay;
      let modes = 0;
      for (const m of this.modes) {
        const y = m.c * m.y1 - m.y2;
        m.y2 = m.y1;
        m.y1 = y;
        modes += y * m.env;
        m.env *= m.decay;
      }
      const ramp = j < this.attack ? j / this.attack : 1;
      const fade = this.len - j < this.fade ? (this.len - j) / this.fade : 1;
      const v = (body * (1 - this.mix) + noise * this.mix + modes * this.modeLevel) * this.amp * ramp * fade;
      const i = s - blockStart;
      L[i] = (L[i] as number) + v * this.gl;
      R[i] = (R[i] as number) + v * this.gr;
    }
  }
}

export class HitsVoice implements Voice {
  /** Sample where each onset's hit starts, in onset order (diagnostics, tests). */
  readonly starts: number[];
  private next = 0;
  private active: Hit[] = [];
  private readonly tail: number;

  constructor(
    private readonly onsets: readonly Onset[],
    private readonly p: Preset['hit'],
    private readonly seed: number,
    private readonly sr: number,
    private readonly length: number,
  ) {
    this.starts = onsets.map((o) => Math.round(o.time * sr)).filter((s) => s < length);
    this.tail = Math.max(p.thumpDecayS, p.noiseDecayS, p.modes ? p.modes.decayS : 0) * 7;
  }

  private open(k: number): Hit {
    const onset = this.onsets[k] as Onset;
    const h = this.p;
    const rng = createRng(this.seed, 1000 + k);
    const start = Math.round(onset.time * this.sr);
    // Steps of a cadence alternate feet: a touch of pan and pitch either way.
    const foot = h.alternate && onset.step >= 0 ? (onset.step % 2 === 0 ? -1 : 1) : 0;
    const amp = h.level * (0.3 + 0.7 * onset.strength) * (0.85 + 0.3 * rng());
    // Low on screen (the ground) is heavier: up to a fifth lower.
    const f0 = h.thumpHz * (0.85 + 0.3 * rng()) * (1 + 0.06 * foot) * (1 - 0.1 * Math.max(-1, Math.min(1, onset.y)));
    const [gl, gr] = panGains(onset.pan * 0.8 + 0.15 * foot);
    const len = Math.min(this.length - start, Math.round(this.sr * this.tail));
    return new Hit(start, len, amp, f0, gl, gr, h.noiseMix, h.modes?.level ?? 0, rng, h, this.sr);
  }

  render(L: Float32Array, R: Float32Array, start: number, len: number): void {
    const end = start + len;
    while (this.next < this.onsets.length) {
      const at = Math.round((this.onsets[this.next] as Onset).time * this.sr);
      if (at >= end || at >= this.length) break;
      this.active.push(this.open(this.next));
      this.next++;
    }
    this.active = this.active.filter((hit) => {
      const a = Math.max(start, hit.start);
      const b = Math.min(end, hit.end);
      if (b > a) hit.render(L, R, start, a, b, this.sr);
      return hit.end > end;
    });
  }
}
