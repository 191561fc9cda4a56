/**
 * @module A preset timeline: the engine switches preset at given times (scene boundaries) with an
 * equal-power crossfade. Each entry gets its own engine instance, configured for the whole track
 * but rendering only the blocks of its span (and the crossfades at its ends); instances are
 * created when their span starts and dropped when it ends, so at most two run at once. Their
 * stems are mixed block by block, and the mix's statistics go to the `master` instance, whose
 * limiter model and passes then master the track as one. Voices keep their own state from where
 * they start (a hit's tail that began before the span is heard from the span's start, faded in).
 */
import type { AnalysisResult } from '../analysis.js';
import type { Preset } from '../presets.js';
import type { Stems } from './stems.js';
import { segmentLength } from './stem-stats.js';
import { BLOCK, FoleyDsp } from './wasm.js';

export interface TimelineEntry {
  /** When this preset takes over (s); the first entry's start is taken as 0. */
  start: number;
  preset: Preset;
}

/** Length of the crossfade between two entries (s), centred on the boundary: as the bed's across a cut. */
export const TIMELINE_CROSSFADE_S = 0.3;

interface Span {
  preset: Preset;
  /** Samples where the entry is heard at all: [from, to), crossfades included. */
  from: number;
  to: number;
  /** Boundary samples at its start and end (-1: the track's own edge, no fade). */
  inAt: number;
  outAt: number;
  dsp?: FoleyDsp;
}

/** The entries in time order, each with the samples it covers. */
function spans(timeline: readonly TimelineEntry[], sr: number, length: number): Span[] {
  const half = Math.round((TIMELINE_CROSSFADE_S * sr) / 2);
  const sorted = [...timeline].sort((a, b) => a.start - b.start);
  const at = sorted.map((e, i) => (i === 0 ? 0 : Math.min(length, Math.max(0, Math.round(e.start * sr)))));
  return sorted.map((e, i) => {
    const inAt = i === 0 ? -1 : (at[i] as number);
    const outAt = i === sorted.length - 1 ? -1 : (at[i + 1] as number);
    return {
      preset: e.preset,
      inAt,
      outAt,
      from: inAt < 0 ? 0 : Math.max(0, inAt - half),
      to: outAt < 0 ? length : Math.min(length, outAt + half),
    };
  });
}

/** Equal-power weight of a span at sample `n`. */
function weight(s: Span, n: number, half: number): number {
  let w = 1;
  if (s.inAt >= 0 && n < s.inAt + half) w *= Math.sin((Math.PI / 2) * Math.min(1, Math.max(0, (n - (s.inAt - half)) / (2 * half))));
  if (s.outAt >= 0 && n >= s.outAt - half) w *= Math.cos((Math.PI / 2) * Math.min(1, Math.max(0, (n - (s.outAt - half)) / (2 * half))));
  return w;
}

/**
 * The unmastered track of a timeline, block by block (as render.ts' renderStems yields for one
 * preset). `master` gathers the statistics of the mix for mastering.
 */
export function* timelineStems(
  job: { analysis: AnalysisResult; seed: number; timeline: readonly TimelineEntry[] },
  sr: number,
  length: number,
  master: FoleyDsp,
): Generator<Stems> {
  const half = Math.max(1, Math.round((TIMELINE_CROSSFADE_S * sr) / 2));
  const list = spans(job.timeline, sr, length);
  const segment = segmentLength(sr);
  master.setTrack(sr, length);
  master.statsBegin(segment, length);
  const out = [0, 1, 2, 3].map(() => new Float32Array(BLOCK)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  for (let start = 0; start < length; start += BLOCK) {
    const len = Math.min(BLOCK, length - start);
    for (const o of out) o.fill(0, 0, len);
    for (const s of list) {
      if (s.to <= start || s.from >= start + len) {
        // Past its span: free its engine.
        if (s.to <= start) delete s.dsp;
        continue;
      }
      if (!s.dsp) {
        s.dsp = new FoleyDsp();
        s.dsp.configure({ analysis: job.analysis, preset: s.preset, seed: job.seed, sampleRate: sr, length, segment });
      }
      s.dsp.renderBlock(start, len);
      const stems = s.dsp.stems();
      for (let i = 0; i < len; i++) {
        const w = weight(s, start + i, half);
        if (w === 0) continue;
        for (let k = 0; k < 4; k++)
          (out[k] as Float32Array)[i] = ((out[k] as Float32Array)[i] as number) + w * ((stems[k] as Float32Array)[i] as number);
      }
    }
    master.statsPush(out, len);
    yield { start, len, bedL: out[0], bedR: out[1], evL: out[2], evR: out[3] };
  }
}
