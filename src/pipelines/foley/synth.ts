/**
 * @module Whole-track synthesis in memory (pure): `renderFoley` collected into two channels. For
 * tests and short clips; the worker streams blocks to disk instead (synth-worker.ts).
 */
import type { AnalysisResult } from './analysis.js';
import type { Preset } from './presets.js';
import { renderFoley, SAMPLE_RATE, type RenderJob, type RenderReport } from './render.js';

export { SAMPLE_RATE } from './render.js';

/** True-peak ceiling of the master (−1 dBTP) as a linear sample value: no sample exceeds it. */
export const PEAK_CEILING = 0.891;

export interface SynthOptions {
  analysis: AnalysisResult;
  preset: Preset;
  seed: number;
  /** Length of the track in seconds (the video's end). */
  durationS: number;
  sampleRate?: number;
  /** Presets over time (render.ts, RenderJob.timeline). */
  timeline?: RenderJob['timeline'];
}

export interface SynthResult extends RenderReport {
  left: Float32Array;
  right: Float32Array;
  /** Largest absolute sample. */
  peak: number;
}

export function synthesize(o: SynthOptions): SynthResult {
  const sr = o.sampleRate ?? SAMPLE_RATE;
  const length = Math.max(1, Math.round(o.durationS * sr));
  const left = new Float32Array(length);
  const right = new Float32Array(length);
  let at = 0;
  let peak = 0;
  const restartSink = (): void => {
    at = 0;
    peak = 0;
  };
  const report = renderFoley(
    { ...o, sampleRate: sr },
    ({ interleaved: buf, frames }) => {
      for (let i = 0; i < frames; i++) {
        const l = buf[2 * i] as number;
        const r = buf[2 * i + 1] as number;
        left[at] = l;
        right[at] = r;
        peak = Math.max(peak, Math.abs(l), Math.abs(r));
        at++;
      }
    },
    { restartSink },
  );
  return { ...report, left, right, peak };
}
