/**
 * @module Colour fix for super-resolution: the model's luma (the detail it restores) on the source
 * frame's chroma, upsampled bilinearly. The embedded ESRGAN models restore luma about as well as
 * bicubic or better, but shift colours: measured on real footage, their RGB PSNR sits 0.5–2 dB
 * under their luma PSNR, and under bicubic's. Chroma carries little detail (H.264's 4:2:0 halves
 * it again on the way out), so taking it from the source costs nothing visible and removes the
 * shift — the same idea as the colour correction of StableSR and SeedVR2.
 *
 * YCbCr is BT.601 full range, the transform the quality figures (quality.ts) use for luma.
 */

const KR = 0.299;
const KB = 0.114;
const KG = 1 - KR - KB;

/** Bilinear taps along one axis, pixel centres aligned (output x ↔ input (x + 0.5)/s − 0.5). */
function taps(outSize: number, inSize: number, scale: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const f = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const x = Math.min(inSize - 1, Math.max(0, (o + 0.5) / scale - 0.5));
    const lo = Math.floor(x);
    i0[o] = lo;
    i1[o] = Math.min(inSize - 1, lo + 1);
    f[o] = x - lo;
  }
  return { i0, i1, f };
}

export class ChromaFromSource {
  private readonly cols: ReturnType<typeof taps>;
  private readonly rows: ReturnType<typeof taps>;
  private readonly cb: Float32Array;
  private readonly cr: Float32Array;

  constructor(
    readonly inWidth: number,
    readonly inHeight: number,
    readonly scale: number,
  ) {
    this.cols = taps(inWidth * scale, inWidth, scale);
    this.rows = taps(inHeight * scale, inHeight, scale);
    this.cb = new Float32Array(inWidth * inHeight);
    this.cr = new Float32Array(inWidth * inHeight);
  }

  /**
   * Replaces the chroma of `out` (rgb24, inWidth·scale × inHeight·scale, interleaved) with the
   * chroma of `source` (rgb24, inWidth × inHeight), in place; luma stays the model's.
   */
  apply(out: Uint8Array, source: Uint8Array): void {
    const { inWidth: w, inHeight: h, cb, cr } = this;
    const ow = w * this.scale;
    const oh = h * this.scale;
    if (source.length !== w * h * 3 || out.length !== ow * oh * 3)
      throw new RangeError(`colour fix: frames of ${w}×${h} and ${ow}×${oh} expected`);
    // Source chroma, centred on 0.
    for (let p = 0, q = 0; p < w * h; p++, q += 3) {
      const r = source[q] as number;
      const g = source[q + 1] as number;
      const b = source[q + 2] as number;
      const y = KR * r + KG * g + KB * b;
      cb[p] = (b - y) / (2 * (1 - KB));
      cr[p] = (r - y) / (2 * (1 - KR));
    }
    const bytes = new Uint8ClampedArray(out.buffer, out.byteOffset, out.length);
    const { i0: x0, i1: x1, f: fx } = this.cols;
    for (let Y = 0; Y < oh; Y++) {
      const r0 = (this.rows.i0[Y] as number) * w;
      const r1 = (this.rows.i1[Y] as number) * w;
      const fy = this.rows.f[Y] as number;
      let q = Y * ow * 3;
      for (let X = 0; X < ow; X++, q += 3) {
        const a = x0[X] as number;
        const c = x1[X] as number;
        const t = fx[X] as number;
        const top = (cb[r0 + a] as number) + t * ((cb[r0 + c] as number) - (cb[r0 + a] as number));
        const bottom = (cb[r1 + a] as number) + t * ((cb[r1 + c] as number) - (cb[r1 + a] as number));
        const u = top + fy * (bottom - top);
        const topR = (cr[r0 + a] as number) + t * ((cr[r0 + c] as number) - (cr[r0 + a] as number));
        const bottomR = (cr[r1 + a] as number) + t * ((cr[r1 + c] as number) - (cr[r1 + a] as number));
        const v = topR + fy * (bottomR - topR);
        const y = KR * (out[q] as number) + KG * (out[q + 1] as number) + KB * (out[q + 2] as number);
        bytes[q] = y + 2 * (1 - KR) * v;
        bytes[q + 1] = y - ((2 * KB * (1 - KB)) / KG) * u - ((2 * KR * (1 - KR)) / KG) * v;
        bytes[q + 2] = y + 2 * (1 - KB) * u;
      }
    }
  }
}
