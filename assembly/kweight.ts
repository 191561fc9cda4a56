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
export function kWeight2(
  fa: KFilter, fb: KFilter, a: StaticArray<f32>, b: StaticArray<f32>, outA: StaticArray<f64>, outB: StaticArray<f64>, len: i32
): void {
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

/**
 * K-weights four channels (two stereo pairs) at once: each pair is one SIMD vector, and the two
 * vectors' recurrences interleave. The filter is latency-bound (each sample waits for the last),
 * so four chains in flight take little longer than one.
 */
export function kWeight4(
  fa: KFilter, fb: KFilter, fc: KFilter, fd: KFilter,
  a: StaticArray<f32>, b: StaticArray<f32>, c: StaticArray<f32>, d: StaticArray<f32>,
  outA: StaticArray<f64>, outB: StaticArray<f64>, outC: StaticArray<f64>, outD: StaticArray<f64>, len: i32
): void {
  const b0 = f64x2.splat(K[0]), b1 = f64x2.splat(K[1]), b2 = f64x2.splat(K[2]), a1 = f64x2.splat(K[3]), a2 = f64x2.splat(K[4]);
  const h0 = f64x2.splat(K[5]), h1 = f64x2.splat(K[6]), h2 = f64x2.splat(K[7]), g1 = f64x2.splat(K[8]), g2 = f64x2.splat(K[9]);
  let px1 = f64x2(fa.x1, fb.x1), px2 = f64x2(fa.x2, fb.x2), py1 = f64x2(fa.y1, fb.y1), py2 = f64x2(fa.y2, fb.y2);
  let pu1 = f64x2(fa.u1, fb.u1), pu2 = f64x2(fa.u2, fb.u2), pv1 = f64x2(fa.v1, fb.v1), pv2 = f64x2(fa.v2, fb.v2);
  let qx1 = f64x2(fc.x1, fd.x1), qx2 = f64x2(fc.x2, fd.x2), qy1 = f64x2(fc.y1, fd.y1), qy2 = f64x2(fc.y2, fd.y2);
  let qu1 = f64x2(fc.u1, fd.u1), qu2 = f64x2(fc.u2, fd.u2), qv1 = f64x2(fc.v1, fd.v1), qv2 = f64x2(fc.v2, fd.v2);
  for (let i = 0; i < len; i++) {
    const px = f64x2(<f64>unchecked(a[i]), <f64>unchecked(b[i]));
    const qx = f64x2(<f64>unchecked(c[i]), <f64>unchecked(d[i]));
    const py = f64x2.sub(
      f64x2.sub(f64x2.add(f64x2.add(f64x2.mul(b0, px), f64x2.mul(b1, px1)), f64x2.mul(b2, px2)), f64x2.mul(a1, py1)),
      f64x2.mul(a2, py2)
    );
    const qy = f64x2.sub(
      f64x2.sub(f64x2.add(f64x2.add(f64x2.mul(b0, qx), f64x2.mul(b1, qx1)), f64x2.mul(b2, qx2)), f64x2.mul(a1, qy1)),
      f64x2.mul(a2, qy2)
    );
    px2 = px1; px1 = px; py2 = py1; py1 = py;
    qx2 = qx1; qx1 = qx; qy2 = qy1; qy1 = qy;
    const pv = f64x2.sub(
      f64x2.sub(f64x2.add(f64x2.add(f64x2.mul(h0, py), f64x2.mul(h1, pu1)), f64x2.mul(h2, pu2)), f64x2.mul(g1, pv1)),
      f64x2.mul(g2, pv2)
    );
    const qv = f64x2.sub(
      f64x2.sub(f64x2.add(f64x2.add(f64x2.mul(h0, qy), f64x2.mul(h1, qu1)), f64x2.mul(h2, qu2)), f64x2.mul(g1, qv1)),
      f64x2.mul(g2, qv2)
    );
    pu2 = pu1; pu1 = py; pv2 = pv1; pv1 = pv;
    qu2 = qu1; qu1 = qy; qv2 = qv1; qv1 = qv;
    unchecked(outA[i] = f64x2.extract_lane(pv, 0));
    unchecked(outB[i] = f64x2.extract_lane(pv, 1));
    unchecked(outC[i] = f64x2.extract_lane(qv, 0));
    unchecked(outD[i] = f64x2.extract_lane(qv, 1));
  }
  fa.x1 = f64x2.extract_lane(px1, 0); fb.x1 = f64x2.extract_lane(px1, 1);
  fa.x2 = f64x2.extract_lane(px2, 0); fb.x2 = f64x2.extract_lane(px2, 1);
  fa.y1 = f64x2.extract_lane(py1, 0); fb.y1 = f64x2.extract_lane(py1, 1);
  fa.y2 = f64x2.extract_lane(py2, 0); fb.y2 = f64x2.extract_lane(py2, 1);
  fa.u1 = f64x2.extract_lane(pu1, 0); fb.u1 = f64x2.extract_lane(pu1, 1);
  fa.u2 = f64x2.extract_lane(pu2, 0); fb.u2 = f64x2.extract_lane(pu2, 1);
  fa.v1 = f64x2.extract_lane(pv1, 0); fb.v1 = f64x2.extract_lane(pv1, 1);
  fa.v2 = f64x2.extract_lane(pv2, 0); fb.v2 = f64x2.extract_lane(pv2, 1);
  fc.x1 = f64x2.extract_lane(qx1, 0); fd.x1 = f64x2.extract_lane(qx1, 1);
  fc.x2 = f64x2.extract_lane(qx2, 0); fd.x2 = f64x2.extract_lane(qx2, 1);
  fc.y1 = f64x2.extract_lane(qy1, 0); fd.y1 = f64x2.extract_lane(qy1, 1);
  fc.y2 = f64x2.extract_lane(qy2, 0); fd.y2 = f64x2.extract_lane(qy2, 1);
  fc.u1 = f64x2.extract_lane(qu1, 0); fd.u1 = f64x2.extract_lane(qu1, 1);
  fc.u2 = f64x2.extract_lane(qu2, 0); fd.u2 = f64x2.extract_lane(qu2, 1);
  fc.v1 = f64x2.extract_lane(qv1, 0); fd.v1 = f64x2.extract_lane(qv1, 1);
  fc.v2 = f64x2.extract_lane(qv2, 0); fd.v2 = f64x2.extract_lane(qv2, 1);
}
