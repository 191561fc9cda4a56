// The ambience bed: stereo filtered noise with slow gusts, one layer per scene whose colour comes
// from the scene's picture (the host's sceneColour: a dark shot sounds darker and quieter, a blue
// shot thinner), and an equal-power crossfade of the layers across each cut. Every layer has its
// own random stream.
import { onePoleCoef } from './filters';
import { Rng } from './rng';

/** Crossfade across a cut (s), centred on it. */
const CUT_CROSSFADE_S: f64 = 0.3;

class Layer {
  rng: Rng;
  gustRng: Rng;
  gust: f64;
  gustTarget: f64;
  lpL: f64 = 0;
  lpR: f64 = 0;
  hpL: f64 = 0;
  hpR: f64 = 0;
  constructor(
    seed: u32, i: i32, readonly from: i32, readonly to: i32, readonly fadeIn: i32, readonly fadeOut: i32,
    readonly lp: f64, readonly hp: f64, readonly level: f64
  ) {
    const gustRng = new Rng(seed, 100 + 2 * i + 1);
    const gust = 0.3 + 0.7 * gustRng.next();
    this.rng = new Rng(seed, 100 + 2 * i);
    this.gustRng = gustRng;
    this.gust = gust;
    this.gustTarget = gust;
  }
}

export class Bed {
  from: StaticArray<i32>;
  to: StaticArray<i32>;
  fadeIn: StaticArray<i32>;
  fadeOut: StaticArray<i32>;
  layers: Array<Layer | null>;
  gustEvery: i32;
  gustStep: f64;

  /** `scenes`: start, end (s), cutoff, high-pass and level multipliers, 5 numbers a scene (at least one). */
  constructor(
    readonly level: f64, readonly lowpassHz: f64, readonly highpassHz: f64, readonly gustDepth: f64,
    readonly scenes: StaticArray<f64>, readonly count: i32, readonly seed: u32, readonly sr: f64, length: i32
  ) {
    const xf = <i32>Math.round((CUT_CROSSFADE_S * sr) / 2);
    this.from = new StaticArray<i32>(count);
    this.to = new StaticArray<i32>(count);
    this.fadeIn = new StaticArray<i32>(count);
    this.fadeOut = new StaticArray<i32>(count);
    this.layers = new Array<Layer | null>(count);
    for (let i = 0; i < count; i++) {
      const first = i == 0;
      const last = i == count - 1;
      const start = <i32>Math.round(scenes[5 * i] * sr);
      const end = <i32>Math.round(scenes[5 * i + 1] * sr);
      this.from[i] = first ? 0 : start - xf;
      this.to[i] = last ? length : end + xf;
      this.fadeIn[i] = first ? 0 : 2 * xf;
      this.fadeOut[i] = last ? 0 : 2 * xf;
      this.layers[i] = null;
    }
    this.gustEvery = <i32>Math.round(sr * 0.5);
    this.gustStep = 1 - Math.exp(-1 / (sr * 1.0));
  }

  render(L: StaticArray<f32>, R: StaticArray<f32>, start: i32, len: i32): void {
    const end = start + len;
    for (let i = 0; i < this.count; i++) {
      if (this.to[i] <= start || this.from[i] >= end) {
        if (this.to[i] <= start) this.layers[i] = null;
        continue;
      }
      let layer = this.layers[i];
      if (layer === null) {
        const s = 5 * i;
        layer = new Layer(
          this.seed, i, this.from[i], this.to[i], this.fadeIn[i], this.fadeOut[i],
          onePoleCoef(this.lowpassHz * this.scenes[s + 2], this.sr),
          onePoleCoef(this.highpassHz * this.scenes[s + 3], this.sr),
          this.level * this.scenes[s + 4] * 2.5
        );
        this.layers[i] = layer;
      }
      this.renderLayer(layer, L, R, start, len);
    }
  }

  renderLayer(ly: Layer, L: StaticArray<f32>, R: StaticArray<f32>, start: i32, len: i32): void {
    const depth = this.gustDepth;
    const a = max(start, ly.from);
    const b = min(start + len, ly.to);
    const halfPi = Math.PI / 2;
    const gustEvery = this.gustEvery, gustStep = this.gustStep;
    const from = ly.from, to = ly.to, fadeIn = ly.fadeIn, fadeOut = ly.fadeOut, lp = ly.lp, hp = ly.hp, base = ly.level;
    const rng = ly.rng;
    // Filter and gust state in locals for the loop (registers, not memory).
    let gust = ly.gust, gustTarget = ly.gustTarget, lpL = ly.lpL, lpR = ly.lpR, hpL = ly.hpL, hpR = ly.hpR;
    // Samples until the next gust target (a new one every gustEvery samples from the layer's start).
    let untilGust = (gustEvery - ((a - from) % gustEvery)) % gustEvery;
    for (let s = a; s < b; s++) {
      if (untilGust == 0) {
        gustTarget = 0.3 + 0.7 * ly.gustRng.next();
        untilGust = gustEvery;
      }
      untilGust--;
      gust += gustStep * (gustTarget - gust);
      let fade: f64 = 1;
      if (fadeIn > 0 && s - from < fadeIn) fade = Math.sin((<f64>(s - from) / <f64>fadeIn) * halfPi);
      if (fadeOut > 0 && to - s < fadeOut) fade *= Math.sin((<f64>(to - s) / <f64>fadeOut) * halfPi);
      const level = base * (1 - depth + depth * gust * 1.4) * fade;
      lpL += lp * (rng.white() - lpL);
      lpR += lp * (rng.white() - lpR);
      hpL += hp * (lpL - hpL);
      hpR += hp * (lpR - hpR);
      const i = s - start;
      unchecked(L[i] = <f32>(<f64>unchecked(L[i]) + (lpL - hpL) * level));
      unchecked(R[i] = <f32>(<f64>unchecked(R[i]) + (lpR - hpR) * level));
    }
    ly.gust = gust; ly.gustTarget = gustTarget; ly.lpL = lpL; ly.lpR = lpR; ly.hpL = hpL; ly.hpR = hpR;
  }
}
