/**
 * @module The animate task's ffmpeg reads, each under its own format whitelist: the still decoded
 * once to rgb24 at the working size, the audio decoded to mono at a low rate (energy only), and
 * the audio's packets remuxed untouched into Matroska, which the MP4 encoder's guarded input
 * (the video whitelist) reads back — so an MP3 or FLAC track is copied, never re-encoded, on its
 * way into the result.
 */
import { WorkerError, isWorkerError } from '../../errors.js';
import { runBinary } from '../../media/ffmpeg.js';
import { guardedInputArgs } from '../../job/format-probe.js';
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
export async function decodeStill(image: StillSource, width: number, height: number, o: FfmpegRun & { field: string }): Promise<Uint8Array> {
  const tail = [uprightFilter(image.orientation), `scale=${width}:${height}:flags=lanczos+accurate_rnd+full_chroma_int`, 'format=rgb24'].filter(Boolean).join(',');
  const graph = image.alpha
    ? ['-filter_complex', `[0:v]format=rgba[fg];color=black:s=${image.storedWidth}x${image.storedHeight}[bg];[bg][fg]overlay=shortest=1:format=rgb,${tail}`]
    : ['-vf', tail];
  const { stdout } = await decoding(o.field, 'image', () => runBinary(
    o.ffmpeg,
    ['-hide_banner', '-nostdin', '-loglevel', 'error', '-noautorotate', ...guardedInputArgs(image.file, [image.format]), ...graph, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    o,
  ));
  if (stdout.length !== width * height * 3) {
    throw new WorkerError('MEDIA_UNREADABLE', `${o.field}: the image decoded to ${stdout.length} bytes, not ${width * height * 3}`);
  }
  return new Uint8Array(stdout.buffer, stdout.byteOffset, stdout.length);
}

/** Sample rate of the energy decode: plenty for loudness per 1/60 s frame, 1/6 of 48 kHz's bytes. */
export const ENVELOPE_RATE = 8000;

/** The first audio stream, mono float32 at ENVELOPE_RATE (its length is the track's). */
export async function decodeMono(file: string, formats: readonly string[], o: FfmpegRun & { field: string }): Promise<Float32Array> {
  const { stdout } = await decoding(o.field, 'audio', () => runBinary(
    o.ffmpeg,
    ['-hide_banner', '-nostdin', '-loglevel', 'error', ...guardedInputArgs(file, formats), '-map', '0:a:0', '-vn', '-ac', '1', '-ar', String(ENVELOPE_RATE), '-f', 'f32le', 'pipe:1'],
    o,
  ));
  const copy = Buffer.from(stdout);
  return new Float32Array(copy.buffer, copy.byteOffset, Math.floor(copy.byteLength / 4));
}

/** The first audio stream's packets, copied into a Matroska file (no decode, no re-encode). */
export async function remuxAudio(file: string, formats: readonly string[], out: string, o: FfmpegRun): Promise<void> {
  await runBinary(o.ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...guardedInputArgs(file, formats), '-map', '0:a:0', '-vn', '-c:a', 'copy', '-f', 'matroska', out], o);
}
