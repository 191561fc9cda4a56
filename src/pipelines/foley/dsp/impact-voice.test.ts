/**
 * An onset with `voice: 'impact'` (a hand seen stopping on something) plays the impact preset's
 * hit whatever the track's preset: heavier and longer than the preset's own hit, the same hit the
 * impact preset renders for that onset, and nothing else in the track changes.
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisResult, Onset } from '../analysis.js';
import { PRESETS, presetByName, type Preset } from '../presets.js';
import { renderStems, SAMPLE_RATE } from '../render.js';
import { synthesize } from '../synth.js';
import { truePeakOf } from './true-peak.js';
import { powerSpectrum } from '../../../../test/helpers/audio.js';

const SR = SAMPLE_RATE;
const DURATION_S = 6;
const LENGTH = DURATION_S * SR;
const footsteps = presetByName('footsteps');
const impact = presetByName('impact');

/** Onsets a second apart (one voiced, at index 2), the last well after the impact's tail. */
const TIMES = [0.5, 1.5, 2.5, 4.5];
const VOICED = 2;

function analysis(onsets: Onset[]): AnalysisResult {
  const fps = 25;
  const frames = DURATION_S * fps;
  return {
    times: Float64Array.from({ length: frames }, (_, i) => i / fps),
    motion: Float32Array.from({ length: frames }, (_, i) => 0.1 + 0.05 * Math.sin(i / 4)),
    pan: new Float32Array(frames),
    onsets,
    cuts: [],
    scenes: [{ start: 0, end: DURATION_S, brightness: 0.5, cb: 0, cr: 0, motion: 0 }],
    cadences: [],
    duration: DURATION_S,
  };
}

function onsets(count: number, voiced = -1): Onset[] {
  return TIMES.slice(0, count).map((time, k) => ({
    frame: Math.round(time * 25),
    time,
    strength: 0.8,
    pan: k % 2 ? 0.3 : -0.3,
    y: 0.2,
    step: k,
    ...(k === voiced ? { voice: 'impact' as const } : {}),
  }));
}

/** The events stem, left channel, whole track (unmastered). */
function events(preset: Preset, list: Onset[], seed = 5): Float32Array {
  const out = new Float32Array(LENGTH);
  for (const s of renderStems({ analysis: analysis(list), preset, seed, durationS: DURATION_S }, SR, LENGTH))
    out.set(s.evL.subarray(0, s.len), s.start);
  return out;
}

/** a − b from `from` on (the stems are linear in their voices: one hit on its own). */
function minus(a: Float32Array, b: Float32Array, from: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (a[from + i] as number) - (b[from + i] as number));
}

/** Power spectrum of `x`, zero-padded to a power of two. */
function paddedPowerSpectrum(x: Float64Array): { power: Float64Array; binHz: number } {
  let n = 1;
  while (n < x.length) n <<= 1;
  const padded = new Float64Array(n);
  padded.set(x);
  return { power: powerSpectrum(padded), binHz: SR / n };
}

/** Share of the energy under 150 Hz, and the spectral centroid (Hz). */
function spectrum(x: Float64Array): { low: number; centroid: number } {
  const { power, binHz } = paddedPowerSpectrum(x);
  let total = 0,
    low = 0,
    moment = 0;
  power.forEach((p, k) => {
    total += p;
    moment += p * k * binHz;
    if (k * binHz < 150) low += p;
  });
  return { low: low / total, centroid: moment / total };
}

/** Seconds from the loudest 10 ms window until the level stays 30 dB under it. */
function decayS(x: Float64Array): number {
  const w = SR / 100;
  const levels: number[] = [];
  for (let at = 0; at + w <= x.length; at += w) {
    let e = 0;
    for (let i = at; i < at + w; i++) e += (x[i] as number) ** 2;
    levels.push(e / w);
  }
  const top = levels.indexOf(Math.max(...levels));
  const floor = (levels[top] as number) * 1e-3;
  let last = top;
  levels.forEach((e, i) => {
    if (e > floor) last = i;
  });
  return (last + 1 - top) / 100;
}

describe('impact voice', () => {
  const at = Math.round((TIMES[VOICED] as number) * SR);
  // The impact hit's tail: 7 × its longest decay.
  const span = Math.round(7 * impact.hit.thumpDecayS * SR);
  const before = events(footsteps, onsets(VOICED));

  it('a voiced onset in a footsteps track plays the impact preset’s hit: lower, longer, the same as the impact preset renders it', () => {
    const voiced = minus(events(footsteps, onsets(VOICED + 1, VOICED)), before, at, span);
    const step = minus(events(footsteps, onsets(VOICED + 1)), before, at, span);
    const alone = minus(events(impact, onsets(VOICED + 1)), events(impact, onsets(VOICED)), at, span);

    const v = spectrum(voiced),
      f = spectrum(step);
    const dv = decayS(voiced),
      df = decayS(step);
    console.log(
      `impact-voiced hit: ${(100 * v.low).toFixed(1)} % under 150 Hz, centroid ${v.centroid.toFixed(0)} Hz, ` +
        `30 dB decay ${dv.toFixed(2)} s; ` +
        `footstep hit: ${(100 * f.low).toFixed(1)} %, ${f.centroid.toFixed(0)} Hz, ${df.toFixed(2)} s`,
    );
    // Measured: 87 % vs 46 % under 150 Hz, centroid 593 vs 2922 Hz, decay 0.57 vs 0.17 s.
    expect(v.low).toBeGreaterThan(f.low + 0.25);
    expect(v.centroid).toBeLessThan(0.5 * f.centroid);
    expect(dv).toBeGreaterThan(2 * df);

    // The same hit the impact preset plays for this onset (float32 stems: rounding apart).
    let err = 0,
      peak = 0;
    for (let i = 0; i < span; i++) {
      err = Math.max(err, Math.abs((voiced[i] as number) - (alone[i] as number)));
      peak = Math.max(peak, Math.abs(alone[i] as number));
    }
    expect(peak).toBeGreaterThan(0.1);
    expect(err).toBeLessThan(1e-5 * peak);
  });

  it('the other hits are untouched: the stems agree byte for byte before the voiced hit and once its tail is gone', () => {
    const plain = events(footsteps, onsets(TIMES.length));
    const voiced = events(footsteps, onsets(TIMES.length, VOICED));
    const after = at + span + Math.round(0.5 * SR);
    expect(Buffer.from(voiced.buffer, 0, 4 * at).equals(Buffer.from(plain.buffer, 0, 4 * at))).toBe(true);
    expect(Buffer.from(voiced.buffer, 4 * after).equals(Buffer.from(plain.buffer, 4 * after))).toBe(true);
    // …and they do differ where the impact sounds; the last step lies in the part compared after it.
    expect(Buffer.from(voiced.buffer, 4 * at, 4 * span).equals(Buffer.from(plain.buffer, 4 * at, 4 * span))).toBe(false);
    expect(Math.round((TIMES[TIMES.length - 1] as number) * SR)).toBeGreaterThan(after);
  });

  it('in the impact preset the voice changes nothing; the mastered voiced track keeps the ceiling and the target', () => {
    const plain = events(impact, onsets(TIMES.length));
    const voiced = events(impact, onsets(TIMES.length, VOICED));
    expect(Buffer.from(voiced.buffer).equals(Buffer.from(plain.buffer))).toBe(true);

    const out = synthesize({ analysis: analysis(onsets(TIMES.length, VOICED)), preset: footsteps, seed: 5, durationS: DURATION_S });
    expect(20 * Math.log10(truePeakOf(out.left, out.right))).toBeLessThanOrEqual(-1);
    expect(out.loudnessLufs).toBeGreaterThan(-17);
    expect(out.loudnessLufs).toBeLessThan(-15);
  });

  it.each(PRESETS.map((p) => [p.name, p] as const))(
    '%s with impact thuds among dense hits: true peak under −1 dBTP, −16 LUFS in one limiter pass',
    (_name, preset) => {
      // As synthesis' worst case (synth.test.ts), every fifth onset a hand stop.
      const dense: Onset[] = Array.from({ length: 30 }, (_, k) => ({
        frame: k,
        time: 0.1 + k * 0.12,
        strength: 1,
        pan: 0,
        y: 0,
        step: -1,
        ...(k % 5 === 2 ? { voice: 'impact' as const } : {}),
      }));
      const a = { ...analysis(dense), motion: new Float32Array(DURATION_S * 25).fill(0.3) };
      const out = synthesize({ analysis: a, preset, seed: 1, durationS: 4 });
      expect(20 * Math.log10(truePeakOf(out.left, out.right))).toBeLessThanOrEqual(-1);
      expect(out.loudnessLufs).toBeGreaterThan(-17);
      expect(out.loudnessLufs).toBeLessThan(-15);
      expect(out.passes).toBe(1);
    },
  );
});
