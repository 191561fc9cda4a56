/**
 * @module Raw rgb24 frames in and out of ffmpeg, for per-frame models (super-resolution): a
 * decoder that yields every frame of a video at a given size, and an encoder that takes frames
 * and writes an H.264 MP4 with the source's audio. Both stream with backpressure through the OS
 * pipe (a 4K rgb24 frame is 25 MB: a video never fits in memory), and both are ended at once by
 * an AbortSignal, a timeout or `close()`.
 *
 * Colour: the decoder converts with the source's own YCbCr matrix (ffmpeg's `auto`, BT.601 when
 * untagged); the encoder converts to BT.709 limited range and tags the stream so, so a player
 * gets back the RGB the model saw.
 */
import { WorkerError, isWorkerError } from '../errors.js';
import { inputArgs, openBinary, type OpenedBinary } from './ffmpeg.js';
import { FrameSplitter } from './frame-splitter.js';

export interface RgbDecodeOptions {
  ffmpeg: string;
  file: string;
  /** Size of the frames delivered: the display size (after ffmpeg's autorotation) or any other. */
  width: number;
  height: number;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /**
   * Stop with VIDEO_TOO_LONG past this many frames: the guard for files that do not declare their
   * length, checked while decoding.
   */
  limits?: { maxFrames: number } | undefined;
}

/** The decoded frames: iterate once. Each frame is a fresh buffer (the caller may keep it). */
export interface RgbFrameSource extends AsyncIterable<Uint8Array> {
  /** width × height × 3. */
  readonly frameBytes: number;
  /** Frames delivered so far. */
  readonly frames: number;
  readonly pid: number | undefined;
  /** Stop decoding now (kills ffmpeg; iteration then ends) and wait for the process to exit. */
  close(): Promise<void>;
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`frame size must be positive integers, got ${width}×${height}`);
  }
}

/**
 * The decode arguments. `-vsync passthrough`: one output frame per decoded frame, none duplicated
 * or dropped to fit a rate. The scale runs after autorotation, so `width`×`height` is upright.
 * `full_chroma_int`/`accurate_rnd`: 4:2:0 chroma interpolated, not repeated, before the model sees it.
 */
export function rgbDecodeArgs(file: string, width: number, height: number): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    ...inputArgs(file),
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vsync',
    'passthrough',
    '-vf',
    `scale=${width}:${height}:flags=bicubic+accurate_rnd+full_chroma_int,format=rgb24`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

/** Decode `file`'s first video stream as rgb24 frames of `width`×`height`, pulled one at a time. */
export function decodeRgbFrames(o: RgbDecodeOptions): RgbFrameSource {
  checkSize(o.width, o.height);
  const frameBytes = o.width * o.height * 3;
  const proc = openBinary(o.ffmpeg, rgbDecodeArgs(o.file, o.width, o.height), { signal: o.signal, timeoutMs: o.timeoutMs });
  proc.stdin.end();
  let frames = 0;
  let closedByCaller = false;
  let overLimit = false;
  let started = false;

  const tooLong = (cause?: unknown): WorkerError =>
    new WorkerError('VIDEO_TOO_LONG', `the video has more than the ${o.limits?.maxFrames}-frame limit (MAX_FRAMES)`, { cause });

  /** The process's outcome as the error this decoder reports (undefined: it ended cleanly). */
  const outcome = async (): Promise<WorkerError | undefined> => {
    try {
      await proc.done;
      return undefined;
    } catch (e) {
      if (overLimit && !o.signal?.aborted) return tooLong(e);
      // The caller probed the file first, so a failure here is a stream that does not decode
      // (truncated, corrupt): the input's fault, not ours.
      if (isWorkerError(e) && e.code === 'FFMPEG_FAILED') {
        return new WorkerError('MEDIA_UNREADABLE', `the video stream could not be decoded after ${frames} frames`, { cause: e });
      }
      return isWorkerError(e) ? e : new WorkerError('INTERNAL', 'frame decoding failed', { cause: e });
    }
  };

  async function* iterate(): AsyncGenerator<Uint8Array> {
    const splitter = new FrameSplitter(frameBytes, true);
    let finished = false;
    try {
      try {
        for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
          for (const frame of splitter.take(chunk)) {
            if (o.limits && frames >= o.limits.maxFrames) {
              overLimit = true;
              proc.kill();
              break;
            }
            if (closedByCaller) return;
            frames++;
            yield frame;
            // close() while the caller held the frame: the chunk in hand is not delivered.
            if (closedByCaller) return;
          }
          if (overLimit) break;
        }
      } catch (e) {
        // A premature close: the process was killed (abort, timeout, close()); `done` says which.
        if (closedByCaller) return;
        const err = await outcome();
        throw err ?? e;
      }
      if (closedByCaller) return;
      // Checked apart from the process's outcome: a short file may have been decoded completely.
      if (overLimit) throw tooLong();
      const err = await outcome();
      if (err) throw err;
      if (splitter.partial > 0)
        throw new WorkerError(
          'MEDIA_UNREADABLE',
          `the decoder stopped inside frame ${frames + 1} (${splitter.partial} of ${frameBytes} bytes)`,
        );
      finished = true;
    } finally {
      if (!finished) {
        proc.kill();
        await proc.done.catch(() => undefined);
      }
    }
  }

  return {
    frameBytes,
    get frames() {
      return frames;
    },
    pid: proc.pid,
    [Symbol.asyncIterator]() {
      if (started) throw new TypeError('decoded frames can be iterated only once');
      started = true;
      return iterate();
    },
    async close() {
      closedByCaller = true;
      proc.kill();
      await proc.done.catch(() => undefined);
    },
  };
}

/** What the encoder does with the source's first audio stream. */
export interface EncoderAudio {
  /** The original file, read again for its audio (as input 1). */
  from: string;
  /**
   * `copy`: the packets untouched (the codec must fit in MP4: `canCopyAudioIntoMp4` in mux.ts).
   * `aac`: re-encoded to AAC 192 kb/s, for codecs MP4 cannot hold (Vorbis, PCM in some players, …).
   */
  mode: 'copy' | 'aac';
}

export interface Mp4EncoderOptions {
  ffmpeg: string;
  output: string;
  /** Size of the frames written. An odd side loses its last row/column (4:2:0 needs even sides). */
  width: number;
  height: number;
  /** Frame rate as `num/den` (or an integer): frame i is shown at i·den/num seconds. */
  rate: string;
  /** libx264 CRF, 0 (lossless) … 51; 18 is visually lossless for most content. */
  quality: number;
  /** libx264 preset. @default "medium" */
  preset?: string;
  /** The source's audio; none when absent. A source without audio gives a silent MP4 either way. */
  audio?: EncoderAudio | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

export interface Mp4Encoder {
  readonly frameBytes: number;
  /** The video's size in the file: the frame size, less a last odd row/column. */
  readonly outputWidth: number;
  readonly outputHeight: number;
  /** Frames written so far. */
  readonly frames: number;
  readonly pid: number | undefined;
  /**
   * Hand one frame to ffmpeg; resolves once it is in the pipe (backpressure), rejects when the
   * encoder has failed or stopped. The buffer must not be changed until then.
   */
  write(frame: Uint8Array): Promise<void>;
  /** No more frames: resolves when the MP4 is complete. */
  finish(): Promise<void>;
  /** Stop now (kills ffmpeg; the file is left incomplete) and wait for the process to exit. */
  close(): Promise<void>;
}

/** `num/den` or an integer, both positive; anything else is a programming error. */
export function parseRate(rate: string): { num: number; den: number } {
  const m = /^(\d+)(?:\/(\d+))?$/.exec(rate);
  const num = Number(m?.[1]);
  const den = Number(m?.[2] ?? 1);
  if (!m || !(num > 0) || !(den > 0)) throw new RangeError(`frame rate must be "num/den" with positive integers, got "${rate}"`);
  return { num, den };
}

export function mp4EncodeArgs(o: Omit<Mp4EncoderOptions, 'ffmpeg' | 'signal' | 'timeoutMs'>): string[] {
  const { num, den } = parseRate(o.rate);
  const even = o.width % 2 === 0 && o.height % 2 === 0;
  const filters = [
    ...(even ? [] : [`crop=${o.width & ~1}:${o.height & ~1}:0:0`]),
    'scale=out_color_matrix=bt709:out_range=tv:flags=bicubic+accurate_rnd+full_chroma_int',
    'format=yuv420p',
  ];
  const audio = o.audio;
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${o.width}x${o.height}`,
    '-framerate',
    `${num}/${den}`,
    '-i',
    'pipe:0',
    ...(audio ? inputArgs(audio.from) : []),
    '-map',
    '0:v:0',
    ...(audio ? ['-map', '1:a:0?'] : []),
    '-vf',
    filters.join(','),
    '-c:v',
    'libx264',
    '-preset',
    o.preset ?? 'medium',
    '-crf',
    String(o.quality),
    '-pix_fmt',
    'yuv420p',
    '-colorspace',
    'bt709',
    ...(audio?.mode === 'copy' ? ['-c:a', 'copy'] : audio?.mode === 'aac' ? ['-c:a', 'aac', '-b:a', '192k'] : []),
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    o.output,
  ];
}

/** Resolves when `stdin` has flushed; rejects when it closes first (the process is gone). */
function drained(proc: OpenedBinary): Promise<void> {
  return new Promise((resolve, reject) => {
    const stdin = proc.stdin;
    const onDrain = (): void => {
      stdin.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      stdin.off('drain', onDrain);
      proc.done.then(() => reject(new WorkerError('FFMPEG_FAILED', 'the encoder exited before reading all frames')), reject);
    };
    stdin.once('drain', onDrain);
    stdin.once('close', onClose);
    if (stdin.destroyed) onClose();
  });
}

/** Start an encoder writing `output`; frames go in with `write`, then `finish`. */
export function openMp4Encoder(o: Mp4EncoderOptions): Mp4Encoder {
  checkSize(o.width, o.height);
  if (!(o.quality >= 0 && o.quality <= 51)) throw new RangeError(`CRF must be 0…51, got ${o.quality}`);
  const frameBytes = o.width * o.height * 3;
  const proc = openBinary(o.ffmpeg, mp4EncodeArgs(o), { signal: o.signal, timeoutMs: o.timeoutMs });
  proc.stdout.resume();
  let frames = 0;
  let ending = false;
  /** Set once the process has ended before `finish` (a failure, a kill). */
  let early: unknown;
  proc.done.then(
    () => {
      if (!ending) early = new WorkerError('FFMPEG_FAILED', 'the encoder exited before reading all frames');
    },
    (e: unknown) => {
      early = e;
    },
  );
  return {
    frameBytes,
    outputWidth: o.width & ~1,
    outputHeight: o.height & ~1,
    get frames() {
      return frames;
    },
    pid: proc.pid,
    async write(frame) {
      if (frame.length !== frameBytes) throw new RangeError(`a frame must be ${frameBytes} bytes, got ${frame.length}`);
      if (ending) throw new TypeError('write after finish');
      if (early !== undefined) throw early;
      frames++;
      if (!proc.stdin.write(frame)) await drained(proc);
    },
    async finish() {
      ending = true;
      proc.stdin.end();
      await proc.done;
    },
    async close() {
      ending = true;
      proc.kill();
      await proc.done.catch(() => undefined);
    },
  };
}
