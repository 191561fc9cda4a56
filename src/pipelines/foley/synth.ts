/**
 * @module Sample-accurate DSP synthesis of a Foley track from motion analysis (pure: no I/O).
 * Voices: an ambience bed (filtered noise, gusts, droplets), a texture that follows the amount of
 * motion, a transient per onset (pitched body thump + noise burst, 1 ms attack so nothing clicks),
 * and an optional engine hum. Every voice has its own seeded random stream.
 */
import type { AnalysisResult } from './analysis.js';
import type { Preset } from './presets.js';
import { createRng, type Rng } from './rng.js';

export const SAMPLE_RATE = 48_000;

/** Peak ceiling of the master (−1 dBFS): output is only ever turned down to meet it. */
export const PEAK_CEILING = 0.891;

export interface SynthOptions {
  analysis: AnalysisResult;
  preset: Preset;
  seed: number;
  /** Length of the track in seconds (the video's end). */
  durationS: number;
  sampleRate?: number;
}

export interface SynthResult {
  left: Float32Array;
  right: Float32Array;
  sampleRate: number;
  /** Sample index where each onset's transient starts (for diagnostics and tests). */
  hitSamples: number[];
  peak: number;
}

const STREAM = { bed: 1, texture: 2, drops: 3, hum: 4, hitBase: 1000 } as const;

/** Gaussian-ish noise is not needed; uniform white noise in [−1, 1). */
function white(rng: Rng): number {
  return rng() * 2 - 1;
}

/** State-variable filter (Chamberlin), band-pass output. Stable for f < sr/6, which we respect. */
class BandPass {
  private low = 0;
  private band = 0;
  private f: number;
  private readonly q: number;
  constructor(hz: number, q: number, sr: number) {
    this.f = 2 * Math.sin((Math.PI * Math.min(hz, sr / 6)) / sr);
    this.q = 1 / Math.max(0.5, q);
  }
  process(x: number): number {
    this.low += this.f * this.band;
    const high = x - this.low - this.q * this.band;
    this.band += this.f * high;
    return this.band;
  }
}

function onePoleCoef(hz: number, sr: number): number {
  return 1 - Math.exp((-2 * Math.PI * hz) / sr);
}

/** Equal-power pan gains for p in −1..1. */
function panGains(p: number): [number, number] {
  const a = ((Math.max(-1, Math.min(1, p)) + 1) * Math.PI) / 4;
  return [Math.cos(a), Math.sin(a)];
}

/** Motion energy → 0..1.5 loudness for texture and hum; absolute, so a still shot stays quiet. */
function motionLevel(m: number): number {
  return Math.min(1.5, Math.sqrt(Math.max(0, m) / 0.08));
}

/** Per-sample motion envelope: frame values held at their pts, then attack/release smoothed. */
function motionEnvelope(a: AnalysisResult, length: number, sr: number): Float32Array {
  const env = new Float32Array(length);
  const attack = onePoleCoef(1 / 0.02, sr);
  const release = onePoleCoef(1 / 0.2, sr);
  let frame = 0;
  let y = 0;
  const n = a.times.length;
  for (let i = 0; i < length; i++) {
    const t = i / sr;
    while (frame + 1 < n && (a.times[frame + 1] as number) <= t) frame++;
    const target = n === 0 || t < (a.times[0] as number) ? 0 : motionLevel(a.motion[frame] as number);
    y += (target > y ? attack : release) * (target - y);
    env[i] = y;
  }
  return env;
}

function addBed(out: [Float32Array, Float32Array], a: AnalysisResult, p: Preset, seed: number, sr: number): void {
  const rng = createRng(seed, STREAM.bed);
  const gustRng = createRng(seed, STREAM.bed + 100);
  const [L, R] = out;
  const hp = onePoleCoef(p.bed.highpassHz, sr);
  // Each shot gets its own bed colour; the cutoff glides (~0.25 s) so a cut crossfades the bed.
  const shotStarts = [0, ...a.cuts];
  const shotCutoff = shotStarts.map(() => p.bed.lowpassHz * (0.75 + 0.5 * gustRng()));
  const glide = onePoleCoef(1 / 0.25, sr);
  let shot = 0;
  let cutoff = shotCutoff[0] as number;
  let lpL = 0, lpR = 0, hpL = 0, hpR = 0;
  // Gusts: a slow random walk of the level, 0.3–1.
  let gust = 0.6, gustTarget = 0.6;
  const gustEvery = Math.round(sr * 0.5);
  for (let i = 0; i < L.length; i++) {
    while (shot + 1 < shotStarts.length && i / sr >= (shotStarts[shot + 1] as number)) shot++;
    cutoff += glide * ((shotCutoff[shot] as number) - cutoff);
    const lp = onePoleCoef(cutoff, sr);
    if (i % gustEvery === 0) gustTarget = 0.3 + 0.7 * gustRng();
    gust += 2e-5 * (gustTarget - gust);
    const level = p.bed.level * (1 - p.bed.gust + p.bed.gust * gust * 1.4);
    lpL += lp * (white(rng) - lpL);
    lpR += lp * (white(rng) - lpR);
    hpL += hp * (lpL - hpL);
    hpR += hp * (lpR - hpR);
    L[i] = (L[i] as number) + (lpL - hpL) * level * 2.5;
    R[i] = (R[i] as number) + (lpR - hpR) * level * 2.5;
  }
  if (p.drops.rate <= 0) return;
  const dropRng = createRng(seed, STREAM.drops);
  const perSample = p.drops.rate / sr;
  for (let i = 0; i < L.length; i++) {
    if (dropRng() >= perSample) continue;
    const [gl, gr] = panGains(dropRng() * 2 - 1);
    const amp = p.drops.level * (0.3 + 0.7 * dropRng());
    const len = Math.round(sr * (p.drops.pitched ? 0.04 : 0.008));
    const f0 = p.drops.pitched ? 500 + 900 * dropRng() : 0;
    for (let j = 0; j < len && i + j < L.length; j++) {
      const t = j / sr;
      const env = Math.min(1, j / 24) * Math.exp(-t / (p.drops.pitched ? 0.012 : 0.002));
      // Bubbles: a sine whose pitch rises; drops: a click of noise.
      const v = p.drops.pitched ? Math.sin(2 * Math.PI * f0 * t * (1 + 12 * t)) : white(dropRng);
      L[i + j] = (L[i + j] as number) + v * env * amp * gl;
      R[i + j] = (R[i + j] as number) + v * env * amp * gr;
    }
  }
}

function addTextureAndHum(out: [Float32Array, Float32Array], a: AnalysisResult, env: Float32Array, p: Preset, seed: number, sr: number): void {
  const [L, R] = out;
  const rng = createRng(seed, STREAM.texture);
  const bpL = new BandPass(p.texture.centerHz, p.texture.q, sr);
  const bpR = new BandPass(p.texture.centerHz * 1.07, p.texture.q, sr);
  let frame = 0;
  let panNow = 0;
  const n = a.times.length;
  let phase = 0;
  for (let i = 0; i < L.length; i++) {
    const t = i / sr;
    while (frame + 1 < n && (a.times[frame + 1] as number) <= t) frame++;
    panNow += 0.0005 * ((n ? (a.pan[frame] as number) : 0) * 0.7 - panNow);
    const [gl, gr] = panGains(panNow);
    const e = env[i] as number;
    const tex = p.texture.level * e;
    L[i] = (L[i] as number) + bpL.process(white(rng)) * tex * gl * 2;
    R[i] = (R[i] as number) + bpR.process(white(rng)) * tex * gr * 2;
    if (p.hum.level > 0) {
      const hz = p.hum.baseHz + p.hum.rangeHz * Math.min(1, e);
      phase += hz / sr;
      phase -= Math.floor(phase);
      let v = 0;
      for (let h = 1; h <= 6; h++) v += Math.sin(2 * Math.PI * h * phase) / h;
      const amp = p.hum.level * (0.35 + 0.65 * Math.min(1, e));
      L[i] = (L[i] as number) + v * amp;
      R[i] = (R[i] as number) + v * amp;
    }
  }
}

function addHits(out: [Float32Array, Float32Array], a: AnalysisResult, p: Preset, seed: number, sr: number): number[] {
  const [L, R] = out;
  const starts: number[] = [];
  const h = p.hit;
  const tail = Math.max(h.thumpDecayS, h.noiseDecayS) * 7;
  a.onsets.forEach((onset, k) => {
    const rng = createRng(seed, STREAM.hitBase + k);
    const start = Math.round(onset.time * sr);
    if (start >= L.length) return;
    starts.push(start);
    const amp = h.level * (0.3 + 0.7 * onset.strength) * (0.85 + 0.3 * rng());
    const f0 = h.thumpHz * (0.85 + 0.3 * rng());
    const thumpDecay = h.thumpDecayS * (0.8 + 0.4 * rng());
    const noiseDecay = h.noiseDecayS * (0.8 + 0.4 * rng());
    const bp = new BandPass(h.noiseHz * (0.8 + 0.4 * rng()), h.noiseQ, sr);
    const [gl, gr] = panGains(onset.pan * 0.8);
    const attack = Math.round(sr * 0.001);
    const len = Math.min(L.length - start, Math.round(sr * tail));
    let phase = 0;
    for (let j = 0; j < len; j++) {
      const t = j / sr;
      // Pitch falls quickly after the strike, like a struck body.
      phase += (f0 * (1 + 0.6 * Math.exp(-t / 0.012))) / sr;
      const body = Math.sin(2 * Math.PI * phase) * Math.exp(-t / thumpDecay);
      const noise = bp.process(white(rng)) * 2.2 * Math.exp(-t / noiseDecay);
      const ramp = j < attack ? j / attack : 1;
      // Fade the last 5 ms so even a truncated tail ends at zero.
      const fade = Math.min(1, (len - j) / (sr * 0.005));
      const v = (body * (1 - h.noiseMix) + noise * h.noiseMix) * amp * ramp * fade;
      L[start + j] = (L[start + j] as number) + v * gl;
      R[start + j] = (R[start + j] as number) + v * gr;
    }
  });
  return starts;
}

/** DC blocker (high-pass ~10 Hz) in place, then turn down (never up) to the peak ceiling. */
function master(out: [Float32Array, Float32Array], sr: number): number {
  const r = Math.exp((-2 * Math.PI * 10) / sr);
  let peak = 0;
  for (const ch of out) {
    let x1 = 0, y1 = 0;
    for (let i = 0; i < ch.length; i++) {
      const x = ch[i] as number;
      const y = x - x1 + r * y1;
      x1 = x;
      y1 = y;
      ch[i] = y;
      peak = Math.max(peak, Math.abs(y));
    }
  }
  if (peak > PEAK_CEILING) {
    const g = PEAK_CEILING / peak;
    for (const ch of out) for (let i = 0; i < ch.length; i++) ch[i] = (ch[i] as number) * g;
    peak = PEAK_CEILING;
  }
  return peak;
}

export function synthesize({ analysis, preset, seed, durationS, sampleRate = SAMPLE_RATE }: SynthOptions): SynthResult {
  const length = Math.max(1, Math.round(durationS * sampleRate));
  const out: [Float32Array, Float32Array] = [new Float32Array(length), new Float32Array(length)];
  addBed(out, analysis, preset, seed, sampleRate);
  const env = motionEnvelope(analysis, length, sampleRate);
  addTextureAndHum(out, analysis, env, preset, seed, sampleRate);
  const hitSamples = addHits(out, analysis, preset, seed, sampleRate);
  const peak = master(out, sampleRate);
  return { left: out[0], right: out[1], sampleRate, hitSamples, peak };
}
