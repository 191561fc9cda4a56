/**
 * @module Coarse statistics of the two unmastered stems: per 5 ms segment, the sample peak of the
 * bed, of the events and of their sum, and the K-weighted energy (BS.1770) of each. Enough to
 * predict the master's loudness at any pair of stem gains, limiter included (limiter-model.ts),
 * without running the limiter. Gathered during synthesis (assembly/stats.ts, in this layout);
 * 24 bytes per segment, 17 MB for an hour.
 */

/** Where each value sits within a segment, and how many there are. */
export const SEGMENT_FIELDS = { BED_PEAK: 0, EVENTS_PEAK: 1, MIX_PEAK: 2, BED_ENERGY: 3, EVENTS_ENERGY: 4, MIX_ENERGY: 5, FIELDS: 6 } as const;
/** Segments in one 100 ms loudness step. */
export const SEGMENTS_PER_STEP = 20;

export interface StemStats {
  sampleRate: number;
  /** Samples per segment (5 ms). */
  segment: number;
  /** Samples per loudness step (100 ms): SEGMENTS_PER_STEP segments. */
  stepLength: number;
  /** Complete segments. */
  segments: number;
  /** `segments` × FIELDS numbers. */
  data: Float32Array;
}

/** Samples per segment at `sampleRate`. */
export function segmentLength(sampleRate: number): number {
  return Math.max(1, Math.round(sampleRate / 200));
}

/** Wraps the segment values gathered for a track. */
export function stemStats(sampleRate: number, data: Float32Array): StemStats {
  const segment = segmentLength(sampleRate);
  return { sampleRate, segment, stepLength: segment * SEGMENTS_PER_STEP, segments: Math.floor(data.length / SEGMENT_FIELDS.FIELDS), data };
}
