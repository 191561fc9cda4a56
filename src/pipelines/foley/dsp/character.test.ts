/**
 * Each newer preset is recognisably itself, checked by measurable features of its mastered output
 * (no one listens blind here): birds chirp (tonal 2–6 kHz notes, tens of ms, in bursts), dogs bark
 * (voiced bursts with a 300–600 Hz fundamental), a crowd murmurs (speech-band babble modulated at
 * the syllable rate, never silent), fire crackles (many short pops over a low roar), glass is bright
 * and shatters (shards after each hit), a door creaks (a pulse train at tens of Hz through wood
 * resonances) and thuds with a latch click, cloth swishes (no sharp attacks).
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../analysis.js';
import { presetByName, type PresetName } from '../presets.js';
import { synthesize } from '../synth.js';
import { powerSpectrum } from '../../../../test/helpers/audio.js';

const SR = 48_000;

function analysis(seconds: number, motionAt: (t: number) => number, onsets: number[] = []): AnalysisResult {
  const fps = 25;
  const frames = Math.round(seconds * fps);
  const times = Float64Array.from({ length: frames }, (_, i) => i / fps);
  return {
    times,
    motion: Float32Array.from({ length: frames }, (_, i) => motionAt(i / fps)),
    pan: new Float32Array(frames),
    onsets: onsets.map((t) => ({ frame: Math.round(t * fps), time: t, strength: 1, pan: 0, y: 0, step: -1 })),
    cuts: [],
    scenes: [{ start: 0, end: seconds, brightness: 0.5, cb: 0, cr: 0, motion: 0 }],
    cadences: [],
    duration: seconds,
  } as AnalysisResult;
}

/** The mastered track of a preset, mono. */
function render({
  preset,
  seconds,
  motionAt,
  onsets = [],
  seed = 3,
}: {
  preset: PresetName;
  seconds: number;
  motionAt: (t: number) => number;
  onsets?: number[];
  seed?: number;
}): Float32Array {
  const r = synthesize({ analysis: analysis(seconds, motionAt, onsets), preset: presetByName(preset), seed, durationS: seconds });
  return r.left.map((l, i) => (l + (r.right[i] as number)) / 2);
}

/** Power spectrum of x[from, from+n) (n a power of two) under a Hann window: n/2 bins of SR/n Hz. */
function spectrum(x: Float32Array, from: number, n: number): Float64Array {
  return powerSpectrum(Float64Array.from({ length: n }, (_, i) => (x[from + i] ?? 0) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n))));
}

function band(s: Float64Array, n: number, lo: number, hi: number): number {
  let e = 0;
  for (let k = Math.ceil((lo * n) / SR); k <= Math.min(s.length - 1, Math.floor((hi * n) / SR)); k++) e += s[k] as number;
  return e;
}

function centroid(s: Float64Array, n: number): number {
  let num = 0,
    den = 0;
  s.forEach((v, k) => {
    num += v * ((k * SR) / n);
    den += v;
  });
  return num / den;
}

/** Short-time spectra every `hop` samples. */
function frames(x: Float32Array, n = 1024, hop = 480): Float64Array[] {
  const out: Float64Array[] = [];
  for (let from = 0; from + n <= x.length; from += hop) out.push(spectrum(x, from, n));
  return out;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
}

/** Runs of true values: [start, length] in frames. */
function runs(flags: boolean[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = -1;
  flags.forEach((f, i) => {
    if (f && start < 0) start = i;
    if (!f && start >= 0) {
      out.push([start, i - start]);
      start = -1;
    }
  });
  if (start >= 0) out.push([start, flags.length - start]);
  return out;
}

/** Normalised autocorrelation pitch of x[from, from+n) within [loHz, hiHz]: frequency and strength. */
function pitch({ x, from, n, loHz, hiHz }: { x: Float32Array; from: number; n: number; loHz: number; hiHz: number }): {
  hz: number;
  r: number;
} {
  let best = { hz: 0, r: -1 };
  let e0 = 0;
  for (let i = 0; i < n; i++) e0 += (x[from + i] as number) ** 2;
  for (let lag = Math.floor(SR / hiHz); lag <= Math.ceil(SR / loHz); lag++) {
    let c = 0,
      e1 = 0;
    for (let i = 0; i < n; i++) {
      c += (x[from + i] as number) * (x[from + i + lag] ?? 0);
      e1 += (x[from + i + lag] ?? 0) ** 2;
    }
    const r = c / Math.sqrt(e0 * e1 + 1e-20);
    if (r > best.r) best = { hz: SR / lag, r };
  }
  return best;
}

/** RMS envelope over windows of `win` samples. */
function envelope(x: Float32Array, win: number): number[] {
  const out: number[] = [];
  for (let from = 0; from + win <= x.length; from += win) {
    let s = 0;
    for (let i = from; i < from + win; i++) s += (x[i] as number) ** 2;
    out.push(Math.sqrt(s / win));
  }
  return out;
}

/** A band-passed copy (a 2nd-order resonator per pass, run twice): enough to isolate a band for envelopes. */
function bandpass(x: Float32Array, lo: number, hi: number): Float32Array {
  let y = Float32Array.from(x);
  for (const [kind, hz] of [
    ['hp', lo],
    ['hp', lo],
    ['lp', hi],
    ['lp', hi],
  ] as const) {
    const w = Math.tan((Math.PI * hz) / SR);
    const k = 1 / (1 + Math.SQRT2 * w + w * w);
    const [b0, b1, b2] = kind === 'lp' ? [w * w * k, 2 * w * w * k, w * w * k] : [k, -2 * k, k];
    const a1 = 2 * (w * w - 1) * k,
      a2 = (1 - Math.SQRT2 * w + w * w) * k;
    let x1 = 0,
      x2 = 0,
      y1 = 0,
      y2 = 0;
    const out = new Float32Array(y.length);
    y.forEach((v, i) => {
      const o = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = v;
      y2 = y1;
      y1 = o;
      out[i] = o;
    });
    y = out;
  }
  return y;
}

/**
 * Distinct attacks in the 2–12 kHz band 50–500 ms after `t`: 1 ms envelope peaks that stand 1.5×
 * over the envelope 3 ms before.
 */
function shardPeaks(x: Float32Array, t: number): number {
  const env = envelope(bandpass(x.subarray(Math.round((t + 0.05) * SR), Math.round((t + 0.5) * SR)), 2000, 12000), 48);
  let peaks = 0;
  for (let i = 3; i + 1 < env.length; i++) {
    const v = env[i] as number;
    if (v > 1.5 * (env[i - 3] as number) && v >= (env[i - 1] as number) && v >= (env[i + 1] as number)) peaks++;
  }
  return peaks;
}

const steady = (): number => 0.03;
const HOP_S = 480 / SR;

describe('each newer preset sounds like itself, by measure', () => {
  it('birds: tonal notes of tens of ms at 2–6 kHz, in bursts', () => {
    const x = render({ preset: 'birds', seconds: 10, motionAt: steady });
    const fs = frames(x);
    const hi = fs.map((s) => band(s, 1024, 1800, 7000));
    const ref = percentile(hi, 0.99);
    const note = hi.map((e) => e > ref / 10);
    const loud = fs.filter((_, i) => note[i]);
    expect(loud.length).toBeGreaterThan(20);
    // Each note frame's strongest bin is in the chirp range, and the band holds most of the frame's energy.
    const peaks = loud.map((s) => (s.indexOf(Math.max(...s)) * SR) / 1024);
    expect(peaks.filter((f) => f >= 1800 && f <= 7000).length / peaks.length).toBeGreaterThan(0.9);
    expect(
      percentile(
        loud.map((s) => band(s, 1024, 1800, 7000) / band(s, 1024, 0, SR / 2)),
        0.5,
      ),
    ).toBeGreaterThan(0.7);
    // Notes: tens of ms each, several a second, grouped in bursts (short gaps inside, long gaps between).
    const notes = runs(note);
    const secs = notes.map(([, n]) => n * HOP_S);
    expect(notes.length / 10).toBeGreaterThan(2);
    expect(percentile(secs, 0.5)).toBeGreaterThanOrEqual(0.02);
    expect(percentile(secs, 0.5)).toBeLessThanOrEqual(0.15);
    const gaps = notes.slice(1).map(([s], i) => (s - (notes[i] as [number, number])[0] - (notes[i] as [number, number])[1]) * HOP_S);
    expect(percentile(gaps, 0.5)).toBeLessThan(0.15);
    expect(Math.max(...gaps)).toBeGreaterThan(0.4);
  });

  it('dogs: voiced bursts with a 300–600 Hz fundamental, a tenth to a third of a second each', () => {
    const x = render({ preset: 'dogs', seconds: 12, motionAt: steady });
    const fs = frames(x);
    const voice = fs.map((s) => band(s, 1024, 250, 3000));
    const ref = percentile(voice, 0.99);
    const bark = voice.map((e) => e > ref / 8);
    const barks = runs(bark).filter(([, n]) => n >= 2);
    expect(barks.length).toBeGreaterThanOrEqual(4);
    const secs = barks.map(([, n]) => n * HOP_S);
    expect(percentile(secs, 0.5)).toBeGreaterThanOrEqual(0.06);
    expect(percentile(secs, 0.5)).toBeLessThanOrEqual(0.3);
    // The pitch in the middle of each bark.
    const pitches = barks.map(([s, n]) => pitch({ x, from: Math.round((s + n / 2) * 480), n: 1024, loHz: 150, hiHz: 900 }));
    const voiced = pitches.filter((p) => p.r > 0.5);
    expect(voiced.length / pitches.length).toBeGreaterThan(0.7);
    const f0 = percentile(
      voiced.map((p) => p.hz),
      0.5,
    );
    expect(f0).toBeGreaterThanOrEqual(280);
    expect(f0).toBeLessThanOrEqual(650);
  });

  it('crowd: speech-band babble that pulses at the syllable rate and never falls silent', () => {
    const x = render({ preset: 'crowd', seconds: 10, motionAt: steady });
    const s = spectrum(x, 0, 1 << 19 > x.length ? 1 << 18 : 1 << 19);
    const n = 1 << 18;
    expect(band(s, n, 150, 4000) / band(s, n, 0, SR / 2)).toBeGreaterThan(0.8);
    const c = centroid(s, n);
    expect(c).toBeGreaterThan(300);
    expect(c).toBeLessThan(2500);
    // 10 ms envelope of the speech band: its modulation spectrum peaks at 2–10 Hz (syllables).
    const env = envelope(bandpass(x, 200, 3000), 480);
    const mean = env.reduce((a, b) => a + b, 0) / env.length;
    const m = Float32Array.from(env.slice(0, 512), (v) => v - mean);
    const ms = spectrum(m, 0, 512);
    const modAt = (lo: number, hi: number): number => {
      let e = 0;
      ms.forEach((v, k) => {
        const hz = (k * 100) / 512;
        if (hz >= lo && hz < hi) e += v / (hi - lo);
      });
      return e;
    };
    expect(modAt(2, 10)).toBeGreaterThan(2 * modAt(15, 45));
    // Many voices overlap: in 100 ms windows, the murmur is never more than 20 dB under its median.
    const e100 = envelope(x, 4800).slice(2, -2);
    expect(Math.min(...e100)).toBeGreaterThan(percentile(e100, 0.5) / 10);
  });

  it('fire: a low roar under many short pops', () => {
    const x = render({ preset: 'fire', seconds: 8, motionAt: steady });
    const s = spectrum(x, 0, 1 << 18);
    const lowShare = band(s, 1 << 18, 20, 500) / band(s, 1 << 18, 0, SR / 2);
    // Pops: 1 ms envelope of the band over 1.5 kHz, peaks standing 10× over its median.
    const env = envelope(bandpass(x, 1500, 12000), 48);
    const med = percentile(env, 0.5);
    let pops = 0;
    for (let i = 1; i + 1 < env.length; i++) {
      const v = env[i] as number;
      if (v > 10 * med && v >= (env[i - 1] as number) && v > (env[i + 1] as number)) pops++;
    }
    expect(lowShare).toBeGreaterThan(0.4);
    expect(pops / 8).toBeGreaterThan(8);
    // Impulsive, not a steady hiss: peaks far above the band's RMS.
    const rms = Math.sqrt(env.reduce((a, v) => a + v * v, 0) / env.length);
    expect(Math.max(...env) / rms).toBeGreaterThan(5);
  });

  it('glass: bright hits (far above metal), each followed by a scatter of shards', () => {
    const hits = [1, 3, 5];
    const x = render({ preset: 'glass', seconds: 6.5, motionAt: () => 0.005, onsets: hits });
    const metal = render({ preset: 'metal', seconds: 6.5, motionAt: () => 0.005, onsets: hits });
    const spectrumAfter = (y: Float32Array, t: number): Float64Array => spectrum(y, Math.round(t * SR), 1 << 14);
    for (const t of hits) {
      const c = centroid(spectrumAfter(x, t), 1 << 14);
      expect(c).toBeGreaterThan(3000);
      expect(c).toBeGreaterThan(1.5 * centroid(spectrumAfter(metal, t), 1 << 14));
      // Shards: distinct transients in the 2–12 kHz band 50–500 ms after the hit; metal only rings.
      expect(shardPeaks(x, t)).toBeGreaterThanOrEqual(5);
      expect(shardPeaks(metal, t)).toBeLessThanOrEqual(2);
    }
  });

  it('door: creaks (a pulse train of 40–160 Hz) while it moves; a low thud and a latch click on each hit', () => {
    const x = render({ preset: 'door', seconds: 10, motionAt: steady });
    // Creak frames: the strongest tenth of the 300–3000 Hz band.
    const voice = envelope(bandpass(x, 300, 3000), 2048);
    const ref = percentile(voice, 0.95);
    const loud = voice.map((v, i) => [v, i] as const).filter(([v]) => v > ref / 4);
    expect(loud.length).toBeGreaterThan(10);
    // The pulse rate: autocorrelation of the rectified signal (its envelope) shows the stick-slip rate.
    const rect = Float32Array.from(x, (v) => Math.abs(v));
    const rates = loud.map(([, i]) =>
      pitch({ x: bandpass(rect.subarray(i * 2048, i * 2048 + 4096), 20, 400), from: 0, n: 2048, loHz: 35, hiHz: 200 }),
    );
    const periodic = rates.filter((p) => p.r > 0.3);
    expect(periodic.length / rates.length).toBeGreaterThan(0.6);
    const hz = percentile(
      periodic.map((p) => p.hz),
      0.5,
    );
    expect(hz).toBeGreaterThanOrEqual(35);
    expect(hz).toBeLessThanOrEqual(180);

    const hits = [1, 3];
    const y = render({ preset: 'door', seconds: 4, motionAt: () => 0, onsets: hits });
    for (const t of hits) {
      const at = Math.round(t * SR);
      const s = spectrum(y, at, 1 << 13);
      const low = band(s, 1 << 13, 40, 200);
      const click = band(spectrum(y, at, 1 << 10), 1 << 10, 2000, 6000);
      expect(low / band(s, 1 << 13, 0, SR / 2)).toBeGreaterThan(0.3);
      expect(click / band(spectrum(y, at, 1 << 10), 1 << 10, 0, SR / 2)).toBeGreaterThan(0.05);
    }
  });

  it('cloth: soft swishes: every hit rises over more than 10 ms (an impact rises in under 3 ms), mid-band', () => {
    const hits = [1, 2.5, 4];
    const rise = (preset: PresetName): number[] => {
      const x = render({ preset, seconds: 5, motionAt: () => 0, onsets: hits });
      return hits.map((t) => {
        const env = envelope(x.subarray(Math.round((t - 0.01) * SR), Math.round((t + 0.15) * SR)), 24);
        const top = Math.max(...env);
        const i10 = env.findIndex((v) => v >= 0.1 * top);
        const i90 = env.findIndex((v) => v >= 0.9 * top);
        return ((i90 - i10) * 24) / SR;
      });
    };
    for (const r of rise('cloth')) expect(r).toBeGreaterThan(0.01);
    for (const r of rise('impact')) expect(r).toBeLessThan(0.003);
    const x = render({ preset: 'cloth', seconds: 6, motionAt: (t) => 0.04 * (1 + Math.sin(2 * Math.PI * t * 0.7)) });
    const c = centroid(spectrum(x, 0, 1 << 18), 1 << 18);
    expect(c).toBeGreaterThan(700);
    expect(c).toBeLessThan(4000);
  });
});
