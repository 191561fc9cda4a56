/**
 * @module Upscales a whole video: ffmpeg decodes rgb24 frames → the frame upscaler (tiles, model)
 * → ffmpeg encodes an H.264 MP4 with the source's audio. The three run at once: the decoder
 * (its own process) decodes frame k+1 and the encoder (its own process) compresses frame k−1
 * while frame k is inferred. Queues are bounded: the OS pipes and Node's stream buffers, plus at
 * most one batch of frames inside the upscaler, so memory does not grow with the video.
 *
 * With the session on its own thread (inference/session-thread.ts) the pipes move and tiles are
 * packed and blended while the model runs. A session on the main thread (ort.ts directly) holds
 * the thread for each `run`: then bytes move and blending happens between runs, and only ffmpeg's
 * own work (H.264 decode, colour conversion, x264) overlaps inference. `decodeWaitMs` and
 * `encodeWaitMs` say how long the loop waited on the pipes.
 *
 * Frames go to the encoder at the constant `rate`: every decoded frame is kept (no duplicates, no
 * drops), and frame i is shown at i/rate. A variable-frame-rate source keeps every frame but not
 * its timing: each frame lasts 1/rate, so motion runs faster or slower where the source's
 * spacing differed, and the audio (copied whole) drifts from the picture by that difference.
 */
import { WorkerError, cancelledError } from '../../errors.js';
import { decodeRgbFrames, openMp4Encoder } from '../../media/rgb-frames.js';
import { FrameUpscaler, type SrModel } from './frame-upscaler.js';
import { failRun, runStop } from '../../util/run-stop.js';

export interface UpscaleVideoOptions {
  ffmpeg: string;
  /** The source video. */
  input: string;
  /** Decode size: the source's display size (after rotation), normally. */
  width: number;
  height: number;
  /** Output frame rate as `num/den` (the source's average rate, normally). */
  rate: string;
  model: SrModel;
  /** Largest tile side and tile overlap, in input pixels (tiles.ts). */
  tile: number;
  overlap: number;
  /** libx264 CRF. */
  crf: number;
  /** The model's luma on the source's chroma (color-fix.ts). @default false */
  colorFix?: boolean | undefined;
  /** Input pixels mirrored around each frame for the model (frame-upscaler.ts). @default 0 */
  pad?: number | undefined;
  /** libx264 preset. @default "medium" */
  preset?: string;
  /**
   * The source's first audio stream: `copy` (packets untouched; the codec must fit in MP4), `aac`
   * (re-encoded at 192 kb/s, for Vorbis and other codecs MP4 cannot hold) or `none`.
   */
  audio: 'copy' | 'aac' | 'none';
  /** The MP4 to write (deleted again when the run fails). */
  output: string;
  signal?: AbortSignal | undefined;
  /** For the whole run: decode, inference and encode together. */
  timeoutMs: number;
  /** Called after each frame is handed to the encoder, with the number done so far. */
  onProgress?: (framesDone: number) => void;
  /** VIDEO_TOO_LONG past this many frames (for sources that do not declare their length). */
  limits?: { maxFrames: number } | undefined;
  /** Clock for the timings. @default performance.now */
  now?: () => number;
}

export interface UpscaleVideoResult {
  frames: number;
  /** Output size: input × scale, less a last odd row/column (H.264 4:2:0 needs even sides). */
  width: number;
  height: number;
  tilesPerFrame: number;
  /** Calls of `model.run`. */
  modelRuns: number;
  /** Time inside `model.run`. */
  modelMs: number;
  /** Time the loop waited for decoded frames. */
  decodeWaitMs: number;
  /** Time the loop waited for the encoder to take frames (pipe full), and to finish the file. */
  encodeWaitMs: number;
  /** The whole run. `wallMs / modelMs` is the pipeline's overhead ratio. */
  wallMs: number;
}

/** Wraps a frame source to time how long its consumer waits for each frame. */
async function* timed<T>(source: AsyncIterable<T>, now: () => number, add: (ms: number) => void): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const t0 = now();
      const r = await it.next();
      add(now() - t0);
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}

export async function upscaleVideo(o: UpscaleVideoOptions): Promise<UpscaleVideoResult> {
  const now = o.now ?? (() => performance.now());
  const started = now();
  if (o.signal?.aborted) throw cancelledError(o.signal.reason);
  const upscaler = new FrameUpscaler({
    model: o.model,
    width: o.width,
    height: o.height,
    tile: o.tile,
    overlap: o.overlap,
    colorFix: o.colorFix,
    pad: o.pad,
    now,
  });

  // One signal stops everything: the caller's abort, or the run's own timeout.
  const stop = runStop(o.signal, o.timeoutMs);

  const decoder = decodeRgbFrames({
    ffmpeg: o.ffmpeg,
    file: o.input,
    width: o.width,
    height: o.height,
    signal: stop.signal,
    timeoutMs: o.timeoutMs,
    limits: o.limits,
  });
  const encoder = openMp4Encoder({
    ffmpeg: o.ffmpeg,
    output: o.output,
    width: upscaler.outWidth,
    height: upscaler.outHeight,
    rate: o.rate,
    quality: o.crf,
    ...(o.preset === undefined ? {} : { preset: o.preset }),
    audio: o.audio === 'none' ? undefined : { from: o.input, mode: o.audio },
    signal: stop.signal,
    timeoutMs: o.timeoutMs,
  });

  let decodeWaitMs = 0;
  let encodeWaitMs = 0;
  let frames = 0;
  try {
    const source = timed(decoder, now, (ms) => {
      decodeWaitMs += ms;
    });
    for await (const rgb of upscaler.stream(source, stop.signal)) {
      const t0 = now();
      await encoder.write(rgb);
      encodeWaitMs += now() - t0;
      frames++;
      o.onProgress?.(frames);
    }
    if (frames === 0) throw new WorkerError('MEDIA_UNREADABLE', 'the video stream gave no frames');
    const t0 = now();
    await encoder.finish();
    encodeWaitMs += now() - t0;
  } catch (e) {
    return await failRun(e, {
      stop,
      caller: o.signal,
      close: () => [decoder.close(), encoder.close()],
      modelSettled: upscaler.settled(),
      output: o.output,
      timedOutMessage: `upscaling did not finish within ${o.timeoutMs} ms (${frames} frames done)`,
    });
  } finally {
    stop.dispose();
  }
  const stats = upscaler.stats;
  return {
    frames,
    width: encoder.outputWidth,
    height: encoder.outputHeight,
    tilesPerFrame: stats.tilesPerFrame,
    modelRuns: stats.runs,
    modelMs: upscaler.modelMs,
    decodeWaitMs,
    encodeWaitMs,
    wallMs: now() - started,
  };
}
