/**
 * @module Seeded randomness. Each voice draws from its own stream derived from (seed, stream id),
 * so adding an event does not shift the noise of the bed: same seed + same input → same audio.
 */

/** sfc32: small, fast, passes PractRand to 2^40; 32-bit state words. Returns floats in [0, 1). */
export type Rng = () => number;

function mix32(x: number): number {
  // splitmix32-style avalanche; used to spread (seed, stream) into independent states.
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

export function createRng(seed: number, stream = 0): Rng {
  let a = mix32(seed ^ 0x9e3779b9);
  let b = mix32(a ^ Math.imul(stream + 1, 0x85ebca6b));
  let c = mix32(b ^ 0xc2b2ae35);
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A random seed for jobs that did not give one (echoed back so the result can be reproduced). */
export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * 4294967296) >>> 0;
}
