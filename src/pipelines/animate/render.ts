/**
 * @module The streamed render: each frame's window of the still is cropped and scaled in
 * TypeScript and handed to the H.264 encoder, which muxes the audio alongside. One frame is
 * rendered while the previous one drains into ffmpeg's pipe, so the CPU work of both overlaps;
 * at most two frames exist at a time, whatever the length.
 */
import { cancelledError } from '../../errors.js';
import { openMp4Encoder, type EncoderAudio } from '../../media/rgb-frames.js';
import type { Window } from './path.js';
import { CropScaler } from './resample.js';

export interface RenderOptions {
  ffmpeg: string;
  /** The working image, rgb24. */
  still: Uint8Array;
  stillWidth: number;
  stillHeight: number;
  /** One window per output frame. */
  windows: readonly Window[];
  width: number;
  height: number;
  fps: number;
  audio?: EncoderAudio | undefined;
  output: string;
  /** x264 CRF and preset of the result. */
  quality: number;
  preset: string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  onProgress?: (frames: number) => void;
}

export interface RenderResult {
  frames: number;
  wallMs: number;
  /** Time spent cropping and scaling in TypeScript. */
  renderMs: number;
}

export async function renderAnimation(o: RenderOptions): Promise<RenderResult> {
  const t0 = performance.now();
  if (o.signal?.aborted) throw cancelledError(o.signal.reason);
  const encoder = openMp4Encoder({
    ffmpeg: o.ffmpeg,
    output: o.output,
    width: o.width,
    height: o.height,
    rate: String(o.fps),
    quality: o.quality,
    preset: o.preset,
    audio: o.audio,
    signal: o.signal,
    timeoutMs: o.timeoutMs,
  });
  const scaler = new CropScaler(o.stillWidth, o.stillHeight, o.width, o.height);
  let renderMs = 0;
  let finished = false;
  try {
    let pending: Promise<void> | undefined;
    const every = Math.max(1, Math.round(o.fps / 2));
    for (let i = 0; i < o.windows.length; i++) {
      if (o.signal?.aborted) throw cancelledError(o.signal.reason);
      const t = performance.now();
      // A fresh buffer per frame: the pipe may still hold the previous one.
      const frame = new Uint8Array(encoder.frameBytes);
      scaler.render(o.still, o.windows[i] as Window, frame);
      renderMs += performance.now() - t;
      await pending;
      pending = encoder.write(frame);
      // Awaited before the next write; this only keeps a failure meanwhile from counting as unhandled.
      pending.catch(() => undefined);
      if ((i + 1) % every === 0) o.onProgress?.(i + 1);
    }
    await pending;
    await encoder.finish();
    finished = true;
    o.onProgress?.(o.windows.length);
  } finally {
    if (!finished) await encoder.close();
  }
  return { frames: encoder.frames, wallMs: performance.now() - t0, renderMs };
}
