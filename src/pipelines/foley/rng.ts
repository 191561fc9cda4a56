/**
 * @module Seeds. The engine's randomness is seeded per voice from (seed, stream id) inside the
 * engine (assembly/rng.ts: sfc32), so adding an event does not shift the noise of the bed: same
 * seed + same input → same audio.
 */

/** A random seed for jobs that did not give one (echoed back so the result can be reproduced). */
export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * 4294967296) >>> 0;
}
