/**
 * @module Motion texture: band-passed noise whose level follows how much moves, panned to where it
 * moves, plus (for presets that ask) a granular layer: short enveloped grains of filtered noise
 * whose density follows the motion (gravel, leaves, cloth).
 */
import { BandPass, panGains } from '../dsp/filters.js';
import type { Preset } from '../presets.js';
import { createRng, type Rng } from '../rng.js';
import { white } from './voice.js';

interface Grain {
  at: number;
  len: number;
  amp: number;
  gl: number;
  gr: number;
  bp: BandPass;
}

export class TextureVoice {
  private readonly rng: Rng;
  private readonly grainRng: Rng;
  private readonly bpL: BandPass;
  private readonly bpR: BandPass;
  private grains: Grain[] = [];

  constructor(
    private readonly p: Preset['texture'],
    seed: number,
    private readonly sr: number,
  ) {
    this.rng = createRng(seed, 2);
    this.grainRng = createRng(seed, 5);
    this.bpL = new BandPass(p.centerHz, p.q, sr);
    this.bpR = new BandPass(p.centerHz * 1.07, p.q, sr);
  }

  /** `env` and `pan` are the block's motion envelope and centre (MotionFollower). */
  render(L: Float32Array, R: Float32Array, start: number, len: number, env: Float32Array, pan: Float32Array): void {
    const { level } = this.p;
    // The pan glides slowly (0.3 s): gains recomputed every 64 samples are exact enough, and the
    // trigonometry would otherwise dominate this loop.
    let gl = 0;
    let gr = 0;
    for (let i = 0; i < len; i++) {
      if ((i & 63) === 0) [gl, gr] = panGains(pan[i] as number);
      // Nothing moves (−100 dB): skip the noise, which is most of a still video's cost.
      if ((env[i] as number) < 1e-5) continue;
      const tex = level * (env[i] as number) * 2;
      L[i] = (L[i] as number) + this.bpL.process(white(this.rng)) * tex * gl;
      R[i] = (R[i] as number) + this.bpR.process(white(this.rng)) * tex * gr;
    }
    const g = this.p.grains;
    if (!g) return;
    const sr = this.sr;
    for (let i = 0; i < len; i++) {
      // Grain births: a Bernoulli draw per sample at rate ∝ motion level.
      const e = env[i] as number;
      if (e > 0.02 && this.grainRng() < (g.rate * e) / sr) {
        const [gl, gr] = panGains((pan[i] as number) + 0.3 * (this.grainRng() * 2 - 1));
        this.grains.push({
          at: start + i,
          len: Math.max(48, Math.round(g.durS * sr * (0.5 + this.grainRng()))),
          amp: g.level * (0.4 + 0.6 * this.grainRng()) * Math.min(1, e),
          gl,
          gr,
          bp: new BandPass(g.hz * (0.7 + 0.6 * this.grainRng()), 1.5, sr),
        });
      }
    }
    const end = start + len;
    this.grains = this.grains.filter((gr) => {
      const a = Math.max(start, gr.at);
      const b = Math.min(end, gr.at + gr.len);
      for (let s = a; s < b; s++) {
        const j = s - gr.at;
        // Hann window: every grain starts and ends at zero.
        const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * j) / gr.len);
        const v = gr.bp.process(white(this.grainRng)) * w * gr.amp;
        L[s - start] = (L[s - start] as number) + v * gr.gl;
        R[s - start] = (R[s - start] as number) + v * gr.gr;
      }
      return gr.at + gr.len > end;
    });
  }
}
