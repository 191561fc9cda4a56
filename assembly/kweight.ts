// K-weighting (BS.1770) as two biquads per channel, coefficients from the host (loudness.ts).

/** b0 b1 b2 a1 a2 of the shelf, then of the high-pass. */
export const K = new StaticArray<f64>(10);

/** One channel's state: shelf x1 x2 y1 y2, high-pass x1 x2 y1 y2. */
export class KFilter {
  x1: f64 = 0; x2: f64 = 0; y1: f64 = 0; y2: f64 = 0;
  u1: f64 = 0; u2: f64 = 0; v1: f64 = 0; v2: f64 = 0;
}

/**
 * K-weights two channels at once into outA, outB, carrying the filters' states. State and
 * coefficients live in locals (registers, not memory), and the two independent recurrences
 * interleave, which roughly halves the time per sample of one after the other.
 */
export function kWeight2(fa: KFilter, fb: KFilter, a: StaticArray<f32>, b: StaticArray<f32>, outA: StaticArray<f64>, outB: StaticArray<f64>, len: i32): void {
  const b0 = K[0], b1 = K[1], b2 = K[2], a1 = K[3], a2 = K[4];
  const h0 = K[5], h1 = K[6], h2 = K[7], g1 = K[8], g2 = K[9];
  let ax1 = fa.x1, ax2 = fa.x2, ay1 = fa.y1, ay2 = fa.y2, au1 = fa.u1, au2 = fa.u2, av1 = fa.v1, av2 = fa.v2;
  let bx1 = fb.x1, bx2 = fb.x2, by1 = fb.y1, by2 = fb.y2, bu1 = fb.u1, bu2 = fb.u2, bv1 = fb.v1, bv2 = fb.v2;
  for (let i = 0; i < len; i++) {
    const xa = <f64>unchecked(a[i]);
    const xb = <f64>unchecked(b[i]);
    const ya = b0 * xa + b1 * ax1 + b2 * ax2 - a1 * ay1 - a2 * ay2;
    const yb = b0 * xb + b1 * bx1 + b2 * bx2 - a1 * by1 - a2 * by2;
    ax2 = ax1; ax1 = xa; ay2 = ay1; ay1 = ya;
    bx2 = bx1; bx1 = xb; by2 = by1; by1 = yb;
    const va = h0 * ya + h1 * au1 + h2 * au2 - g1 * av1 - g2 * av2;
    const vb = h0 * yb + h1 * bu1 + h2 * bu2 - g1 * bv1 - g2 * bv2;
    au2 = au1; au1 = ya; av2 = av1; av1 = va;
    bu2 = bu1; bu1 = yb; bv2 = bv1; bv1 = vb;
    unchecked(outA[i] = va);
    unchecked(outB[i] = vb);
  }
  fa.x1 = ax1; fa.x2 = ax2; fa.y1 = ay1; fa.y2 = ay2; fa.u1 = au1; fa.u2 = au2; fa.v1 = av1; fa.v2 = av2;
  fb.x1 = bx1; fb.x2 = bx2; fb.y1 = by1; fb.y2 = by2; fb.u1 = bu1; fb.u2 = bu2; fb.v1 = bv1; fb.v2 = bv2;
}
