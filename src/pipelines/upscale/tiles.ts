/**
 * @module Tile planning and feathered blending for per-frame models that cannot take a whole
 * frame (GPU memory) or take a fixed size. Pure: no I/O.
 *
 * Planning: every tile of a frame has the same size (one shape for the model, so batches stack);
 * an image smaller than the tile is one tile of the image's size. Along each axis the tiles are
 * spread evenly from edge to edge, so neighbours share at least `overlap` input pixels and no tile
 * leaves the image (the spare pixels are shared out among the overlaps instead of all going to
 * the last pair).
 *
 * Blending, in output coordinates (input × scale): a tile's pixels near an edge it shares with a
 * neighbour saw zero padding where the full frame has real pixels, so they are wrong by up to the
 * model's receptive-field radius. Across a shared strip of width L (≥ overlap) each tile's weight
 * is 0 over the quarter of the strip next to its own edge, ramps linearly to 1 across the middle
 * half, and is 1 beyond; the two ramps add up to 1, so the seam is a crossfade, not a cut. Edges
 * on the image border keep weight 1 (the untiled model sees the same padding there). Weights are
 * normalised per output pixel, which also covers the rare pixel three tiles share. Hence:
 * **a model whose receptive-field radius is at most overlap/4 input pixels gives exactly the
 * untiled result** (to float rounding); larger fields are blended smoothly but not exactly.
 */

export interface TileGrid {
  /** Image size (input pixels). */
  width: number;
  height: number;
  /** Every tile's size (input pixels): `min(tile, width)` × `min(tile, height)`. */
  tileWidth: number;
  tileHeight: number;
  overlap: number;
  /** Left edges of the tile columns, and top edges of the tile rows (input pixels). */
  xs: number[];
  ys: number[];
  /** Tiles in row-major order: column `i`, row `j`, at (`xs[i]`, `ys[j]`). */
  tiles: Array<{ x: number; y: number; i: number; j: number }>;
}

/** Tile edges along one axis: `n` tiles of `tile` px spread evenly over `size`. */
function axisStarts(size: number, tile: number, overlap: number): number[] {
  if (size <= tile) return [0];
  const n = Math.ceil((size - tile) / (tile - overlap)) + 1;
  return Array.from({ length: n }, (_, k) => Math.round((k * (size - tile)) / (n - 1)));
}

/** Plan the tiles of a `width`×`height` image; `tile` is the largest side, `overlap` < `tile`. */
export function planTiles(width: number, height: number, tile: number, overlap: number): TileGrid {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
    ['tile', tile],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= tile)
    throw new RangeError(`overlap must be an integer in [0, tile), got ${overlap}`);
  const tileWidth = Math.min(tile, width);
  const tileHeight = Math.min(tile, height);
  const xs = axisStarts(width, tileWidth, overlap);
  const ys = axisStarts(height, tileHeight, overlap);
  const tiles = ys.flatMap((y, j) => xs.map((x, i) => ({ x, y, i, j })));
  return { width, height, tileWidth, tileHeight, overlap, xs, ys, tiles };
}

/** Weight of a tile at distance `d` (input px) from an edge it shares over a strip `shared` wide. */
function ramp(d: number, shared: number): number {
  if (shared <= 0) return 1;
  return Math.min(1, Math.max(0, (d - shared / 4) / (shared / 2)));
}

/** Per tile column (or row): the weights of its `tile × scale` output pixels along that axis. */
function axisWeights(starts: number[], tile: number, scale: number): Float32Array[] {
  return starts.map((start, k) => {
    const prev = starts[k - 1];
    const next = starts[k + 1];
    const before = prev === undefined ? 0 : prev + tile - start;
    const after = next === undefined ? 0 : start + tile - next;
    const w = new Float32Array(tile * scale);
    for (let p = 0; p < w.length; p++) {
      const d = (p + 0.5) / scale;
      w[p] = ramp(d, before) * ramp(tile - d, after);
    }
    return w;
  });
}

/**
 * Accumulates model outputs of tiles into whole frames. One blender serves every frame of a video
 * (the weights and their per-pixel normaliser are computed once); each frame has its own
 * accumulator, planar float (3 × outHeight × outWidth).
 */
export class TileBlender {
  readonly outWidth: number;
  readonly outHeight: number;
  private readonly wx: Float32Array[];
  private readonly wy: Float32Array[];
  /** 1 / (sum of the weights) per output pixel. */
  private readonly inverse: Float32Array;

  constructor(
    readonly grid: TileGrid,
    readonly scale: number,
  ) {
    if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`scale must be a positive integer, got ${scale}`);
    this.outWidth = grid.width * scale;
    this.outHeight = grid.height * scale;
    this.wx = axisWeights(grid.xs, grid.tileWidth, scale);
    this.wy = axisWeights(grid.ys, grid.tileHeight, scale);
    const sum = new Float32Array(this.outWidth * this.outHeight);
    const tw = grid.tileWidth * scale;
    const th = grid.tileHeight * scale;
    for (const t of grid.tiles) {
      const wx = this.wx[t.i] as Float32Array;
      const wy = this.wy[t.j] as Float32Array;
      for (let Y = 0; Y < th; Y++) {
        const row = (t.y * scale + Y) * this.outWidth + t.x * scale;
        const wyv = wy[Y] as number;
        for (let X = 0; X < tw; X++) sum[row + X] = (sum[row + X] as number) + wyv * (wx[X] as number);
      }
    }
    this.inverse = sum.map((s) => {
      if (!(s > 0)) throw new Error('tile plan leaves an output pixel without weight');
      return 1 / s;
    });
  }

  /** A zeroed accumulator for one frame. */
  createAccumulator(): Float32Array {
    return new Float32Array(3 * this.outWidth * this.outHeight);
  }

  /**
   * Add one tile's model output (planar 3 × th·s × tw·s, starting at `offset` of `out`) into `acc`.
   */
  add(acc: Float32Array, tileIndex: number, out: Float32Array, offset = 0): void {
    const t = this.grid.tiles[tileIndex];
    if (!t) throw new RangeError(`no tile ${tileIndex}`);
    const s = this.scale;
    const tw = this.grid.tileWidth * s;
    const th = this.grid.tileHeight * s;
    const plane = this.outWidth * this.outHeight;
    const wx = this.wx[t.i] as Float32Array;
    const wy = this.wy[t.j] as Float32Array;
    for (let c = 0; c < 3; c++) {
      for (let Y = 0; Y < th; Y++) {
        const wyv = wy[Y] as number;
        if (wyv === 0) continue;
        const dst = c * plane + (t.y * s + Y) * this.outWidth + t.x * s;
        const src = offset + (c * th + Y) * tw;
        const a = acc.subarray(dst, dst + tw);
        const o = out.subarray(src, src + tw);
        for (let X = 0; X < tw; X++) a[X] = (a[X] as number) + (o[X] as number) * (wyv * (wx[X] as number));
      }
    }
  }

  /** The blended frame, planar float (3 × H × W), values as the model gave them. */
  toFloat(acc: Float32Array): Float32Array {
    const plane = this.outWidth * this.outHeight;
    const result = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < plane; p++) result[c * plane + p] = (acc[c * plane + p] as number) * (this.inverse[p] as number);
    }
    return result;
  }

  /**
   * The blended frame as rgb24 (interleaved): 0..1 mapped to 0..255, rounded (halves to even)
   * and clipped; NaN becomes 0. `acc` may also be a model's own output when the frame is one
   * tile (its weights are all 1).
   */
  toRgb24(acc: Float32Array, into?: Uint8Array): Uint8Array {
    const plane = this.outWidth * this.outHeight;
    const rgb = into ?? new Uint8Array(3 * plane);
    // Uint8ClampedArray stores do the clipping and rounding, in one pass over the pixels.
    const bytes = new Uint8ClampedArray(rgb.buffer, rgb.byteOffset, rgb.length);
    const r = acc.subarray(0, plane);
    const g = acc.subarray(plane, 2 * plane);
    const b = acc.subarray(2 * plane, 3 * plane);
    const inv = this.inverse;
    for (let p = 0, q = 0; p < plane; p++, q += 3) {
      const k = (inv[p] as number) * 255;
      bytes[q] = (r[p] as number) * k;
      bytes[q + 1] = (g[p] as number) * k;
      bytes[q + 2] = (b[p] as number) * k;
    }
    return rgb;
  }
}
