/**
 * @module The animate task's ffmpeg reads, each under its own format whitelist: the still decoded
 * once to rgb24 at the working size, the audio decoded to mono at a low rate (energy only), and
 * the audio's packets remuxed untouched into Matroska, which the MP4 encoder's guarded input
 * (the video whitelist) reads back — so an MP3 or FLAC track is copied, never re-encoded, on its
 * way into the result.
 */
import { WorkerError, isWorkerError } from '../../errors.js';
import { guardedInputArgs, runBinary } from '../../media/ffmpeg.js';
import { uprightFilter, type Orientation } from '../../media/exif-orientation.js';

export interface FfmpegRun {
  ffmpeg: string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

/** The probe passed, so a decode that fails is the file's fault (truncated, an animated WebP): say which field. */
async function decoding<T>(field: string, what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!isWorkerError(e) || e.code !== 'FFMPEG_FAILED') throw e;
    throw new WorkerError('MEDIA_UNREADABLE', `${field}: the ${what} could not be decoded`, { cause: e, details: { field } });
  }
}

/** What decodeStill needs to know of the image (job/image-input.ts's PreparedImage). */
export interface StillSource {
  file: string;
  format: string;
  storedWidth: number;
  storedHeight: number;
  orientation: Orientation;
  alpha: boolean;
}

/**
 * The still as rgb24, upright, `width`×`height` (Lanczos: the working copy is what every frame
 * samples). A JPEG's EXIF orientation is applied here (ffmpeg's autorotation is off, so a build
 * that applies it itself cannot turn the picture twice); transparency is flattened onto black
 * first (converting straight to RGB would show whatever colour the transparent pixels store).
 */
export async function decodeStill(
  image: StillSource,
  width: number,
  height: number,
  o: FfmpegRun & { field: string },
): Promise<Uint8Array> {
  const tail = [uprightFilter(image.orientation), `scale=${width}:${height}:flags=lanczos+accurate_rnd+full_chroma_int`, 'format=rgb24']
    .filter(Boolean)
    .join(',');
  const graph = image.alpha
    ? [
        '-filter_complex',
        `[0:v]format=rgba[fg];color=black:s=${image.storedWidth}x${image.storedHeight}[bg];[bg][fg]overlay=shortest=1:format=rgb,${tail}`,
      ]
    : ['-vf', tail];
  const { stdout } = await decoding(o.field, 'image', () =>
    runBinary(
      o.ffmpeg,
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-noautorotate',
        ...guardedInputArgs(image.file, [image.format]),
        ...graph,
        '-frames:v',
        '1',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        'pipe:1',
      ],
      { ...o, maxStdoutBytes: width * height * 3 },
    ),
  );
  if (stdout.length !== width * height * 3) {
    throw new WorkerError('MEDIA_UNREADABLE', `${o.field}: the image decoded to ${stdout.length} bytes, not ${width * height * 3}`);
  }
  return new Uint8Array(stdout.buffer, stdout.byteOffset, stdout.length);
}

/** Sample rate of the energy decode: plenty for loudness per 1/60 s frame, 1/6 of 48 kHz's bytes. */
export const ENVELOPE_RATE = 8000;

export interface FrameRms {
  /** RMS of the samples in each video frame's span (ENVELOPE_RATE mono); one value per frame. */
  rms: Float32Array;
  /** Seconds of audio decoded (the track's length, or `stopAfterS` when it is longer). */
  seconds: number;
  /** The track goes on past `stopAfterS`: the decode was stopped there. */
  longer: boolean;
}

/**
 * The first audio stream's loudness per video frame at `fps`, decoded as a stream (mono float32 at
 * ENVELOPE_RATE) and summed as it arrives: memory is one number per frame, whatever the track's
 * length, and the decode is stopped once it passes `stopAfterS` (the limits), so a track that does
 * not declare its length — a day of raw FLAC — costs the limit's worth of decoding and no more.
 * Frame f covers samples [⌊f·rate/fps⌋, ⌊(f+1)·rate/fps⌋), as `frameRms` counts them.
 */
export async function decodeFrameRms(
  file: string,
  formats: readonly string[],
  o: FfmpegRun & { field: string; fps: number; stopAfterS: number },
): Promise<FrameRms> {
  const rate = ENVELOPE_RATE;
  const maxSamples = Math.ceil(o.stopAfterS * rate);
  let sums = new Float64Array(1024);
  let samples = 0;
  let frame = 0;
  let frameEnd = Math.floor(rate / o.fps);
  let carry = Buffer.alloc(0);
  const stop = new AbortController();
  const take = (chunk: Buffer): void => {
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const whole = bytes.length - (bytes.length % 4);
    carry = Buffer.from(bytes.subarray(whole));
    for (let at = 0; at < whole && samples < maxSamples; at += 4) {
      while (samples >= frameEnd) {
        frame++;
        frameEnd = Math.floor(((frame + 1) * rate) / o.fps);
      }
      if (frame >= sums.length) {
        const grown = new Float64Array(sums.length * 2);
        grown.set(sums);
        sums = grown;
      }
      const x = bytes.readFloatLE(at);
      sums[frame] = (sums[frame] as number) + x * x;
      samples++;
    }
    if (samples >= maxSamples && whole > 0 && !stop.signal.aborted) stop.abort(new Error('past the limits'));
  };
  let longer = false;
  try {
    await decoding(o.field, 'audio', () =>
      runBinary(
        o.ffmpeg,
        [
          '-hide_banner',
          '-nostdin',
          '-loglevel',
          'error',
          ...guardedInputArgs(file, formats),
          '-map',
          '0:a:0',
          '-vn',
          '-ac',
          '1',
          '-ar',
          String(rate),
          '-f',
          'f32le',
          'pipe:1',
        ],
        { ...o, signal: o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal, onStdout: take },
      ),
    );
  } catch (e) {
    // Our own stop (the track is longer than the limits) is an answer; the job's is not.
    if (!stop.signal.aborted || o.signal?.aborted) throw e;
    longer = true;
  }
  const seconds = samples / rate;
  const frames = Math.max(1, Math.round(seconds * o.fps));
  const rms = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    const a = Math.floor((f * rate) / o.fps);
    const b = Math.min(samples, Math.floor(((f + 1) * rate) / o.fps));
    rms[f] = b > a && f < sums.length ? Math.sqrt((sums[f] as number) / (b - a)) : 0;
  }
  return { rms, seconds, longer };
}

/** The first audio stream's packets, copied into a Matroska file (no decode, no re-encode). */
export async function remuxAudio(file: string, formats: readonly string[], out: string, o: FfmpegRun): Promise<void> {
  await runBinary(
    o.ffmpeg,
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      ...guardedInputArgs(file, formats),
      '-map',
      '0:a:0',
      '-vn',
      '-c:a',
      'copy',
      '-f',
      'matroska',
      out,
    ],
    o,
  );
}
