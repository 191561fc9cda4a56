/**
 * @module Features of one small frame against the previous one (pure). Motion is measured per cell
 * of a coarse grid, so we know where it happened (stereo placement, height) and roughly which way
 * it went (the motion centroid's drift), not just how much. A finer grid of block means is the
 * frame's layout for cut detection: two shots with the same colours still differ in where things are.
 * On the same grid, the edge energy across and down each block is the frame's structure: two shots
 * of the same palette and the same rough layout (two night streets, a man facing the other way)
 * still put their edges in different places, while a fade only scales them.
 */

export const HIST_BINS = 32;
export const GRID_COLS = 8;
export const GRID_ROWS = 4;
/** The layout grid (block means) that cut detection compares. */
export const BLOCK_COLS = 16;
export const BLOCK_ROWS = 8;
/** A block whose mean moved by this much (0..1) counts toward a layout change's spread. */
export const SPREAD_LEVEL = 0.04;
/** Edge channels per block: luma steps across (|∂x|) and down (|∂y|), a coarse orientation signature. */
export const EDGE_CHANNELS = 2;
/**
 * Mean edge energy (0..1 of full scale per pixel) below which a frame has no structure to compare:
 * black, a flat colour, the first frames of a fade from black, where only coding noise has edges.
 */
export const EDGE_FLOOR = 1 / 255;
/** A pixel whose luma moved more than this (of 255) counts toward the changed area. */
export const CHANGED_LEVEL = 24;

export interface FrameFeatures {
  /** Mean |Δluma| / 255 against the previous frame, 0..1 (0 for the first frame). */
  motion: number;
  /** The largest grid cell's mean |Δluma| / 255: small objects stand out here, not in `motion`. */
  peakCell: number;
  /** Which grid cell (row × GRID_COLS + column) that was. */
  peakIndex: number;
  /** Horizontal centre of the motion, −1 (left) … 1 (right); 0 when nothing moved. */
  x: number;
  /** Vertical centre of the motion, −1 (top) … 1 (bottom); 0 when nothing moved. */
  y: number;
  /** Half the L1 distance between this frame's luma histogram and the previous one, 0..1. */
  histDistance: number;
  /**
   * Fraction of the frame's pixels whose luma changed by more than CHANGED_LEVEL: how much of the
   * picture the change covers (a blink is a few pixels, a step a leg, a flash everything).
   */
  area: number;
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
 * also gives colour; a frame of one plane is gray. `blocks`, when given, receives the block means
 * (BLOCK_COLS × BLOCK_ROWS, 0..1); `cellsOut` each grid cell's mean |Δluma| / 255.
 */
export interface FrameInput {
  frame: Uint8Array;
  /** The frame before, and its histogram (null for the first frame). */
  prev: Uint8Array | null;
  prevHist: Float64Array | null;
  /** Filled with this frame's histogram. */
  hist: Float64Array;
  width: number;
  height: number;
  blocks?: Float64Array | undefined;
  /** Receives the edge energy per block and channel (BLOCK_COLS × BLOCK_ROWS × EDGE_CHANNELS, 0..1). */
  edges?: Float64Array | undefined;
  cellsOut?: Float64Array | undefined;
}

export function frameFeatures({ frame, prev, prevHist, hist, width, height, blocks, edges, cellsOut }: FrameInput): FrameFeatures {
  const n = width * height;
  const cells = new Float64Array(GRID_COLS * GRID_ROWS);
  hist.fill(0);
  blocks?.fill(0);
  if (edges) edgeEnergy({ frame, width, height, edges });
  let diffSum = 0;
  let changed = 0;
  let lumaSum = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const gy = ((y * GRID_ROWS) / height) | 0;
    const fy = ((y + 0.5) / height) * 2 - 1;
    const by = (((y * BLOCK_ROWS) / height) | 0) * BLOCK_COLS;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const v = frame[i] as number;
      lumaSum += v;
      hist[(v * HIST_BINS) >> 8]! += 1;
      if (blocks) blocks[by + (((x * BLOCK_COLS) / width) | 0)]! += v;
      if (prev) {
        const d = Math.abs(v - (prev[i] as number));
        if (d === 0) continue;
        if (d > CHANGED_LEVEL) changed++;
        diffSum += d;
        cells[gy * GRID_COLS + (((x * GRID_COLS) / width) | 0)]! += d;
        sx += d * (((x + 0.5) / width) * 2 - 1);
        sy += d * fy;
      }
    }
  }
  for (let b = 0; b < HIST_BINS; b++) hist[b] = (hist[b] as number) / n;
  if (blocks) normaliseBlocks(blocks, width, height);
  let peakCell = 0;
  const cellPixels = n / (GRID_COLS * GRID_ROWS);
  let peakIndex = 0;
  for (let c = 0; c < cells.length; c++) {
    const v = (cells[c] as number) / (255 * cellPixels);
    if (cellsOut) cellsOut[c] = prev ? v : 0;
    if (v > peakCell) {
      peakCell = v;
      peakIndex = c;
    }
  }
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
    peakIndex,
    x: diffSum > 0 ? sx / diffSum : 0,
    y: diffSum > 0 ? sy / diffSum : 0,
    histDistance: prev && prevHist ? histDistance(hist, prevHist) : 0,
    area: prev ? changed / n : 0,
    brightness: lumaSum / (255 * n),
    cb,
    cr,
  };
}

/**
 * Edge energy per block: the mean |luma step| to the left neighbour and to the one above, 0..1.
 * A separate pass over the luma plane keeps the motion loop as it was; at the analysis size (64
 * columns) it is a few thousand subtractions a frame.
 */
function edgeEnergy({ frame, width, height, edges }: { frame: Uint8Array; width: number; height: number; edges: Float64Array }): void {
  edges.fill(0);
  const col = new Int32Array(width);
  for (let x = 0; x < width; x++) col[x] = (((x * BLOCK_COLS) / width) | 0) * EDGE_CHANNELS;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const by = (((y * BLOCK_ROWS) / height) | 0) * BLOCK_COLS * EDGE_CHANNELS;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const v = frame[i] as number;
      const k = by + (col[x] as number);
      if (x > 0) edges[k]! += Math.abs(v - (frame[i - 1] as number));
      if (y > 0) edges[k + 1]! += Math.abs(v - (frame[i - width] as number));
    }
  }
  for (let by = 0; by < BLOCK_ROWS; by++) {
    const rows = Math.ceil(((by + 1) * height) / BLOCK_ROWS) - Math.ceil((by * height) / BLOCK_ROWS);
    for (let bx = 0; bx < BLOCK_COLS; bx++) {
      const cols = Math.ceil(((bx + 1) * width) / BLOCK_COLS) - Math.ceil((bx * width) / BLOCK_COLS);
      const k = (by * BLOCK_COLS + bx) * EDGE_CHANNELS;
      for (let c = 0; c < EDGE_CHANNELS; c++) edges[k + c] = rows * cols > 0 ? (edges[k + c] as number) / (255 * rows * cols) : 0;
    }
  }
}

/** The sums of products of two series about their means (`ma`, `mb`): what a correlation divides. */
function centredProducts(a: ArrayLike<number>, b: ArrayLike<number>, ma: number, mb: number): { sab: number; saa: number; sbb: number } {
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as number) - ma;
    const y = (b[i] as number) - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return { sab, saa, sbb };
}

/**
 * How different two frames' structures (edge energy per block and channel) are: one minus the
 * correlation of their edge maps (0: edges in the same places, however strong; 1: unrelated).
 * A fade scales every edge alike and keeps 0; people moving in a shot move a few blocks' edges;
 * a new shot puts them elsewhere. 0 when either frame is flat (mean energy under EDGE_FLOOR).
 */
export function edgeDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const k = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < k; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= k;
  mb /= k;
  if (ma < EDGE_FLOOR || mb < EDGE_FLOOR) return 0;
  const { sab, saa, sbb } = centredProducts(a, b, ma, mb);
  return saa > 0 && sbb > 0 ? 1 - sab / Math.sqrt(saa * sbb) : 0;
}

/** Block sums → mean luma 0..1 per block (blocks may hold unequal pixel counts on odd sizes). */
function normaliseBlocks(blocks: Float64Array, width: number, height: number): void {
  for (let by = 0; by < BLOCK_ROWS; by++) {
    const rows = Math.ceil(((by + 1) * height) / BLOCK_ROWS) - Math.ceil((by * height) / BLOCK_ROWS);
    for (let bx = 0; bx < BLOCK_COLS; bx++) {
      const cols = Math.ceil(((bx + 1) * width) / BLOCK_COLS) - Math.ceil((bx * width) / BLOCK_COLS);
      const k = by * BLOCK_COLS + bx;
      blocks[k] = rows * cols > 0 ? (blocks[k] as number) / (255 * rows * cols) : 0;
    }
  }
}

/**
 * How far apart two frames' layouts (block means, 0..1) are: `mad` the mean absolute difference
 * of the blocks, `structure` one minus their correlation (0: same layout, whatever the exposure;
 * 1: unrelated; up to 2: inverted). A fade changes `mad` a little each frame and `structure`
 * hardly at all; a new shot changes both at once. A flat frame (black) has no layout: its
 * `structure` distance is 0 against anything, so only `mad` and the histogram speak for it.
 * `spread` is the share of blocks that changed by SPREAD_LEVEL or more: a new shot changes most of
 * them, one object moving on a plain ground only its own few.
 */
export function layoutDistance(a: ArrayLike<number>, b: ArrayLike<number>): { mad: number; structure: number; spread: number } {
  const k = a.length;
  let ma = 0;
  let mb = 0;
  let mad = 0;
  let moved = 0;
  for (let i = 0; i < k; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    ma += x;
    mb += y;
    const d = Math.abs(x - y);
    mad += d;
    if (d >= SPREAD_LEVEL) moved++;
  }
  ma /= k;
  mb /= k;
  const { sab, saa, sbb } = centredProducts(a, b, ma, mb);
  // Below ~1/255 of spread a frame is flat (black, a single colour): no layout to compare.
  const flat = (1 / 255) ** 2 * k;
  const structure = saa > flat && sbb > flat ? 1 - sab / Math.sqrt(saa * sbb) : 0;
  return { mad: mad / k, structure, spread: moved / k };
}
