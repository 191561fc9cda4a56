/**
 * @module Streams a video's frames as small grayscale images with their exact presentation times.
 * Frames are decoded by ffmpeg at the analysis size (worked out by ffmpeg from the input, so no
 * probe has to come first) and handed over one at a time, so memory does not grow with the video's
 * length. Timestamps come from ffmpeg's `showinfo` filter (the decoder's
 * pts, after ffmpeg's own start-time shift), which stays right for variable frame rates and odd
 * time bases where `index / fps` would drift. They arrive on stderr, not in step with the pixels
 * on stdout, so a frame whose time has not been read yet waits (copied) in a short queue.
 */
import type { Readable } from 'node:stream';
import { WorkerError, isWorkerError } from '../errors.js';
import { inputArgs, runBinary } from './ffmpeg.js';
import { FrameSplitter } from './frame-splitter.js';
import { displaySize } from './probe.js';
import { type FrameSize as GrayFrameSize, SampledFrames, SHOWINFO_SIZE } from './sampled-frames.js';

export type { FrameSize as GrayFrameSize } from './sampled-frames.js';

/** The analysis size for a video: `width` columns, height from the display aspect, both even. */
export function analysisSize(video: { width: number; height: number; rotation: number }, width = 64): GrayFrameSize {
  const { width: w, height: h } = displaySize(video);
  const height = Math.max(2, Math.round((width * h) / w / 2) * 2);
  return { width, height };
}

/**
 * The scale filter to the analysis size, for ffmpeg to work out from the input itself (after its
 * autorotation, so `ih/iw` is the display aspect): the same numbers as `analysisSize`, so the
 * decoder needs no probe first.
 */
export function analysisScaleFilter(width = 64): string {
  return `scale=${width}:'max(2,2*round(${width / 2}*ih/iw))':flags=area`;
}

export interface StreamFramesOptions {
  ffmpeg: string;
  file: string;
  /** Columns of the analysis frames (default 64); the height follows the display aspect. */
  width?: number;
  /**
   * Also deliver colour: each frame is then three planes of width×height (Y, Cb, Cr: yuv444p)
   * instead of one gray plane. Three times the bytes, still tiny at the analysis size.
   */
  chroma?: boolean;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** Called once, before the first frame, with the frame size the decoder produces. */
  onSize?: (size: GrayFrameSize) => void;
  /**
   * Receives each frame in presentation order with its presentation time (s). The buffer is
   * reused: copy what must outlive the call. `index` counts from 0.
   */
  onFrame: (frame: Uint8Array, index: number, time: number) => void;
  /**
   * Stop with VIDEO_TOO_LONG past this many frames or seconds: the guard for files that do not
   * declare their length (no container duration), checked while decoding.
   */
  limits?: { maxFrames: number; maxTimeS: number } | undefined;
  /**
   * Also deliver larger RGB frames, a few per second, from the same decode (for trained vision
   * models): the file is decoded once for both, and these come through a second pipe that the
   * caller's pace holds back, so a slow model slows the decode instead of filling memory.
   */
  sample?: SampleFramesOptions | undefined;
}

export interface SampleFramesOptions {
  /** Columns (even); the height follows the display aspect, even. */
  width: number;
  /** At least this many seconds between two sampled frames (on the frames' own times). */
  everyS: number;
  /** Called once, before the first sampled frame, with their size. */
  onSize?: (size: GrayFrameSize) => void;
  /**
   * Each sampled frame, RGB24, in order, with its presentation time (s). The buffer is the
   * caller's to keep. Its promise holds back the next frames (and, through the pipe, the decode).
   */
  onFrame: (rgb: Uint8Array, time: number) => void | Promise<void>;
  /**
   * Also the luma (gray, full range, one byte a pixel) of frames at the same size, more often than
   * the RGB ones (each output picks its frames by its own spacing), through a third pipe: for what
   * only needs brightness, at a third of the bytes and without ffmpeg's colour conversion. Scaled
   * with `fast_bilinear` (measured: ~0.02–0.04 s of ffmpeg's CPU per 100 frames of 720p, against
   * ~0.06–0.08 s for the same frames in RGB). The buffer is the caller's to keep.
   */
  luma?:
    | {
        everyS: number;
        /** Called once, before the first luma frame (the RGB frames' size: the same scaling). */
        onSize?: (size: GrayFrameSize) => void;
        onFrame: (gray: Uint8Array, time: number) => void | Promise<void>;
      }
    | undefined;
}

export interface StreamFramesResult {
  frameCount: number;
  /** Presentation time in seconds of each frame (index → time). */
  times: Float64Array;
  /** The frames' size (zeros when no frame came). */
  size: GrayFrameSize;
}

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.eE+-]+)/;
/** The outputs' showinfo instances are named, so their lines can be told apart. */
const ANALYSIS_INFO = '[showinfo@analysis';
const SAMPLE_INFO = '[showinfo@sample';
const LUMA_INFO = '[showinfo@luma';

/** Frames held for their showinfo line at most; past this the line is taken as lost. */
const MAX_WAITING = 256;

/** A raw-video output on pipe `fd`; passthrough: one output frame per decoded frame, never duplicated or dropped to fit a rate. */
function rawOutput(pix: string, fd: number): string[] {
  return ['-an', '-sn', '-dn', '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', pix, `pipe:${fd}`];
}

/**
 * The first frame, then each one at least `everyS` after the last one taken (less 2 ms: frame
 * times are rounded, and "every 0.1 s" must not skip every third frame of 10 fps).
 */
function every(everyS: number): string {
  return `select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,${everyS - 0.002})'`;
}

/** One decode, split: the analysis frames on pipe 1, the sampled RGB on pipe 3, their luma (when asked) on pipe 4. */
function sampleOutputs(analysisChain: string, pix: string, sample: SampleFramesOptions): string[] {
  const scale = analysisScaleFilter(sample.width);
  const rgb = `${every(sample.everyS)},${scale.replace('flags=area', 'flags=bilinear')},format=rgb24,showinfo@sample`;
  const outputs = ['-map', '[ao]', ...rawOutput(pix, 1), '-map', '[so]', ...rawOutput('rgb24', 3)];
  if (!sample.luma) return ['-filter_complex', `[0:v:0]split=2[a][s];[a]${analysisChain}[ao];[s]${rgb}[so]`, ...outputs];
  const luma = `${every(sample.luma.everyS)},${scale.replace('flags=area', 'flags=fast_bilinear')},format=gray,showinfo@luma`;
  return [
    '-filter_complex',
    `[0:v:0]split=3[a][s][l];[a]${analysisChain}[ao];[s]${rgb}[so];[l]${luma}[lo]`,
    ...outputs,
    '-map',
    '[lo]',
    ...rawOutput('gray', 4),
  ];
}

export async function streamGrayFrames(opts: StreamFramesOptions): Promise<StreamFramesResult> {
  const planes = opts.chroma ? 3 : 1;
  // The frame size is what showinfo reports; pixels that arrive before its first line wait.
  let size: GrayFrameSize | undefined;
  let splitter: FrameSplitter | undefined;
  const early: Buffer[] = [];
  let index = 0;
  let delivered = 0;
  const times: number[] = [];
  const waiting: Uint8Array[] = [];
  let lastTime = Number.NaN;

  const deliver = (f: Uint8Array, time: number): void => {
    lastTime = time;
    opts.onFrame(f, delivered++, time);
  };
  const drain = (force: boolean): void => {
    while (waiting.length > 0) {
      let t = times[delivered];
      if (t === undefined || !Number.isFinite(t)) {
        if (!force && waiting.length <= MAX_WAITING) return;
        t = Number.isFinite(lastTime) ? lastTime + 1 / 25 : 0;
        times[delivered] = t;
      }
      deliver(waiting.shift() as Uint8Array, t);
    }
  };

  const pix = opts.chroma ? 'yuv444p' : 'gray';
  const analysisChain = `${analysisScaleFilter(opts.width)},format=${pix},showinfo@analysis`;
  const sample = opts.sample;
  const sampled = sample ? new SampledFrames({ ...sample, channels: 3 }) : undefined;
  const luma = sample?.luma ? new SampledFrames({ ...sample.luma, channels: 1 }) : undefined;
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'info',
    ...inputArgs(opts.file),
    ...(sample ? sampleOutputs(analysisChain, pix, sample) : ['-map', '0:v:0', '-vf', analysisChain, ...rawOutput(pix, 1)]),
  ];
  const guard = new AbortController();
  let overLimit: string | undefined;
  const stop = (why: string): void => {
    overLimit ??= why;
    guard.abort();
  };
  const take = (frames: FrameSplitter, chunk: Buffer): void => {
    for (const frame of frames.take(chunk)) {
      if (overLimit) return;
      const t = times[index];
      // The splitter reuses its buffer: a frame that waits for its time is copied.
      if (waiting.length === 0 && t !== undefined && Number.isFinite(t)) deliver(frame, t);
      else waiting.push(frame.slice());
      index++;
      drain(false);
      if (opts.limits && index > opts.limits.maxFrames) stop(`more than the ${opts.limits.maxFrames}-frame limit (MAX_FRAMES)`);
    }
  };
  const decoding = runBinary(opts.ffmpeg, args, {
    signal: opts.signal ? AbortSignal.any([opts.signal, guard.signal]) : guard.signal,
    timeoutMs: opts.timeoutMs,
    ...(sampled
      ? { onPipes: [(stream: Readable) => sampled.read(stream), ...(luma ? [(stream: Readable) => luma.read(stream)] : [])] }
      : {}),
    onStderrLine: (line) => {
      const m = SHOWINFO.exec(line);
      if (!m) return;
      if (line.startsWith(SAMPLE_INFO) || line.startsWith(LUMA_INFO)) {
        (line.startsWith(SAMPLE_INFO) ? sampled : luma)?.timeLine(line, Number(m[1]), Number(m[3]));
        return;
      }
      if (!line.startsWith(ANALYSIS_INFO)) return;
      if (!size) {
        const s = SHOWINFO_SIZE.exec(line);
        if (!s) return;
        size = { width: Number(s[1]), height: Number(s[2]) };
        const frames = new FrameSplitter(size.width * size.height * planes, false);
        splitter = frames;
        opts.onSize?.(size);
        for (const chunk of early.splice(0)) take(frames, chunk);
      }
      const t = Number(m[3]);
      times[Number(m[1])] = t;
      if (opts.limits && t > opts.limits.maxTimeS) stop(`longer than the ${opts.limits.maxTimeS}-second limit (MAX_DURATION_S)`);
      if (!overLimit) drain(false);
    },
    onStdout: (chunk) => {
      if (splitter) take(splitter, chunk);
      else early.push(chunk);
    },
  });
  try {
    await decoding;
    await Promise.all([sampled?.finished(), luma?.finished()]);
  } catch (e) {
    sampled?.stop();
    luma?.stop();
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
  if (early.length > 0) throw new WorkerError('MEDIA_UNREADABLE', 'the decoder gave pixels but never said their size (no showinfo line)');
  drain(true);
  return { frameCount: index, times: fillTimes(times, index), size: size ?? { width: 0, height: 0 } };
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
