import { describe, expect, it } from 'vitest';
import type { AnalysisResult } from './analysis.js';
import { truePeakOf } from './dsp/true-peak.js';
import { PRESETS, type Preset } from './presets.js';
import { FoleyDsp } from './dsp/wasm.js';
import { timelineStems } from './dsp/timeline.js';
import { BLOCK, renderStems } from './render.js';
import { PEAK_CEILING, SAMPLE_RATE, synthesize } from './synth.js';

function analysis({
  frames,
  fps,
  motionAt,
  onsets = [],
  cuts = [],
}: {
  frames: number;
  fps: number;
  motionAt: (i: number) => number;
  onsets?: number[];
  cuts?: number[];
}): AnalysisResult {
  const times = Float64Array.from({ length: frames }, (_, i) => i / fps);
  const bounds = [0, ...cuts, frames / fps];
  return {
    times,
    motion: Float32Array.from({ length: frames }, (_, i) => motionAt(i)),
    pan: new Float32Array(frames),
    onsets: onsets.map((t) => ({ frame: Math.round(t * fps), time: t, strength: 1, pan: 0, y: 0, step: -1 })),
    cuts,
    scenes: bounds.slice(1).map((end, i) => ({ start: bounds[i] as number, end, brightness: i % 2 ? 0.8 : 0.2, cb: 0, cr: 0, motion: 0 })),
    cadences: [],
    duration: frames / fps,
  };
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += (x[i] as number) ** 2;
  return Math.sqrt(s / Math.max(1, to - from));
}

/** The unmastered mix, whole. */
function rawMix(a: AnalysisResult, preset: Preset, seed: number, durationS: number): Float32Array {
  const length = Math.round(durationS * SAMPLE_RATE);
  const out = new Float32Array(length);
  for (const s of renderStems({ analysis: a, preset, seed, durationS }, SAMPLE_RATE, length)) {
    for (let i = 0; i < s.len; i++) out[s.start + i] = (s.bedL[i] as number) + (s.evL[i] as number);
  }
  return out;
}

const neutral = PRESETS.find((p) => p.name === 'neutral')!;

describe('synthesis', () => {
  it.each(PRESETS.map((p) => [p.name, p] as const))(
    '%s: true peak under −1 dBTP, no DC, exact length, −16 LUFS in one limiter pass',
    (_name, preset) => {
      // Many strong onsets close together: the worst case for peaks.
      const a = analysis({ frames: 100, fps: 25, motionAt: () => 0.3, onsets: Array.from({ length: 30 }, (_, i) => 0.1 + i * 0.12) });
      const out = synthesize({ analysis: a, preset, seed: 1, durationS: 4 });
      expect(out.left.length).toBe(4 * SAMPLE_RATE);
      let sum = 0;
      for (const ch of [out.left, out.right]) for (const v of ch) sum += v;
      expect(out.peak).toBeLessThanOrEqual(PEAK_CEILING + 1e-6);
      expect(20 * Math.log10(truePeakOf(out.left, out.right))).toBeLessThanOrEqual(-1);
      expect(Math.abs(sum / (2 * out.left.length))).toBeLessThan(1e-3);
      expect(out.loudnessLufs).toBeGreaterThan(-17);
      expect(out.loudnessLufs).toBeLessThan(-15);
      // The gain search runs on the limiter model; one real pass confirms it.
      expect(out.passes).toBe(1);
    },
  );

  it('a still picture gives a quiet bed (held at the preset bed ceiling, not lifted to −16), far below a transient', () => {
    const still = synthesize({ analysis: analysis({ frames: 100, fps: 25, motionAt: () => 0 }), preset: neutral, seed: 2, durationS: 4 });
    const hit = synthesize({
      analysis: analysis({ frames: 100, fps: 25, motionAt: () => 0, onsets: [2] }),
      preset: neutral,
      seed: 2,
      durationS: 4,
    });
    expect(still.gain.bedCapped).toBe(true);
    expect(still.loudnessLufs).toBeLessThanOrEqual(neutral.bed.ceilingLufs + 0.5);
    const bed = rms(still.left);
    expect(bed).toBeLessThan(0.02);
    const at = 2 * SAMPLE_RATE;
    expect(rms(hit.left, at, at + 2400)).toBeGreaterThan(10 * bed);
    expect(hit.hitSamples).toEqual([at]);
  });

  it('each transient starts on its onset sample, with a 1 ms ramp (no click)', () => {
    const impact = PRESETS.find((p) => p.name === 'impact')!;
    const base = rawMix(analysis({ frames: 50, fps: 25, motionAt: () => 0 }), impact, 3, 2);
    const hit = rawMix(analysis({ frames: 50, fps: 25, motionAt: () => 0, onsets: [1.0] }), impact, 3, 2);
    const start = SAMPLE_RATE;
    // Before the onset, nothing changes; the first sample of the hit is 0 (the ramp's start).
    for (let i = start - 100; i <= start; i++) expect(hit[i]).toBeCloseTo(base[i] as number, 6);
    const diff = Array.from({ length: 48 }, (_, j) => Math.abs((hit[start + j] as number) - (base[start + j] as number)));
    expect(Math.max(...diff.slice(0, 4))).toBeLessThan(Math.max(...diff) + 1e-9);
    expect(diff[0]).toBeLessThan(1e-3);
  });

  it('is the same whatever the block boundaries: a hit that straddles a block edge is seamless', () => {
    const fps = 25;
    // Onsets right before block edges, so every hit continues into the next block.
    const onsets = [1, 2, 3].map((k) => (k * BLOCK * 10 - 30) / SAMPLE_RATE);
    const a = analysis({ frames: 150, fps, motionAt: (i) => (i % 20 < 10 ? 0.05 : 0), onsets, cuts: [3] });
    const preset = PRESETS.find((p) => p.name === 'rustle')!;
    const x = rawMix(a, preset, 9, 6);
    // Largest step between neighbours: a discontinuity at a block edge would stand out.
    let worstEdge = 0;
    let worstAll = 0;
    for (let i = 1; i < x.length; i++) {
      const d = Math.abs((x[i] as number) - (x[i - 1] as number));
      worstAll = Math.max(worstAll, d);
      if (i % BLOCK === 0) worstEdge = Math.max(worstEdge, d);
    }
    expect(worstEdge).toBeLessThan(worstAll);
    // Same seed, same samples.
    expect(rawMix(a, preset, 9, 6)).toEqual(x);
  });

  it('crossfades the bed across a cut instead of switching it', () => {
    const a = analysis({ frames: 100, fps: 25, motionAt: () => 0, onsets: [], cuts: [2] });
    const x = rawMix(a, neutral, 4, 4);
    // Short-time level either side of the cut changes smoothly: no 10 ms window jumps by 2×.
    const win = 480;
    const levels: number[] = [];
    for (let i = 1.7 * SAMPLE_RATE; i < 2.3 * SAMPLE_RATE; i += win) levels.push(rms(x, i, i + win));
    for (let k = 1; k < levels.length; k++) expect(levels[k]! / levels[k - 1]!).toBeLessThan(2);
    // The two scenes sound different (dark then bright).
    expect(rms(x, 3 * SAMPLE_RATE, 4 * SAMPLE_RATE - 500)).toBeGreaterThan(rms(x, 0.5 * SAMPLE_RATE, 1.5 * SAMPLE_RATE) * 1.1);
  });

  it('same seed gives identical samples; another seed does not', () => {
    const a = analysis({ frames: 50, fps: 25, motionAt: () => 0.02, onsets: [0.5, 1.2] });
    const one = synthesize({ analysis: a, preset: neutral, seed: 5, durationS: 2 });
    const two = synthesize({ analysis: a, preset: neutral, seed: 5, durationS: 2 });
    const other = synthesize({ analysis: a, preset: neutral, seed: 6, durationS: 2 });
    expect(two.left).toEqual(one.left);
    expect(other.left).not.toEqual(one.left);
  });
});

describe('preset timeline', () => {
  const byName = (n: string): Preset => PRESETS.find((p) => p.name === n)!;
  const a = analysis({ frames: 100, fps: 25, motionAt: () => 0.03, onsets: [0.5, 1.5, 2.5, 3.5] });

  it('one entry renders exactly as no timeline', () => {
    const plain = synthesize({ analysis: a, preset: byName('rain'), seed: 4, durationS: 4 });
    const one = synthesize({
      analysis: a,
      preset: byName('rain'),
      seed: 4,
      durationS: 4,
      timeline: [{ start: 0, preset: byName('rain') }],
    });
    expect(one.left).toEqual(plain.left);
    expect(one.right).toEqual(plain.right);
  });

  it('switches preset at the boundary with a crossfade: the first preset alone before it, the second after, mastered as one', () => {
    const timeline = [
      { start: 0, preset: byName('engine') },
      { start: 2, preset: byName('birds') },
    ];
    const length = 4 * SAMPLE_RATE;
    const mixed = new Float32Array(length);
    for (const st of timelineStems({ analysis: a, seed: 4, timeline }, SAMPLE_RATE, length, new FoleyDsp())) {
      for (let i = 0; i < st.len; i++) mixed[st.start + i] = (st.bedL[i] as number) + (st.evL[i] as number);
    }
    // Before the crossfade (1.85 s) the track is the engine preset's own, sample for sample.
    const engine = rawMix(a, byName('engine'), 4, 4);
    const before = Math.round(1.84 * SAMPLE_RATE);
    expect(mixed.subarray(0, before)).toEqual(engine.subarray(0, before));
    // After it, no engine: its hum (45–115 Hz) gives way to birdsong (2–7 kHz zero crossings).
    const crossings = (x: Float32Array, from: number, to: number): number => {
      let n = 0;
      for (let i = from + 1; i < to; i++) if ((x[i - 1] as number) < 0 !== (x[i] as number) < 0) n++;
      return n / ((to - from) / SAMPLE_RATE) / 2;
    };
    expect(crossings(mixed, 2.3 * SAMPLE_RATE, 4 * SAMPLE_RATE)).toBeGreaterThan(4 * crossings(mixed, 0, 1.8 * SAMPLE_RATE));
    // The crossfade is smooth: no 10 ms window's level jumps 3× across the boundary.
    const levels: number[] = [];
    for (let i = 1.8 * SAMPLE_RATE; i < 2.2 * SAMPLE_RATE; i += 480) levels.push(rms(mixed, i, i + 480));
    for (let k = 1; k < levels.length; k++) expect(levels[k]! / levels[k - 1]!).toBeLessThan(3);

    const out = synthesize({ analysis: a, preset: byName('engine'), seed: 4, durationS: 4, timeline });
    expect(out.loudnessLufs).toBeGreaterThan(-17);
    expect(out.loudnessLufs).toBeLessThan(-15);
    expect(20 * Math.log10(truePeakOf(out.left, out.right))).toBeLessThanOrEqual(-1);
  });
});
