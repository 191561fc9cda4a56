import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { binaries } from '../../../../test/helpers/media.js';
import { encodeWavFloat32 } from '../../../media/wav.js';
import { LOOKAHEAD_S, RELEASE_S } from './limiter-model.js';
import { TruePeak, truePeakOf } from './true-peak.js';
import { PRESETS } from '../presets.js';
import { renderStems } from '../render.js';
import type { AnalysisResult } from '../analysis.js';
import { FoleyDsp, masterStems } from './wasm.js';

const SR = 48_000;
const CEILING = 0.79;

/**
 * The limiter as its definition reads, whole-array and slow: true peak of every interval (the 4×
 * filter always on), the gain each detector sample needs, its moving minimum over the lookahead,
 * the moving mean of those minima, a one-pole release. The real one must give the same samples.
 */
function reference(l: Float32Array, r: Float32Array): { outL: Float64Array; outR: Float64Array; latency: number } {
  const look = Math.round(LOOKAHEAD_S * SR);
  const release = 1 - Math.exp(-1 / (RELEASE_S * SR));
  const half = TruePeak.LATENCY;
  const latency = half + look - 1;
  const n = l.length + latency;
  const tl = new TruePeak();
  const tr = new TruePeak();
  const need: number[] = [];
  const mins: number[] = [];
  const outL = new Float64Array(l.length);
  const outR = new Float64Array(l.length);
  let prevInterval = 0;
  let g = 1;
  for (let m = 0; m < n; m++) {
    const interval = Math.max(tl.push(l[m] ?? 0), tr.push(r[m] ?? 0));
    const d = Math.max(interval, prevInterval);
    prevInterval = interval;
    need.push(d > CEILING ? CEILING / d : 1);
    const j = m;
    let windowMin = 1;
    for (let q = Math.max(0, j - look + 1); q <= j; q++) windowMin = Math.min(windowMin, need[q] as number);
    mins.push(windowMin);
    let sum = 0;
    for (let q = j - look + 1; q <= j; q++) sum += q >= 0 ? (mins[q] as number) : 1;
    const target = sum / look;
    g = target < g ? target : g + release * (target - g);
    // Detector sample j is about input m − half; its gain applies `look` − 1 samples later.
    const at = m - latency;
    if (at >= 0) {
      outL[at] = (l[at] as number) * g;
      outR[at] = (r[at] as number) * g;
    }
  }
  return { outL, outR, latency };
}

/** The engine's pass with the signal as the bed stem at unity: what its limiter makes of it. */
function limit(l: Float32Array, r: Float32Array): { outL: Float32Array; outR: Float32Array; truePeak: number; minGain: number } {
  const silent = new Float32Array(l.length);
  const out = masterStems(
    [l, r, silent, silent],
    { bed: 1, events: 0 },
    { ceiling: CEILING, lookaheadS: LOOKAHEAD_S, releaseS: RELEASE_S },
    SR,
  );
  return { outL: out.left, outR: out.right, truePeak: out.truePeak, minGain: out.minGain };
}

/** Quiet noise with loud bursts (up to 4× over the ceiling) and a stretch of near-Nyquist tone. */
function burstyTrack(seconds: number, seed: number): [Float32Array, Float32Array] {
  const n = Math.round(seconds * SR);
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
  const l = new Float32Array(n);
  const r = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / SR;
    const phase = t % 0.5;
    const burst = phase < 0.04 ? 3.2 * Math.exp(-phase * 60) : 0;
    const tone = t > seconds - 0.3 ? 0.8 * Math.sin(2 * Math.PI * 11_000 * t + 0.7) : 0;
    l[i] = 0.02 * rnd() + burst * rnd() + tone;
    r[i] = 0.02 * rnd() + 0.7 * burst * rnd() + tone;
  }
  return [l, r];
}

describe('true-peak limiter (the engine, WebAssembly)', () => {
  const [l, r] = burstyTrack(2.5, 7);
  const ref = reference(l, r);

  it('gives the samples of a reference written as the definition reads', () => {
    const { outL, outR, minGain } = limit(l, r);
    let worst = 0;
    for (let i = 0; i < l.length; i++) {
      worst = Math.max(
        worst,
        Math.abs((outL[i] as number) - (ref.outL[i] as number)),
        Math.abs((outR[i] as number) - (ref.outR[i] as number)),
      );
    }
    expect(worst).toBeLessThan(1e-6);
    expect(minGain).toBeLessThan(0.4);
  });

  it('keeps the true peak under the ceiling, near-Nyquist tone included', () => {
    const { outL, outR, truePeak } = limit(l, r);
    // The gain moves within the filter's span, so the output's own true peak can pass the
    // detector's estimate by a hair (0.03 % here): 0.003 dB, inside the 1 dB margin under −1 dBTP.
    expect(truePeakOf(outL, outR)).toBeLessThanOrEqual(CEILING * 1.001);
    expect(truePeak).toBeLessThanOrEqual(CEILING * (1 + 1e-9));
  });

  it('passes a quiet track through untouched, only delayed', () => {
    const quietL = l.map((v) => v * 0.05);
    const quietR = r.map((v) => v * 0.05);
    const { outL, outR, minGain } = limit(quietL, quietR);
    let differs = 0;
    for (let i = 0; i < quietL.length; i++) if (outL[i] !== quietL[i] || outR[i] !== quietR[i]) differs++;
    expect(differs).toBe(0);
    expect(minGain).toBe(1);
  });

  it('recovers to unity gain after a burst: the tail after the release is the input again', () => {
    const [bl, br] = burstyTrack(0.5, 3);
    const tail = Math.round(1.5 * SR);
    const xl = new Float32Array(bl.length + tail);
    const xr = new Float32Array(br.length + tail);
    xl.set(bl);
    xr.set(br);
    for (let i = bl.length; i < xl.length; i++) xl[i] = xr[i] = 0.01 * Math.sin(i / 7);
    const { outL } = limit(xl, xr);
    // 1.2 s after the burst: 15 release time constants, the gain is 1 to float precision.
    for (let i = xl.length - 0.3 * SR; i < xl.length; i++) expect(Math.abs((outL[i] as number) - (xl[i] as number))).toBeLessThan(1e-7);
  });
});

it('writes 16-bit PCM as ffmpeg converts float (× 32768, ties to even, clipped)', async () => {
  const n = 4801;
  // Exact ties (k + ½)/32768 among them, and values past full scale.
  const left = Float32Array.from({ length: n }, (_, i) =>
    i % 9 === 0 ? ((i % 5) - 2 + 0.5) / 32768 : 1.3 * Math.sin(i / 5) + (i % 7) / 70_000,
  );
  const right = Float32Array.from({ length: n }, (_, i) => (i % 11 === 0 ? -1.2 : 0.4 * Math.cos(i / 3)));
  const dir = await mkdtemp(join(tmpdir(), 'pcm16-'));
  try {
    const floatWav = join(dir, 'f32.wav');
    const ffmpegWav = join(dir, 's16.wav');
    await writeFile(floatWav, encodeWavFloat32([left, right], SR));
    await promisify(execFile)(binaries().ffmpeg, ['-v', 'error', '-y', '-i', floatWav, '-c:a', 'pcm_s16le', ffmpegWav]);
    const theirs = await readFile(ffmpegWav);
    const silent = new Float32Array(n);
    const ours = masterStems(
      [left, right, silent, silent],
      { bed: 1, events: 0 },
      { ceiling: Number.POSITIVE_INFINITY, lookaheadS: 1 / SR, releaseS: RELEASE_S },
      SR,
    ).pcm16;
    // ffmpeg's header may carry extra chunks; the samples are the data chunk's tail.
    expect(Buffer.from(ours).equals(theirs.subarray(theirs.length - 4 * n))).toBe(true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it('keeps its memory flat over a long track: events are recycled, only the 5 ms statistics grow', () => {
  // Busy material: three onsets a second and steady motion, with drops, bubbles and grains.
  const synthetic = (seconds: number): AnalysisResult => {
    const fps = 10;
    const frames = seconds * fps;
    return {
      times: Float64Array.from({ length: frames }, (_, i) => i / fps),
      motion: Float32Array.from({ length: frames }, (_, i) => 0.05 + 0.05 * Math.sin(i / 7)),
      pan: Float32Array.from({ length: frames }, (_, i) => Math.sin(i / 30)),
      onsets: Array.from({ length: seconds * 3 }, (_, i) => ({
        frame: Math.round((i * fps) / 3),
        time: i / 3,
        strength: 1,
        pan: 0,
        y: 0,
        step: i,
      })),
      cuts: [],
      scenes: [{ start: 0, end: seconds, brightness: 0.5, cb: 0, cr: 0, motion: 0.1 }],
      cadences: [],
      duration: seconds,
    };
  };
  const used = (preset: string, seconds: number): number => {
    const dsp = new FoleyDsp();
    const job = { analysis: synthetic(seconds), preset: PRESETS.find((p) => p.name === preset)!, seed: 1, durationS: seconds };
    for (const _ of renderStems(job, SR, seconds * SR, dsp));
    return dsp.memoryBytes();
  };
  for (const preset of ['water', 'rain']) {
    const short = used(preset, 30);
    const long = used(preset, 300);
    // 270 s more: 1.3 MB of statistics (24 bytes per 5 ms), and room for the memory's 64 KiB pages.
    expect(long - short).toBeLessThan(2.5 * 2 ** 20);
  }
});
