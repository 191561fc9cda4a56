/**
 * @module MoveNet Lightning (single person) on person crops: the square crop around a detected
 * person, and the decoding the TF.js graph does after its heads, here in TypeScript so that
 * several crops run as one batch: the person centre is the best centre-weighted cell; each
 * keypoint is the heatmap cell that best trades score against distance from where the centre's
 * regression puts it; a sub-cell offset refines it.
 */
import type { SquareRegion } from './image.js';
import type { Box, Keypoint, RgbImage } from './types.js';

export const POSE_INPUT = 192;
/** Heatmap side (stride 4). */
export const POSE_GRID = 48;
export const POSE_KEYPOINTS = 17;
/** The graph's distance bias (`add_5/y`, stored as float16 1.8). */
const DISTANCE_BIAS = 1.7998046875;
/** A person box is padded by this factor (long side) before cropping, so limbs at the edge stay in. */
export const CROP_PAD = 1.25;

/** The square region (image pixels) a person box is cropped to. */
export function personRegion(image: RgbImage, box: Box): SquareRegion {
  const cx = ((box.x0 + box.x1) / 2) * image.width;
  const cy = ((box.y0 + box.y1) / 2) * image.height;
  const side = Math.max(8, Math.max((box.x1 - box.x0) * image.width, (box.y1 - box.y0) * image.height) * CROP_PAD);
  return { x: cx - side / 2, y: cy - side / 2, side };
}

/** The four model outputs for one batch, NHWC. */
export interface PoseOutputs {
  heatmap: Float32Array;
  center: Float32Array;
  regress: Float32Array;
  offset: Float32Array;
}

/** The index in [0, count) with the largest value (the first of equals). */
function argmax(count: number, value: (i: number) => number): number {
  let best = -Infinity;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const v = value(i);
    if (v > best) {
      best = v;
      at = i;
    }
  }
  return at;
}

/** Keypoints of crop `n`, as (y, x) in 0..1 of the crop plus score: the TF.js graph's output. */
export function decodeCrop(out: PoseOutputs, n: number): { y: number; x: number; score: number }[] {
  const G = POSE_GRID;
  const K = POSE_KEYPOINTS;
  const cells = G * G;
  const ci = argmax(cells, (i) => out.center[n * cells + i]!);
  const cy = Math.floor(ci / G);
  const cx = ci % G;
  const reg = (n * cells + ci) * 2 * K;
  const result: { y: number; x: number; score: number }[] = [];
  for (let k = 0; k < K; k++) {
    const ry = cy + out.regress[reg + 2 * k]!;
    const rx = cx + out.regress[reg + 2 * k + 1]!;
    const ki = argmax(
      cells,
      (i) => out.heatmap[(n * cells + i) * K + k]! / (Math.sqrt((Math.floor(i / G) - ry) ** 2 + ((i % G) - rx) ** 2) + DISTANCE_BIAS),
    );
    const ky = Math.floor(ki / G);
    const kx = ki % G;
    const off = (n * cells + ki) * 2 * K;
    result.push({
      y: (ky + out.offset[off + 2 * k]!) / G,
      x: (kx + out.offset[off + 2 * k + 1]!) / G,
      score: out.heatmap[(n * cells + ki) * K + k]!,
    });
  }
  return result;
}

/** Crop-relative keypoints → normalised to the full image. */
export function toImage(kps: readonly { y: number; x: number; score: number }[], r: SquareRegion, image: RgbImage): Keypoint[] {
  return kps.map((k) => ({ x: (r.x + k.x * r.side) / image.width, y: (r.y + k.y * r.side) / image.height, score: k.score }));
}
