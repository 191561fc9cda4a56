/**
 * @module Where the source speaks: its first audio stream is decoded by ffmpeg to 16 kHz mono
 * float and streamed (never held whole: the model's pace holds the decode back through the pipe),
 * each 512-sample window goes through Silero VAD in order, and the probabilities become spans
 * (`spans.ts`). Times count from the stream's first decoded sample, which is t = 0 of the Foley
 * track too. A source without audio gives no spans; what to do about that is the caller's call.
 */
import type { Logger } from 'pino';
import { WorkerError, cancelledError, isWorkerError } from '../../../errors.js';
import type { EpRequest, Session } from '../../../inference/ort.js';
import { ffmpegNumber, inputArgs, openBinary } from '../../../media/ffmpeg.js';
import { SileroStream, VAD_SAMPLE_RATE, VAD_WINDOW, openVadSession } from './model.js';
import { SpeechSpans, type VadParams } from './spans.js';

export interface DetectSpeechOptions {
  ffmpeg: string;
  file: string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /**
   * An open Silero VAD session (`openVadSession`), reused across jobs; or how to open one for this
   * call only (released at the end).
   */
  vad: Session | { model?: string; ep: EpRequest; gpuPresent?: boolean; log: Logger; thread?: boolean };
  /** Analyse at most this many seconds (the job's `duration`); default all. */
  maxSeconds?: number | undefined;
  /** Hysteresis parameters; default `VAD_PARAMS`. */
  params?: Partial<VadParams> | undefined;
}

export interface SpeechResult {
  /** Speech spans, seconds from the audio's first sample, sorted and merged. */
  spans: Array<[number, number]>;
  /** Time spent in the model (ms). */
  modelMs: number;
  /** Seconds of audio analysed (0 without audio). */
  seconds: number;
  /** False when the source has no audio stream. */
  audio: boolean;
}

/** ffmpeg's words (4.x and 5.x) when `-map 0:a:0?` matched nothing: the file has no audio. */
const NO_STREAM = /does not contain any stream/;

const isSession = (v: DetectSpeechOptions['vad']): v is Session => typeof (v as Session).run === 'function';

export async function detectSpeech(o: DetectSpeechOptions): Promise<SpeechResult> {
  if (o.signal?.aborted) throw cancelledError(o.signal.reason);
  const owned = isSession(o.vad) ? undefined : await openVadSession(o.vad);
  const session = owned ?? (o.vad as Session);
  try {
    return await run(o, session);
  } finally {
    await owned?.release();
  }
}

async function run(o: DetectSpeechOptions, session: Session): Promise<SpeechResult> {
  const model = new SileroStream(session);
  const spans = new SpeechSpans(VAD_SAMPLE_RATE, o.params);
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...inputArgs(o.file),
    // `?`: no audio stream is not an error here (ffmpeg then writes nothing and says so).
    '-map',
    '0:a:0?',
    '-vn',
    '-sn',
    '-dn',
    ...(o.maxSeconds !== undefined ? ['-t', ffmpegNumber(o.maxSeconds)] : []),
    '-ac',
    '1',
    '-ar',
    String(VAD_SAMPLE_RATE),
    '-f',
    'f32le',
    'pipe:1',
  ];
  const proc = openBinary(o.ffmpeg, args, { signal: o.signal, timeoutMs: o.timeoutMs });
  proc.stdin.end();
  // One window's bytes, filled from the pipe's chunks (which split floats anywhere).
  const window = new Float32Array(VAD_WINDOW);
  const bytes = new Uint8Array(window.buffer);
  let filled = 0;
  let samples = 0;
  let modelFailed = false;
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      let at = 0;
      while (at < chunk.length) {
        const n = Math.min(bytes.length - filled, chunk.length - at);
        bytes.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === bytes.length) {
          modelFailed = true;
          spans.push(await model.next(window), samples);
          modelFailed = false;
          samples += VAD_WINDOW;
          filled = 0;
        }
      }
    }
  } catch (e) {
    // The model failed (`modelFailed`), or a kill (abort, timeout) destroyed the pipe under the
    // reader: then `done` says why, and that is the error to give.
    const pipeFailed = !modelFailed;
    proc.kill();
    const why = await proc.done.then(
      () => undefined,
      (x: unknown) => x,
    );
    if (pipeFailed && isWorkerError(why) && why.code !== 'FFMPEG_FAILED') throw why;
    throw e;
  }
  try {
    await proc.done;
  } catch (e) {
    if (
      samples === 0 &&
      filled === 0 &&
      isWorkerError(e) &&
      e.code === 'FFMPEG_FAILED' &&
      NO_STREAM.test(String((e.details as { stderr?: string } | undefined)?.stderr ?? e.message))
    ) {
      return { spans: [], modelMs: 0, seconds: 0, audio: false };
    }
    if (isWorkerError(e) && e.code === 'FFMPEG_FAILED') {
      throw new WorkerError('MEDIA_UNREADABLE', `the audio stream could not be decoded after ${(samples / VAD_SAMPLE_RATE).toFixed(2)} s`, {
        cause: e,
      });
    }
    throw e;
  }
  // The last, partial window (whole samples only), zero-padded.
  const tail = Math.floor(filled / 4);
  if (tail > 0) {
    window.fill(0, tail);
    spans.push(await model.next(window), samples);
    samples += tail;
  }
  return { spans: spans.finish(samples), modelMs: model.modelMs, seconds: samples / VAD_SAMPLE_RATE, audio: true };
}
