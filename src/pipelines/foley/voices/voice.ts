/**
 * @module The contract every voice keeps: add its sound for absolute samples [start, start+len)
 * into the block buffers, keeping whatever state it needs between blocks, so a track rendered in
 * blocks of any size is the same, sample for sample, as one rendered whole.
 */
export interface Voice {
  render(left: Float32Array, right: Float32Array, start: number, len: number): void;
}

/** Uniform white noise in [−1, 1). */
export function white(rng: () => number): number {
  return rng() * 2 - 1;
}
