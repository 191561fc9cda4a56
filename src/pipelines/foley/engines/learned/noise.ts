/**
 * @module The sampler's starting noise, from the job's seed: a standard normal latent per window,
 * the same for the same (seed, window) on every machine (sfc32 seeded by splitmix32, Box–Muller in
 * float64, rounded to float32), so a seed reproduces a result on the same provider.
 */

function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function sfc32(seed: number, stream: number): () => number {
  const mix = splitmix32((seed ^ Math.imul(stream + 1, 0x27d4eb2d)) >>> 0);
  let a = mix();
  let b = mix();
  let c = mix();
  let d = 1;
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** `count` standard normal values for window `stream` of the job seeded `seed`. */
export function gaussianNoise(o: { seed: number; stream: number; count: number }): Float32Array {
  const rand = sfc32(o.seed, o.stream);
  const out = new Float32Array(o.count);
  for (let i = 0; i < o.count; i += 2) {
    // 1 − u keeps the logarithm's argument in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const theta = 2 * Math.PI * rand();
    out[i] = r * Math.cos(theta);
    if (i + 1 < o.count) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}
