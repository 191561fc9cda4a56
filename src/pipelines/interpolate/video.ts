/**
 * @module Raises a video's frame rate, streamed: ffmpeg decodes rgb24 frames, new frames are made
 * between each pair, and ffmpeg encodes an H.264 MP4 at the new rate with the source's audio
 * (packets copied). Memory holds two source frames and one batch, whatever the video's length.
 *
 * Two engines. `rife`: a RIFE ONNX model (rife-model.ts) makes each pair's frames, batched.
 * `minterpolate`: ffmpeg's motion-compensated interpolation, in a third ffmpeg process between the
 * decoder and the encoder (raw frames in and out of it, so the frame count is ours to keep: the
 * filter ends early, so the last frame is fed twice more and its output is cut at the right count).
 *
 * Both keep the duration (schedule.ts: round(N·out/in) frames) and never blend across a scene
 * cut: at a cut, the inserted frames repeat the nearer of the two source frames (the rife engine
 * by schedule.ts's detector, minterpolate by its own `scd=fdiff`, the same rule and threshold).
 */
import { WorkerError, cancelledError } from '../../errors.js';
import { openBinary } from '../../media/ffmpeg.js';
import { FrameSplitter } from '../../media/frame-splitter.js';
import { decodeRgbFrames, openMp4Encoder } from '../../media/rgb-frames.js';
import type { RifeInterpolator } from './rife-model.js';
import { CUT_THRESHOLD, CutDetector, FrameSchedule, rateString, rateValue, type Rate } from './schedule.js';
import { failRun, runStop } from '../../util/run-stop.js';

export interface InterpolateVideoOptions {
  ffmpeg: string;
  input: string;
  /** Decode size (the display size). */
  width: number;
  height: number;
  rateIn: Rate;
  rateOut: Rate;
  /** The engine: a RIFE interpolator, or ffmpeg's minterpolate. */
  engine: { kind: 'rife'; model: RifeInterpolator } | { kind: 'minterpolate' };
  crf: number;
  preset?: string;
  audio: 'copy' | 'aac' | 'none';
  output: string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** After each source frame is done: source frames and output frames so far. */
  onProgress?: (sourceFrames: number, outputFrames: number) => void;
  limits?: { maxFrames: number } | undefined;
  now?: () => number;
}

export interface InterpolateVideoResult {
  /** Source frames read. */
  sourceFrames: number;
  /** Output frames written. */
  frames: number;
  /** Frames made by the engine (not copies of a source frame). */
  interpolated: number;
  /** Scene cuts found (pairs that were not blended). */
  cuts: number;
  width: number;
  height: number;
  modelRuns: number;
  modelMs: number;
  wallMs: number;
}

/** The minterpolate process: rgb24 in at `rateIn`, rgb24 out at `rateOut`. */
export function minterpolateArgs(width: number, height: number, rateIn: Rate, rateOut: Rate): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${width}x${height}`,
    '-framerate',
    rateString(rateIn),
    '-i',
    'pipe:0',
    // aobmc + bidir + vsbmc: fewer block artefacts than the defaults, at a small cost.
    '-vf',
    `minterpolate=fps=${rateString(rateOut)}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1:` +
      `scd=fdiff:scd_threshold=${CUT_THRESHOLD},format=rgb24`,
    '-vsync',
    'passthrough',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

export async function interpolateVideo(o: InterpolateVideoOptions): Promise<InterpolateVideoResult> {
  const now = o.now ?? (() => performance.now());
  const started = now();
  if (o.signal?.aborted) throw cancelledError(o.signal.reason);
  if (!(rateValue(o.rateOut) > rateValue(o.rateIn))) throw new RangeError('the output rate must be above the input rate');
  const schedule = new FrameSchedule(o.rateIn, o.rateOut);

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
    width: o.width,
    height: o.height,
    rate: rateString(o.rateOut),
    quality: o.crf,
    ...(o.preset === undefined ? {} : { preset: o.preset }),
    audio: o.audio === 'none' ? undefined : { from: o.input, mode: o.audio },
    signal: stop.signal,
    timeoutMs: o.timeoutMs,
  });
  const mid =
    o.engine.kind === 'minterpolate'
      ? openBinary(o.ffmpeg, minterpolateArgs(o.width, o.height, o.rateIn, o.rateOut), { signal: stop.signal, timeoutMs: o.timeoutMs })
      : undefined;
  if (mid) mid.stdout.on('error', () => undefined);

  let sourceFrames = 0;
  let frames = 0;
  let interpolated = 0;
  let cuts = 0;
  const cutDetector = new CutDetector(o.width, o.height);

  const writeOut = async (frame: Uint8Array): Promise<void> => {
    await encoder.write(frame);
    frames++;
  };

  async function rifeLoop(model: RifeInterpolator): Promise<void> {
    let prev: Uint8Array | undefined;
    for await (const frame of decoder) {
      const cut = cutDetector.push(frame);
      if (cut) cuts++;
      if (prev) {
        // Output frames whose position lies in [prev, frame).
        const ts: number[] = [];
        while (schedule.at(frames + ts.length).frame === sourceFrames - 1) ts.push(schedule.at(frames + ts.length).t);
        const wanted = cut ? [] : ts.filter((t) => t > 0);
        const made = wanted.length > 0 ? await model.between(prev, frame, wanted, stop.signal) : [];
        interpolated += made.length;
        let k = 0;
        for (const t of ts) await writeOut(t === 0 ? prev : cut ? (t < 0.5 ? prev : frame) : made[k++]!);
        o.onProgress?.(sourceFrames, frames);
      }
      prev = frame;
      sourceFrames++;
    }
    if (!prev) throw new WorkerError('MEDIA_UNREADABLE', 'the video stream gave no frames');
    // The last source frame, held for its own duration at the new rate.
    const total = schedule.total(sourceFrames);
    while (frames < total) await writeOut(prev);
    o.onProgress?.(sourceFrames, frames);
  }

  async function minterpolateLoop(proc: NonNullable<typeof mid>): Promise<void> {
    let total: number | undefined;
    const feed = async (): Promise<void> => {
      const put = async (f: Uint8Array): Promise<void> => {
        if (!proc.stdin.write(f)) {
          await new Promise<void>((resolve, reject) => {
            const onDrain = (): void => {
              proc.stdin.off('close', onClose);
              resolve();
            };
            const onClose = (): void => {
              proc.stdin.off('drain', onDrain);
              proc.done.then(() => reject(new WorkerError('FFMPEG_FAILED', 'minterpolate exited before reading all frames')), reject);
            };
            proc.stdin.once('drain', onDrain);
            proc.stdin.once('close', onClose);
          });
        }
      };
      let last: Uint8Array | undefined;
      for await (const frame of decoder) {
        if (cutDetector.push(frame)) cuts++;
        await put(frame);
        last = frame;
        sourceFrames++;
        o.onProgress?.(sourceFrames, frames);
      }
      if (!last) throw new WorkerError('MEDIA_UNREADABLE', 'the video stream gave no frames');
      // Known before any output frame past it can exist (those need the padding frames below).
      total = schedule.total(sourceFrames);
      // minterpolate stops about a source frame short of the end: two more copies of the last.
      await put(last);
      await put(last);
      proc.stdin.end();
    };
    const drain = async (): Promise<void> => {
      const splitter = new FrameSplitter(o.width * o.height * 3, true);
      let lastOut: Uint8Array | undefined;
      for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
        for (const f of splitter.take(chunk)) {
          if (total !== undefined && frames >= total) continue;
          await writeOut(f);
          lastOut = f;
        }
      }
      await proc.done;
      // Never expected; kept so the count holds whatever the filter does at the end.
      while (total !== undefined && frames < total && lastOut) await writeOut(lastOut);
    };
    await Promise.all([feed(), drain()]);
    interpolated = Math.max(0, frames - sourceFrames);
  }

  try {
    if (o.engine.kind === 'rife') await rifeLoop(o.engine.model);
    else await minterpolateLoop(mid!);
    await encoder.finish();
  } catch (e) {
    return await failRun(e, {
      stop,
      caller: o.signal,
      close: () => {
        const closing = [decoder.close(), encoder.close()];
        mid?.kill();
        return [...closing, mid?.done.catch(() => undefined)];
      },
      modelSettled: o.engine.kind === 'rife' ? o.engine.model.settled() : undefined,
      output: o.output,
      timedOutMessage: `interpolation did not finish within ${o.timeoutMs} ms (${frames} frames done)`,
    });
  } finally {
    stop.dispose();
  }
  const stats = o.engine.kind === 'rife' ? o.engine.model.stats : undefined;
  return {
    sourceFrames,
    frames,
    interpolated,
    cuts,
    width: encoder.outputWidth,
    height: encoder.outputHeight,
    modelRuns: stats?.runs ?? 0,
    modelMs: stats?.modelMs ?? 0,
    wallMs: now() - started,
  };
}
