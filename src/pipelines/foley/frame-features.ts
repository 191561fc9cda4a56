/**
 * @module Features of one small frame against the previous one (pure). Motion is measured per cell
 * of a coarse grid, so we know where it happened (stereo placement, height) and roughly which way
 * it went (the motion centroid's drift), not just how much.
 */

export const HIST_BINS = 32;
export const GRID_COLS = 8;
export const GRID_ROWS = 4;

export interface FrameFeatures {
  /** Mean |Δluma| / 255 against the previous frame, 0..1 (0 for the first frame). */
  motion: number;
  /** The largest grid cell's mean |Δluma| / 255: small objects stand out here, not in `motion`. */
  peakCell: number;
  /** Horizontal centre of the motion, −1 (left) … 1 (right); 0 when nothing moved. */
  x: number;
  /** Vertical centre of the motion, −1 (top) … 1 (bottom); 0 when nothing moved. */
  y: number;
  /** Half the L1 distance between this frame's luma histogram and the previous one, 0..1. */
  histDistance: number;
  /** Mean luma 0..1. */
  brightness: number;
  /** Mean chroma (Cb, Cr) −0.5..0.5, 0 when the frame has no colour planes. */
  cb: number;
  cr: number;
}

/** Half the L1 distance of two normalised histograms, 0..1. */
export function histDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs((a[i] as number) - (b[i] as number));
  return d / 2;
}

/**
 * Fills `hist` (normalised luma histogram of `frame`'s first width×height bytes) and returns the
 * features against `prev` (null for the first frame). A frame of 3 planes (Y, Cb, Cr: yuv444p)
 * also gives colour; a frame of one plane is gray.
 */
export function frameFeatures(frame: Uint8Array, prev: Uint8Array | null, prevHist: Float64Array | null, hist: Float64Array, width: number, height: number): FrameFeatures {
  const n = width * height;
  const cells = new Float64Array(GRID_COLS * GRID_ROWS);
  hist.fill(0);
  let diffSum = 0;
  let lumaSum = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const gy = ((y * GRID_ROWS) / height) | 0;
    const fy = ((y + 0.5) / height) * 2 - 1;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const v = frame[i] as number;
      lumaSum += v;
      hist[(v * HIST_BINS) >> 8]! += 1;
      if (prev) {
        const d = Math.abs(v - (prev[i] as number));
        if (d === 0) continue;
        diffSum += d;
        cells[gy * GRID_COLS + (((x * GRID_COLS) / width) | 0)]! += d;
        sx += d * (((x + 0.5) / width) * 2 - 1);
        sy += d * fy;
      }
    }
  }
  for (let b = 0; b < HIST_BINS; b++) hist[b] = (hist[b] as number) / n;
  let peakCell = 0;
  const cellPixels = n / (GRID_COLS * GRID_ROWS);
  for (const c of cells) peakCell = Math.max(peakCell, c / (255 * cellPixels));
  let cb = 0;
  let cr = 0;
  if (frame.length >= 3 * n) {
    let su = 0;
    let sv = 0;
    for (let i = n; i < 2 * n; i++) su += frame[i] as number;
    for (let i = 2 * n; i < 3 * n; i++) sv += frame[i] as number;
    cb = su / (255 * n) - 0.5;
    cr = sv / (255 * n) - 0.5;
  }
  return {
    motion: prev ? diffSum / (255 * n) : 0,
    peakCell: prev ? peakCell : 0,
    x: diffSum > 0 ? sx / diffSum : 0,
    y: diffSum > 0 ? sy / diffSum : 0,
    histDistance: prev && prevHist ? histDistance(hist, prevHist) : 0,
    brightness: lumaSum / (255 * n),
    cb,
    cr,
  };
}
