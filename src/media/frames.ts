/**
 * @module Streams a video's frames as small grayscale images with their exact presentation times.
 * Frames are decoded by ffmpeg at the analysis size and handed over one at a time, so memory does
 * not grow with the video's length. Timestamps come from ffmpeg's `showinfo` filter (the decoder's
 * pts, after ffmpeg's own start-time shift), which stays right for variable frame rates and odd
 * time bases where `index / fps` would drift.
 */
import { WorkerError, isWorkerError } from '../errors.js';
import { inputArgs, runBinary } from './ffmpeg.js';

export interface GrayFrameSize {
  width: number;
  height: number;
}

/** The analysis size for a video: `width` columns, height from the display aspect, both even. */
export function analysisSize(video: { width: number; height: number; rotation: number }, width = 64): GrayFrameSize {
  const quarterTurn = Math.abs(video.rotation) % 180 === 90;
  const [w, h] = quarterTurn ? [video.height, video.width] : [video.width, video.height];
  const height = Math.max(2, Math.round((width * h) / w / 2) * 2);
  return { width, height };
}

export interface StreamFramesOptions {
  ffmpeg: string;
  file: string;
  size: GrayFrameSize;
  /** Decode only the first `durationS` seconds. */
  durationS?: number | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /**
   * Receives each frame in presentation order. The buffer is reused: copy what must outlive the call.
   * `index` counts from 0.
   */
  onFrame: (frame: Uint8Array, index: number) => void;
  /**
   * Stop with VIDEO_TOO_LONG past this many frames or seconds: the guard for files that do not
   * declare their length (no container duration), checked while decoding.
   */
  limits?: { maxFrames: number; maxTimeS: number } | undefined;
}

export interface StreamFramesResult {
  frameCount: number;
  /** Presentation time in seconds of each frame (index → time). */
  times: Float64Array;
}

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.eE+-]+)/;

export async function streamGrayFrames(opts: StreamFramesOptions): Promise<StreamFramesResult> {
  const { width, height } = opts.size;
  const frameBytes = width * height;
  const frame = new Uint8Array(frameBytes);
  let filled = 0;
  let index = 0;
  const times: number[] = [];

  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'info',
    ...(opts.durationS !== undefined ? ['-t', String(opts.durationS)] : []),
    ...inputArgs(opts.file),
    '-map', '0:v:0', '-an', '-sn', '-dn',
    // passthrough: one output frame per decoded frame, never duplicated or dropped to fit a rate.
    '-vsync', 'passthrough',
    '-vf', `scale=${width}:${height}:flags=area,format=gray,showinfo`,
    '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1',
  ];
  const guard = new AbortController();
  let overLimit: string | undefined;
  const stop = (why: string): void => {
    overLimit ??= why;
    guard.abort();
  };
  const decoding = runBinary(opts.ffmpeg, args, {
    signal: opts.signal ? AbortSignal.any([opts.signal, guard.signal]) : guard.signal,
    timeoutMs: opts.timeoutMs,
    onStderrLine: (line) => {
      const m = SHOWINFO.exec(line);
      if (m) {
        const t = Number(m[3]);
        times[Number(m[1])] = t;
        if (opts.limits && t > opts.limits.maxTimeS) stop(`longer than the ${opts.limits.maxTimeS}-second limit (MAX_DURATION_S)`);
      }
    },
    onStdout: (chunk) => {
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - offset);
        frame.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === frameBytes) {
          if (overLimit) return;
          opts.onFrame(frame, index++);
          filled = 0;
          if (opts.limits && index > opts.limits.maxFrames) stop(`more than the ${opts.limits.maxFrames}-frame limit (MAX_FRAMES)`);
        }
      }
    },
  });
  try {
    await decoding;
  } catch (e) {
    if (overLimit !== undefined && !opts.signal?.aborted) {
      throw new WorkerError('VIDEO_TOO_LONG', `the video is ${overLimit}; send a shorter "duration"`, { cause: e });
    }
    // ffprobe accepted the file, so a failure here is a stream that does not decode (truncated,
    // corrupt): the input's fault, not ours.
    if (isWorkerError(e) && e.code === 'FFMPEG_FAILED') {
      throw new WorkerError('MEDIA_UNREADABLE', `the video stream could not be decoded after ${index} frames`, { cause: e });
    }
    throw e;
  }
  return { frameCount: index, times: fillTimes(times, index) };
}

/** Any frame whose showinfo line was missed gets a time interpolated from its neighbours. */
function fillTimes(times: number[], count: number): Float64Array {
  const out = new Float64Array(count);
  let step = 1 / 25;
  const known = times.filter((t) => Number.isFinite(t));
  if (known.length >= 2) step = Math.max(1e-3, ((known.at(-1) ?? 0) - (known[0] ?? 0)) / (known.length - 1));
  for (let i = 0; i < count; i++) {
    const t = times[i];
    out[i] = t !== undefined && Number.isFinite(t) ? t : i === 0 ? 0 : (out[i - 1] ?? 0) + step;
  }
  return out;
}
