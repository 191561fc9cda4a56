import { describe, expect, it } from 'vitest';
import type { AnalysisResult } from './analysis.js';
import { PRESETS } from './presets.js';
import { PEAK_CEILING, SAMPLE_RATE, synthesize } from './synth.js';

function analysis(frames: number, fps: number, motionAt: (i: number) => number, onsets: number[] = []): AnalysisResult {
  const times = Float64Array.from({ length: frames }, (_, i) => i / fps);
  return {
    times,
    motion: Float32Array.from({ length: frames }, (_, i) => motionAt(i)),
    pan: new Float32Array(frames),
    onsets: onsets.map((t) => ({ frame: Math.round(t * fps), time: t, strength: 1, pan: 0 })),
    cuts: [],
    duration: frames / fps,
  };
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += (x[i] as number) ** 2;
  return Math.sqrt(s / Math.max(1, to - from));
}

describe('synthesis', () => {
  it.each(PRESETS.map((p) => [p.name, p] as const))('%s: never over the ceiling, no DC, exact length', (_name, preset) => {
    // Many strong onsets close together: the worst case for peaks.
    const a = analysis(100, 25, () => 0.3, Array.from({ length: 30 }, (_, i) => 0.1 + i * 0.12));
    const out = synthesize({ analysis: a, preset, seed: 1, durationS: 4 });
    expect(out.left.length).toBe(4 * SAMPLE_RATE);
    let peak = 0;
    let sum = 0;
    for (const ch of [out.left, out.right]) {
      for (const v of ch) {
        peak = Math.max(peak, Math.abs(v));
        sum += v;
      }
    }
    expect(peak).toBeLessThanOrEqual(PEAK_CEILING + 1e-6);
    expect(Math.abs(sum / (2 * out.left.length))).toBeLessThan(1e-3);
  });

  it('a still picture gives a quiet bed, far below a transient', () => {
    const neutral = PRESETS.find((p) => p.name === 'neutral')!;
    const still = synthesize({ analysis: analysis(100, 25, () => 0), preset: neutral, seed: 2, durationS: 4 });
    const hit = synthesize({ analysis: analysis(100, 25, () => 0, [2]), preset: neutral, seed: 2, durationS: 4 });
    const bed = rms(still.left);
    expect(bed).toBeLessThan(0.02);
    const at = 2 * SAMPLE_RATE;
    expect(rms(hit.left, at, at + 2400)).toBeGreaterThan(10 * bed);
    expect(hit.hitSamples).toEqual([at]);
  });

  it('each transient starts on its onset sample, with a 1 ms ramp (no click)', () => {
    const impact = PRESETS.find((p) => p.name === 'impact')!;
    const base = synthesize({ analysis: analysis(50, 25, () => 0), preset: impact, seed: 3, durationS: 2 });
    const hit = synthesize({ analysis: analysis(50, 25, () => 0, [1.0]), preset: impact, seed: 3, durationS: 2 });
    const start = SAMPLE_RATE;
    // Before the onset, nothing changes; the first sample of the hit is 0 (the ramp's start).
    for (let i = start - 100; i <= start; i++) expect(hit.left[i]).toBeCloseTo(base.left[i] as number, 6);
    const diff = Array.from({ length: 48 }, (_, j) => Math.abs((hit.left[start + j] as number) - (base.left[start + j] as number)));
    expect(Math.max(...diff.slice(0, 4))).toBeLessThan(Math.max(...diff) + 1e-9);
  });
});
