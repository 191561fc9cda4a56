/**
 * @module The three conditions MMAudio samples from, each from its own graph: CLIP image features
 * of the 8 fps frames (computed once per frame and shared by the windows that overlap on it),
 * Synchformer features of a window's 25 fps frames (16-frame segments every 8 frames), and CLIP
 * text features of the prompts. Pixels are normalised here as upstream's transforms do: OpenAI's
 * mean/std for CLIP, [-1, 1] for Synchformer.
 */
import { CLIP_MEAN, CLIP_STD } from '../../../../convert/clip-image/index.js';
import { tensor, type Session } from '../../../../inference/ort.js';
import type { ClipTokenizer } from '../../../../text/clip-tokenizer.js';
import { type FrameFile, readFrames } from './frames.js';

/** CLIP frames per graph run: a batch that keeps a GPU busy without a large input buffer. */
const CLIP_BATCH = 8;
/** Synchformer segments per graph run (each 16 frames of 224²: 9.6 MB in float32). */
const SYNC_BATCH = 8;
/** Synchformer's segment stride, in frames (`sync_seq_len` counts 8 tokens per segment). */
export const SYNC_STRIDE = 8;

/** rgb24 frames (HWC) → float32 NCHW, each channel as `(x / 255 − mean) / std`. */
function planar(rgb: Uint8Array, o: { frames: number; side: number; mean: readonly number[]; std: readonly number[] }): Float32Array {
  const plane = o.side * o.side;
  const out = new Float32Array(o.frames * 3 * plane);
  for (let f = 0; f < o.frames; f++) {
    const src = f * plane * 3;
    const dst = f * plane * 3;
    for (let c = 0; c < 3; c++) {
      const m = o.mean[c]!;
      const s = o.std[c]!;
      const base = dst + c * plane;
      for (let i = 0; i < plane; i++) out[base + i] = (rgb[src + i * 3 + c]! / 255 - m) / s;
    }
  }
  return out;
}

/** A per-channel normalisation of [0, 1] pixels. */
export interface PixelNorm {
  mean: readonly number[];
  std: readonly number[];
}

/** Image features per frame index of the picture stream (CLIP's, or another image encoder's), computed on first use. */
export class ClipFrameFeatures {
  private readonly done = new Map<number, Float32Array>();

  constructor(private readonly o: { session: Session; frames: FrameFile; dim: number; norm?: PixelNorm; onRun?: (ms: number) => void }) {}

  get count(): number {
    return this.o.frames.count;
  }

  /** Features of frames [from, from + n); frames past the end are absent from the result. */
  async range(from: number, n: number, signal?: AbortSignal): Promise<Float32Array[]> {
    const { frames } = this.o;
    const wanted = Array.from({ length: n }, (_, i) => from + i).filter((i) => i < frames.count);
    const missing = wanted.filter((i) => !this.done.has(i));
    for (let k = 0; k < missing.length; k += CLIP_BATCH) {
      signal?.throwIfAborted();
      const batch = missing.slice(k, k + CLIP_BATCH);
      // Consecutive indices (the usual case) read in one go; scattered ones one by one.
      const rgb = await readBatch(frames, batch);
      const norm = this.o.norm ?? { mean: CLIP_MEAN, std: CLIP_STD };
      const pixels = planar(rgb, { frames: batch.length, side: frames.side, ...norm });
      const t0 = performance.now();
      const out = await this.o.session.run({
        [this.o.session.inputNames[0]!]: tensor('float32', pixels, [batch.length, 3, frames.side, frames.side]),
      });
      this.o.onRun?.(performance.now() - t0);
      const data = out[this.o.session.outputNames[0]!]!.data as Float32Array;
      for (const [j, idx] of batch.entries()) this.done.set(idx, data.slice(j * this.o.dim, (j + 1) * this.o.dim));
    }
    return wanted.map((i) => this.done.get(i)!);
  }
}

async function readBatch(frames: FrameFile, indices: readonly number[]): Promise<Uint8Array> {
  const first = indices[0]!;
  if (indices.every((v, i) => v === first + i)) return readFrames(frames, first, indices.length);
  const parts = await Promise.all(indices.map((i) => readFrames(frames, i, 1)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Synchformer features for the segments starting at frame `from` (segment k: frames
 * from + 8k … + 16): `segments` rows of `tokens` features each, a row absent (undefined) when its
 * frames run past the end of the video.
 */
export async function syncFeatures(o: {
  session: Session;
  frames: FrameFile;
  from: number;
  segments: number;
  segmentFrames: number;
  signal?: AbortSignal;
  onRun?: (ms: number) => void;
}): Promise<(Float32Array | undefined)[]> {
  const out: (Float32Array | undefined)[] = [];
  const whole = Array.from({ length: o.segments }, (_, k) => o.from + k * SYNC_STRIDE + o.segmentFrames <= o.frames.count);
  const side = o.frames.side;
  for (let k = 0; k < o.segments; k += SYNC_BATCH) {
    o.signal?.throwIfAborted();
    const ks = Array.from({ length: Math.min(SYNC_BATCH, o.segments - k) }, (_, i) => k + i).filter((j) => whole[j]);
    const results = new Map<number, Float32Array>();
    if (ks.length > 0) {
      const frameBytes = side * side * 3;
      const rgb = new Uint8Array(ks.length * o.segmentFrames * frameBytes);
      for (const [i, j] of ks.entries())
        rgb.set(await readFrames(o.frames, o.from + j * SYNC_STRIDE, o.segmentFrames), i * o.segmentFrames * frameBytes);
      const pixels = planar(rgb, { frames: ks.length * o.segmentFrames, side, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
      const t0 = performance.now();
      const run = await o.session.run({
        [o.session.inputNames[0]!]: tensor('float32', pixels, [1, ks.length, o.segmentFrames, 3, side, side]),
      });
      o.onRun?.(performance.now() - t0);
      const data = run[o.session.outputNames[0]!]!.data as Float32Array;
      const per = data.length / ks.length;
      for (const [i, j] of ks.entries()) results.set(j, data.slice(i * per, (i + 1) * per));
    }
    for (let j = k; j < Math.min(k + SYNC_BATCH, o.segments); j++) out.push(results.get(j));
  }
  return out;
}

/** CLIP text features [n, length, dim] of the prompts, one row each. */
export async function textFeatures(o: { session: Session; tokenizer: ClipTokenizer; prompts: readonly string[] }): Promise<Float32Array> {
  const ids = o.tokenizer.tokenize(o.prompts);
  const out = await o.session.run({ [o.session.inputNames[0]!]: tensor('int64', ids, [o.prompts.length, ids.length / o.prompts.length]) });
  return out[o.session.outputNames[0]!]!.data as Float32Array;
}
