/**
 * @module Coarse statistics of the two unmastered stems, gathered by the engine during synthesis
 * (assembly/stats.ts): per 5 ms segment, the sample peak of the bed, of the events and of their
 * sum, and the K-weighted energy (BS.1770) of each. Enough to predict the master's loudness at any
 * pair of stem gains, limiter included (limiter-model.ts), without running the limiter.
 * 24 bytes per segment: 17 MB for an hour.
 */

/** Segments in one 100 ms loudness step. */
export const SEGMENTS_PER_STEP = 20;

/** Samples per segment at `sampleRate` (5 ms). */
export function segmentLength(sampleRate: number): number {
  return Math.max(1, Math.round(sampleRate / 200));
}
