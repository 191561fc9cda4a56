/**
 * @module Resampling RGB24 images into model input tensors, in TypeScript (no extra decode pass):
 * a whole frame stretched to the detector's size, or a square region (possibly reaching outside
 * the frame, filled black as @vladmandic/human pads) to the pose model's. Bilinear, with the
 * sampling grid of TF's default `resizeBilinear` (corners not aligned, no half-pixel offset) for
 * whole frames, as human feeds CenterNet, and pixel-centre sampling for crops.
 */
import type { RgbImage } from './types.js';

/** Writes `img` resized to w×h as float 0..255 NHWC into `out` at `offset` (w·h·3 values). */
export function resizeToFloat(img: RgbImage, to: { width: number; height: number }, out: Float32Array, offset: number): void {
  const { width: w, height: h } = to;
  const { width: W, height: H, data } = img;
  if (W === w && H === h) {
    for (let i = 0; i < w * h * 3; i++) out[offset + i] = data[i]!;
    return;
  }
  const sy = H / h;
  const sx = W / w;
  for (let y = 0; y < h; y++) {
    const fy = y * sy;
    const y0 = Math.min(Math.floor(fy), H - 1);
    const y1 = Math.min(y0 + 1, H - 1);
    const dy = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = x * sx;
      const x0 = Math.min(Math.floor(fx), W - 1);
      const x1 = Math.min(x0 + 1, W - 1);
      const dx = fx - x0;
      const a = (y0 * W + x0) * 3;
      const b = (y0 * W + x1) * 3;
      const c = (y1 * W + x0) * 3;
      const d = (y1 * W + x1) * 3;
      const o = offset + (y * w + x) * 3;
      for (let k = 0; k < 3; k++) {
        const top = data[a + k]! + (data[b + k]! - data[a + k]!) * dx;
        const bottom = data[c + k]! + (data[d + k]! - data[c + k]!) * dx;
        out[o + k] = top + (bottom - top) * dy;
      }
    }
  }
}

/** A square region of the image in pixels: top-left corner and side (may extend past the edges). */
export interface SquareRegion {
  x: number;
  y: number;
  side: number;
}

/**
 * Writes the square `r` of `img` resampled to size×size as int32 0..255 NHWC into `out` at
 * `offset`; pixels outside the image are black. Values are truncated, as human casts to int32.
 */
export function cropToInt(img: RgbImage, crop: { region: SquareRegion; size: number }, out: Int32Array, offset: number): void {
  const { region: r, size } = crop;
  const { width: W, height: H, data } = img;
  const s = r.side / size;
  const px = (xx: number, yy: number, k: number): number => (xx < 0 || yy < 0 || xx >= W || yy >= H ? 0 : data[(yy * W + xx) * 3 + k]!);
  // The columns' sample positions are the same on every row: worked out once. Inside the image
  // the four neighbours are read directly (the bounds-checked path made a crop ~5 ms of JavaScript,
  // a third of the pose model's own time per person); the arithmetic is the same, so are the values.
  const xs = new Int32Array(size);
  const dxs = new Float64Array(size);
  for (let u = 0; u < size; u++) {
    const fx = r.x + (u + 0.5) * s - 0.5;
    xs[u] = Math.floor(fx);
    dxs[u] = fx - xs[u]!;
  }
  for (let v = 0; v < size; v++) {
    const fy = r.y + (v + 0.5) * s - 0.5;
    const y0 = Math.floor(fy);
    const dy = fy - y0;
    const rowInside = y0 >= 0 && y0 + 1 < H;
    for (let u = 0; u < size; u++) {
      const x0 = xs[u]!;
      const dx = dxs[u]!;
      const o = offset + (v * size + u) * 3;
      if (rowInside && x0 >= 0 && x0 + 1 < W) {
        const a = (y0 * W + x0) * 3;
        const c = a + W * 3;
        for (let k = 0; k < 3; k++) {
          const p00 = data[a + k]!;
          const p10 = data[c + k]!;
          const top = p00 + (data[a + 3 + k]! - p00) * dx;
          const bottom = p10 + (data[c + 3 + k]! - p10) * dx;
          out[o + k] = Math.trunc(top + (bottom - top) * dy);
        }
        continue;
      }
      for (let k = 0; k < 3; k++) {
        const top = px(x0, y0, k) + (px(x0 + 1, y0, k) - px(x0, y0, k)) * dx;
        const bottom = px(x0, y0 + 1, k) + (px(x0 + 1, y0 + 1, k) - px(x0, y0 + 1, k)) * dx;
        out[o + k] = Math.trunc(top + (bottom - top) * dy);
      }
    }
  }
}
