// Seeded randomness: sfc32 (small, fast, passes PractRand to 2^40), one stream per voice derived
// from (seed, stream id) by a splitmix32-style avalanche, so adding an event does not shift the
// noise of the bed: same seed + same input → same audio.

function mix32(x: u32): u32 {
  x = (x ^ (x >>> 16)) * 0x21f0aaad;
  x = (x ^ (x >>> 15)) * 0x735a2d97;
  return x ^ (x >>> 15);
}

export class Rng {
  a: u32 = 0;
  b: u32 = 0;
  c: u32 = 0;
  d: u32 = 1;

  constructor(seed: u32, stream: u32) {
    this.reseed(seed, stream);
  }

  /** Starts the stream of (seed, stream) over: a recycled generator is as good as a new one. */
  reseed(seed: u32, stream: u32): void {
    this.a = mix32(seed ^ 0x9e3779b9);
    this.b = mix32(this.a ^ ((stream + 1) * 0x85ebca6b));
    this.c = mix32(this.b ^ 0xc2b2ae35);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): f64 {
    const t: u32 = this.a + this.b + this.d;
    this.d += 1;
    this.a = this.b ^ (this.b >>> 9);
    this.b = this.c + (this.c << 3);
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c += t;
    return <f64>t / 4294967296.0;
  }

  /** Uniform in [−1, 1). */
  white(): f64 {
    return this.next() * 2 - 1;
  }
}
