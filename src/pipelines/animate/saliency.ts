/**
 * @module Where the picture's interest is, for the camera to end on: edge density (luma gradient
 * magnitude) summed over a coarse grid, smoothed over each cell's neighbours, the densest cell's
 * centre. Detail is what a viewer looks at in a still (faces, text, fruit against a plain wall);
 * flat sky or walls have none.
 */

export interface Salient {
  /** Centre of the densest region, as fractions of the width and height. */
  x: number;
  y: number;
  /** Its density over the image's mean (1: no region stands out). */
  contrast: number;
}

/** The salient centre of an rgb24 image, on a `grid`×`grid` lattice. */
export function salientRegion(rgb: Uint8Array, width: number, height: number, grid = 8): Salient {
  const cells = new Float64Array(grid * grid);
  const luma = (i: number): number => 0.299 * (rgb[i] as number) + 0.587 * (rgb[i + 1] as number) + 0.114 * (rgb[i + 2] as number);
  // Every other pixel both ways: the density of a cell, not its exact edges, is what is wanted.
  for (let y = 1; y < height - 1; y += 2) {
    const cy = Math.min(grid - 1, Math.floor((y * grid) / height));
    for (let x = 1; x < width - 1; x += 2) {
      const i = (y * width + x) * 3;
      const gx = luma(i + 3) - luma(i - 3);
      const gy = luma(i + width * 3) - luma(i - width * 3);
      const k = cy * grid + Math.min(grid - 1, Math.floor((x * grid) / width));
      cells[k] = (cells[k] as number) + Math.abs(gx) + Math.abs(gy);
    }
  }
  let best = 0;
  let bestScore = -1;
  let total = 0;
  const scores = new Float64Array(grid * grid);
  for (let cy = 0; cy < grid; cy++) {
    for (let cx = 0; cx < grid; cx++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const y = cy + dy;
          const x = cx + dx;
          if (x < 0 || y < 0 || x >= grid || y >= grid) continue;
          s += (cells[y * grid + x] as number) * (dx === 0 && dy === 0 ? 2 : 1);
        }
      }
      scores[cy * grid + cx] = s;
      total += cells[cy * grid + cx] as number;
      if (s > bestScore) {
        bestScore = s;
        best = cy * grid + cx;
      }
    }
  }
  const mean = total / (grid * grid);
  return {
    x: ((best % grid) + 0.5) / grid,
    y: (Math.floor(best / grid) + 0.5) / grid,
    contrast: mean > 0 ? (cells[best] as number) / mean : 1,
  };
}
