/**
 * @module Predicts the master's integrated loudness at a pair of stem gains, through the limiter,
 * from the 5 ms segment statistics of the stems. The limiter is played per segment (in the engine,
 * assembly/model.ts, where the statistics already are): the
 * segment's peak sets the gain it needs, the gain drops at once and recovers with the limiter's
 * release, and the segment's K-weighted energy is scaled by that gain squared. Within a few tenths
 * of an LU of a real limiter pass on sparse, punchy tracks (where limiting costs 2–10 LU), at a
 * few microseconds per second of audio: the gain search runs on this, and the real limiter runs
 * once to produce the track and confirm.
 */
import { gatedLoudness } from './loudness.js';

/**
 * The limiter the model stands for (assembly/limiter.ts): stereo-linked, 4× true-peak detector,
 * gain = moving mean over the lookahead of the moving minimum of the gain each sample needs (so
 * it ramps down over the lookahead and never lets a peak through), one-pole release.
 */
export const LOOKAHEAD_S = 0.002;
export const RELEASE_S = 0.08;

export interface LimiterModel {
  /** Linear true-peak ceiling of the limiter; `Infinity` for no limiter. */
  ceiling: number;
  /** Release time constant (s). */
  releaseS?: number;
}

/** Where the segment statistics live (the engine that gathered them) and what it computes on them. */
export interface SegmentSource {
  /** Samples per loudness step (100 ms). */
  stepLength: number;
  /** K-weighted energy of each whole step of the limited master at these gains (assembly/model.ts). */
  limitedSteps(bedGain: number, eventsGain: number, ceiling: number, releaseS: number): Float64Array;
}

/**
 * Loudness (LUFS) of `bedGain × bed + eventsGain × events` after the limiter. With equal gains the
 * energies and peaks are those of the real sum; otherwise the stems' energies add (uncorrelated)
 * and their peaks add (a bound).
 */
export function predictLoudness(stats: SegmentSource, bedGain: number, eventsGain: number, model: LimiterModel): number {
  return gatedLoudness(stats.limitedSteps(bedGain, eventsGain, model.ceiling, model.releaseS ?? RELEASE_S), stats.stepLength);
}
