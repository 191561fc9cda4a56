/**
 * @module CenterNet (MobileNetV3, COCO) around the converted ONNX model: input size, batching
 * and decoding in TypeScript. The model gives a per-class centre heatmap (stride 4, sigmoid) and
 * per-cell box extents in input pixels; decoding mirrors the TF.js graph's own tail (3×3 max-pool
 * peaks, top 100 over all classes, box = centre ∓ extents), then per-class non-maximum
 * suppression, which @vladmandic/human does after the model.
 */
import { COCO_LABELS } from './coco.js';
import type { Box, Detection } from './types.js';

/** The network's output stride (heatmap cell = 4×4 input pixels). */
export const DETECTOR_STRIDE = 4;
/** Input sides must be multiples of this (five stride-2 stages, then ×2 upsampling back). */
export const DETECTOR_ALIGN = 32;
export const DETECTOR_CLASSES = COCO_LABELS.length;

/** Top-K as in the TF.js graph (TopKV2 k=100). */
export const DETECTOR_TOP_K = 100;
/** @vladmandic/human's defaults: minConfidence 0.2, iouThreshold 0.4. */
export const DEFAULT_MIN_SCORE = 0.2;
export const NMS_IOU = 0.4;

/**
 * The detector input for a frame of `width`×`height`: the long side `longSide`, the short side
 * in proportion, both rounded to multiples of 32 (at least 32). E.g. 1280×720 at 320 → 320×192.
 */
export function detectorInputSize(width: number, height: number, longSide: number): { width: number; height: number } {
  const round = (v: number): number => Math.max(DETECTOR_ALIGN, Math.round(v / DETECTOR_ALIGN) * DETECTOR_ALIGN);
  const long = round(longSide);
  if (width >= height) return { width: long, height: round((longSide * height) / width) };
  return { width: round((longSide * width) / height), height: long };
}

/** Intersection over union of two boxes (0 when they do not touch). */
export function boxIou(a: Box, b: Box): number {
  const iw = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const ih = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const inter = iw * ih;
  const union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter;
  return union > 0 ? inter / union : 0;
}

export interface RawDetection {
  classId: number;
  score: number;
  /** In input pixels, unclipped: what the TF.js graph's `detections` output holds. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * The TF.js graph's own decode for image `n` of a batch: peaks (a value equal to its 3×3
 * neighbourhood's max, per class) at or above `minScore`, the best `topK`, boxes in input pixels.
 * Ties keep the lower flat index first, as TopKV2 does.
 */
export function decodeRaw(
  outputs: { heat: Float32Array; wh: Float32Array; gridW: number; gridH: number },
  n: number,
  o: { minScore: number; topK?: number },
): RawDetection[] {
  const { heat, wh, gridW, gridH } = outputs;
  const C = DETECTOR_CLASSES;
  const plane = gridW * gridH * C;
  const base = n * plane;
  const cand: { idx: number; score: number }[] = [];
  for (let y = 0; y < gridH; y++) {
    for (let x = 0; x < gridW; x++) {
      const cell = base + (y * gridW + x) * C;
      for (let c = 0; c < C; c++) {
        const v = heat[cell + c]!;
        if (v < o.minScore) continue;
        let peak = true;
        for (let dy = -1; dy <= 1 && peak; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= gridH) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= gridW) continue;
            if (heat[base + (yy * gridW + xx) * C + c]! > v) {
              peak = false;
              break;
            }
          }
        }
        if (peak) cand.push({ idx: (y * gridW + x) * C + c, score: v });
      }
    }
  }
  cand.sort((a, b) => b.score - a.score || a.idx - b.idx);
  cand.length = Math.min(cand.length, o.topK ?? DETECTOR_TOP_K);
  return cand.map(({ idx, score }) => {
    const cellIdx = Math.floor(idx / C);
    const y = Math.floor(cellIdx / gridW);
    const x = cellIdx % gridW;
    const e = (n * gridW * gridH + cellIdx) * 4;
    const cx = x * DETECTOR_STRIDE;
    const cy = y * DETECTOR_STRIDE;
    return { classId: idx % C, score, x0: cx - wh[e]!, y0: cy - wh[e + 1]!, x1: cx + wh[e + 2]!, y1: cy + wh[e + 3]! };
  });
}

/** Raw detections → normalised, clipped boxes; per-class NMS; best first, at most `maxPerImage`. */
export function finishDetections(
  raw: readonly RawDetection[],
  inputW: number,
  inputH: number,
  o: { maxPerImage: number; iou?: number },
): Detection[] {
  const clip = (v: number): number => Math.min(1, Math.max(0, v));
  const all = raw
    .map((r) => ({
      label: COCO_LABELS[r.classId]!,
      classId: r.classId,
      score: r.score,
      box: { x0: clip(r.x0 / inputW), y0: clip(r.y0 / inputH), x1: clip(r.x1 / inputW), y1: clip(r.y1 / inputH) },
    }))
    .filter((d) => d.box.x1 > d.box.x0 && d.box.y1 > d.box.y0)
    .sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  const threshold = o.iou ?? NMS_IOU;
  for (const d of all) {
    if (kept.length >= o.maxPerImage) break;
    if (kept.some((k) => k.classId === d.classId && boxIou(k.box, d.box) > threshold)) continue;
    kept.push(d);
  }
  return kept;
}
