/**
 * @module The ambience bed: stereo filtered noise with slow gusts, one layer per scene whose colour
 * comes from the scene's picture (a dark shot sounds darker and quieter, a blue shot thinner), and
 * an equal-power crossfade of the layers across each cut. Every layer has its own random stream.
 */
import { onePoleCoef } from '../dsp/filters.js';
import type { Scene } from '../scenes.js';
import type { Preset } from '../presets.js';
import { createRng, type Rng } from '../rng.js';
import { white, type Voice } from './voice.js';

/** Crossfade length across a cut (s), centred on it. */
export const CUT_CROSSFADE_S = 0.3;

/** How a scene's picture colours its bed: cutoff and level multipliers (pure, documented). */
export function sceneColour(s: Pick<Scene, 'brightness' | 'cb' | 'cr'>): { cutoff: number; highpass: number; level: number } {
  const b = Math.max(0, Math.min(1, s.brightness));
  return {
    cutoff: 0.6 + 0.8 * b,
    // Blue (Cb > 0) thins the bed out; warm (Cr > 0) keeps the low end.
    highpass: Math.max(0.5, 1 + 3 * s.cb - 1.5 * s.cr),
    level: 0.75 + 0.5 * b,
  };
}

interface Layer {
  from: number;
  to: number;
  fadeIn: number;
  fadeOut: number;
  rng: Rng;
  gustRng: Rng;
  lp: number;
  hp: number;
  level: number;
  gust: number;
  gustTarget: number;
  lpL: number;
  lpR: number;
  hpL: number;
  hpR: number;
}

export class BedVoice implements Voice {
  private readonly layers: Array<Layer | null>;
  private readonly specs: Array<{ from: number; to: number; fadeIn: number; fadeOut: number; colour: ReturnType<typeof sceneColour> }>;
  private readonly gustEvery: number;
  private readonly gustStep: number;

  constructor(
    private readonly p: Preset['bed'],
    scenes: readonly Scene[],
    private readonly seed: number,
    private readonly sr: number,
    length: number,
  ) {
    const xf = Math.round((CUT_CROSSFADE_S * sr) / 2);
    const list = scenes.length > 0 ? scenes : [{ start: 0, end: length / sr, brightness: 0.5, cb: 0, cr: 0, motion: 0 }];
    this.specs = list.map((s, i) => {
      const first = i === 0;
      const last = i === list.length - 1;
      const start = Math.round(s.start * sr);
      const end = Math.round(s.end * sr);
      return {
        from: first ? 0 : start - xf,
        to: last ? length : end + xf,
        fadeIn: first ? 0 : 2 * xf,
        fadeOut: last ? 0 : 2 * xf,
        colour: sceneColour(s),
      };
    });
    this.layers = this.specs.map(() => null);
    this.gustEvery = Math.round(sr * 0.5);
    this.gustStep = 1 - Math.exp(-1 / (sr * 1.0));
  }

  private open(i: number): Layer {
    const s = this.specs[i] as (typeof this.specs)[number];
    const gustRng = createRng(this.seed, 100 + 2 * i + 1);
    const gust = 0.3 + 0.7 * gustRng();
    return {
      from: s.from,
      to: s.to,
      fadeIn: s.fadeIn,
      fadeOut: s.fadeOut,
      rng: createRng(this.seed, 100 + 2 * i),
      gustRng,
      lp: onePoleCoef(this.p.lowpassHz * s.colour.cutoff, this.sr),
      hp: onePoleCoef(this.p.highpassHz * s.colour.highpass, this.sr),
      level: this.p.level * s.colour.level * 2.5,
      gust,
      gustTarget: gust,
      lpL: 0,
      lpR: 0,
      hpL: 0,
      hpR: 0,
    };
  }

  render(L: Float32Array, R: Float32Array, start: number, len: number): void {
    const end = start + len;
    for (let i = 0; i < this.specs.length; i++) {
      const spec = this.specs[i] as (typeof this.specs)[number];
      if (spec.to <= start || spec.from >= end) {
        if (spec.to <= start) this.layers[i] = null;
        continue;
      }
      const layer = (this.layers[i] ??= this.open(i));
      this.renderLayer(layer, L, R, start, len);
    }
  }

  private renderLayer(ly: Layer, L: Float32Array, R: Float32Array, start: number, len: number): void {
    const { gust: gustDepth } = this.p;
    const a = Math.max(start, ly.from);
    const b = Math.min(start + len, ly.to);
    for (let s = a; s < b; s++) {
      if ((s - ly.from) % this.gustEvery === 0) ly.gustTarget = 0.3 + 0.7 * ly.gustRng();
      ly.gust += this.gustStep * (ly.gustTarget - ly.gust);
      let fade = 1;
      if (ly.fadeIn > 0 && s - ly.from < ly.fadeIn) fade = Math.sin(((s - ly.from) / ly.fadeIn) * (Math.PI / 2));
      if (ly.fadeOut > 0 && ly.to - s < ly.fadeOut) fade *= Math.sin(((ly.to - s) / ly.fadeOut) * (Math.PI / 2));
      const level = ly.level * (1 - gustDepth + gustDepth * ly.gust * 1.4) * fade;
      ly.lpL += ly.lp * (white(ly.rng) - ly.lpL);
      ly.lpR += ly.lp * (white(ly.rng) - ly.lpR);
      ly.hpL += ly.hp * (ly.lpL - ly.hpL);
      ly.hpR += ly.hp * (ly.lpR - ly.hpR);
      const i = s - start;
      L[i] = (L[i] as number) + (ly.lpL - ly.hpL) * level;
      R[i] = (R[i] as number) + (ly.lpR - ly.hpR) * level;
    }
  }
}
