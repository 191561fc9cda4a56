/**
 * @module Random droplets in the bed (rain ticks, or rising "bubbles" for water): Poisson arrivals
 * drawn as exponential gaps, each drop enveloped (1 ms attack) and panned at random.
 */
import { panGains } from '../dsp/filters.js';
import type { Preset } from '../presets.js';
import { createRng, type Rng } from '../rng.js';
import { white, type Voice } from './voice.js';

interface Drop {
  at: number;
  len: number;
  amp: number;
  gl: number;
  gr: number;
  f0: number;
}

export class DropsVoice implements Voice {
  private readonly rng: Rng;
  private next: number;
  private active: Drop[] = [];

  constructor(
    private readonly p: Preset['drops'],
    seed: number,
    private readonly sr: number,
  ) {
    this.rng = createRng(seed, 3);
    this.next = this.gap();
  }

  private gap(): number {
    return Math.max(1, Math.round((-Math.log(1 - this.rng()) / this.p.rate) * this.sr));
  }

  render(L: Float32Array, R: Float32Array, start: number, len: number): void {
    if (this.p.rate <= 0) return;
    const end = start + len;
    while (this.next < end) {
      const [gl, gr] = panGains(this.rng() * 2 - 1);
      this.active.push({
        at: this.next,
        len: Math.round(this.sr * (this.p.pitched ? 0.04 : 0.008)),
        amp: this.p.level * (0.3 + 0.7 * this.rng()),
        gl,
        gr,
        f0: this.p.pitched ? 500 + 900 * this.rng() : 0,
      });
      this.next += this.gap();
    }
    const sr = this.sr;
    this.active = this.active.filter((d) => {
      const a = Math.max(start, d.at);
      const b = Math.min(end, d.at + d.len);
      // Noise per drop from a stream keyed by its start sample, so block edges change nothing.
      const noise = this.p.pitched ? null : createRng(d.at, 7);
      if (noise) for (let s = d.at; s < a; s++) noise();
      for (let s = a; s < b; s++) {
        const j = s - d.at;
        const t = j / sr;
        const env = Math.min(1, j / 48) * Math.exp(-t / (this.p.pitched ? 0.012 : 0.002)) * Math.min(1, (d.len - j) / 48);
        // Bubbles: a sine whose pitch rises; drops: a tick of noise.
        const v = noise ? white(noise) : Math.sin(2 * Math.PI * d.f0 * t * (1 + 12 * t));
        L[s - start] = (L[s - start] as number) + v * env * d.amp * d.gl;
        R[s - start] = (R[s - start] as number) + v * env * d.amp * d.gr;
      }
      return d.at + d.len > end;
    });
  }
}
