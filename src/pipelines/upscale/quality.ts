/**
 * @module Image quality figures for rgb24 frames, to compare a super-resolution model against a
 * plain resize (bicubic) in tests and benchmarks. Pure.
 *
 * - `psnr`: peak signal-to-noise ratio in dB over the RGB samples (default) or over luma; the
 *   peak is 255. Identical images give Infinity.
 * - `ssim`: structural similarity on luma, the reference definition (Wang, Bovik, Sheikh,
 *   Simoncelli 2004): 11×11 Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03, L = 255, averaged over
 *   the windows that fit inside the image (no padding). 1 for identical images.
 * - `sharpness`: variance of the 4-neighbour Laplacian of luma (a standard focus measure): higher
 *   for crisper edges and finer texture; also rises with noise, so compare like with like.
 *
 * Luma is BT.601 (0.299 R + 0.587 G + 0.114 B) on the 0..255 scale, unrounded.
 */

export interface RgbImage {
  /** Interleaved rgb24, width × height × 3 bytes. */
  data: Uint8Array;
  width: number;
  height: number;
}

function check(img: RgbImage): void {
  if (img.data.length !== img.width * img.height * 3) {
    throw new RangeError(`an rgb24 image of ${img.width}×${img.height} has ${img.width * img.height * 3} bytes, got ${img.data.length}`);
  }
}

function sameSize(a: RgbImage, b: RgbImage): void {
  check(a);
  check(b);
  if (a.width !== b.width || a.height !== b.height)
    throw new RangeError(`images differ in size: ${a.width}×${a.height} vs ${b.width}×${b.height}`);
}

/** BT.601 luma, 0..255, one value per pixel. */
export function luma(img: RgbImage): Float64Array {
  check(img);
  const n = img.width * img.height;
  const y = new Float64Array(n);
  const d = img.data;
  for (let p = 0; p < n; p++) y[p] = 0.299 * (d[3 * p] as number) + 0.587 * (d[3 * p + 1] as number) + 0.114 * (d[3 * p + 2] as number);
  return y;
}

/** PSNR in dB, peak 255, over `on` (`rgb`: every sample; `luma`: BT.601 luma). */
export function psnr(a: RgbImage, b: RgbImage, on: 'rgb' | 'luma' = 'rgb'): number {
  sameSize(a, b);
  let sum = 0;
  let n: number;
  if (on === 'rgb') {
    n = a.data.length;
    for (let i = 0; i < n; i++) {
      const e = (a.data[i] as number) - (b.data[i] as number);
      sum += e * e;
    }
  } else {
    const ya = luma(a);
    const yb = luma(b);
    n = ya.length;
    for (let i = 0; i < n; i++) {
      const e = (ya[i] as number) - (yb[i] as number);
      sum += e * e;
    }
  }
  const mse = sum / n;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

const WINDOW = 11;
const SIGMA = 1.5;
const GAUSS = (() => {
  const g = Float64Array.from({ length: WINDOW }, (_, i) => Math.exp(-((i - (WINDOW >> 1)) ** 2) / (2 * SIGMA * SIGMA)));
  const total = g.reduce((s, v) => s + v, 0);
  return g.map((v) => v / total);
})();

/** `src` (w×h) filtered by the separable Gaussian, valid region only: (w−10)×(h−10). */
function gaussValid(src: Float64Array, w: number, h: number): Float64Array {
  const ow = w - WINDOW + 1;
  const oh = h - WINDOW + 1;
  const rows = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < WINDOW; k++) s += (GAUSS[k] as number) * (src[y * w + x + k] as number);
      rows[y * ow + x] = s;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < WINDOW; k++) s += (GAUSS[k] as number) * (rows[(y + k) * ow + x] as number);
      out[y * ow + x] = s;
    }
  }
  return out;
}

/** Mean SSIM on luma (see the module header). Images must be at least 11×11. */
export function ssim(a: RgbImage, b: RgbImage): number {
  sameSize(a, b);
  const { width: w, height: h } = a;
  if (w < WINDOW || h < WINDOW) throw new RangeError(`SSIM needs images of at least ${WINDOW}×${WINDOW}, got ${w}×${h}`);
  const x = luma(a);
  const y = luma(b);
  const n = w * h;
  const xx = new Float64Array(n);
  const yy = new Float64Array(n);
  const xy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xv = x[i] as number;
    const yv = y[i] as number;
    xx[i] = xv * xv;
    yy[i] = yv * yv;
    xy[i] = xv * yv;
  }
  const [mx, my, sxx, syy, sxy] = [x, y, xx, yy, xy].map((m) => gaussValid(m, w, h)) as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let total = 0;
  for (let i = 0; i < mx.length; i++) {
    const ux = mx[i] as number;
    const uy = my[i] as number;
    const vx = (sxx[i] as number) - ux * ux;
    const vy = (syy[i] as number) - uy * uy;
    const cxy = (sxy[i] as number) - ux * uy;
    total += ((2 * ux * uy + c1) * (2 * cxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
  }
  return total / mx.length;
}

/** Variance of the 4-neighbour Laplacian of luma over the interior pixels (see the module header). */
export function sharpness(img: RgbImage): number {
  const { width: w, height: h } = img;
  if (w < 3 || h < 3) throw new RangeError(`sharpness needs images of at least 3×3, got ${w}×${h}`);
  const y = luma(img);
  let sum = 0;
  let sum2 = 0;
  const n = (w - 2) * (h - 2);
  for (let r = 1; r < h - 1; r++) {
    for (let c = 1; c < w - 1; c++) {
      const i = r * w + c;
      const lap = (y[i - 1] as number) + (y[i + 1] as number) + (y[i - w] as number) + (y[i + w] as number) - 4 * (y[i] as number);
      sum += lap;
      sum2 += lap * lap;
    }
  }
  const mean = sum / n;
  return sum2 / n - mean * mean;
}
