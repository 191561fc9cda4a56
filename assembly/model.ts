// The limiter model's inner loop (its design: src/pipelines/foley/dsp/limiter-model.ts): plays
// the limiter on the 5 ms segment statistics of the stems at a pair of gains and sums the
// limited K-weighted energy per 100 ms step, for the host to gate into a loudness.

import { BED_ENERGY, BED_PEAK, EVENTS_ENERGY, EVENTS_PEAK, FIELDS, MIX_ENERGY, MIX_PEAK } from './stats';

/**
 * Fills `steps` with the limited energy of each whole step of `perStep` segments and returns how
 * many. With equal gains the energies and peaks are those of the real sum; otherwise the stems'
 * energies add (uncorrelated) and their peaks add (a bound).
 */
export function limitedSteps(
  data: StaticArray<f32>, segments: i32, perStep: i32, segmentRate: f64,
  bedGain: f64, eventsGain: f64, ceiling: f64, releaseS: f64, steps: StaticArray<f64>
): i32 {
  const count = min(segments / perStep, steps.length);
  const same = bedGain == eventsGain;
  const b2 = bedGain * bedGain;
  const e2 = eventsGain * eventsGain;
  const release = 1 - Math.exp(-1 / (releaseS * segmentRate));
  let g: f64 = 1;
  let s = 0;
  for (let k = 0; k < count; k++) {
    let sum: f64 = 0;
    for (let q = 0; q < perStep; q++, s++) {
      const at = FIELDS * s;
      const peak = same
        ? eventsGain * <f64>unchecked(data[at + MIX_PEAK])
        : bedGain * <f64>unchecked(data[at + BED_PEAK]) + eventsGain * <f64>unchecked(data[at + EVENTS_PEAK]);
      const need = peak > ceiling ? ceiling / peak : 1;
      g = need < g ? need : g + release * (need - g);
      const energy = same
        ? e2 * <f64>unchecked(data[at + MIX_ENERGY])
        : b2 * <f64>unchecked(data[at + BED_ENERGY]) + e2 * <f64>unchecked(data[at + EVENTS_ENERGY]);
      sum += g * g * energy;
    }
    unchecked(steps[k] = sum);
  }
  return count;
}
