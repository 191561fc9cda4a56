/**
 * The upscale pipeline on the real ffmpeg and a real ONNX graph (nearest-neighbour ×2, so the
 * right answer is known): every frame comes out once, twice the size, on time, with the same
 * picture and the audio packets untouched; odd rates, VFR, and audio that MP4 cannot hold; and an
 * abort or a timeout that leaves no ffmpeg behind.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWorkerError } from '../../src/errors.js';
import { createOrtRuntime, type Session } from '../../src/inference/ort.js';
import { decodeRgbFrames } from '../../src/media/rgb-frames.js';
import { srModelFromSession, type SrModel } from '../../src/pipelines/upscale/frame-upscaler.js';
import { psnr, type RgbImage } from '../../src/pipelines/upscale/quality.js';
import { upscaleVideo, type UpscaleVideoOptions } from '../../src/pipelines/upscale/video.js';
import {
  audioPacketsMd5,
  binaries,
  ffmpegChildren,
  makeClip,
  probeStreams,
  readRgbFrames,
  videoFrameCount,
  videoTiming,
} from '../helpers/media.js';
import { nearestUpscaler } from '../helpers/onnx-fixtures.js';

function nearestUp(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 12);
  for (let y = 0; y < 2 * height; y++)
    for (let x = 0; x < 2 * width; x++)
      out.set(rgb.subarray(((y >> 1) * width + (x >> 1)) * 3, ((y >> 1) * width + (x >> 1)) * 3 + 3), (y * 2 * width + x) * 3);
  return out;
}

let dir: string;
let session: Session;
let model: SrModel;
const clips = {
  /** 96×64, 25 fps, 1 s, AAC sine. */
  main: '',
  /** 29.97 fps (30000/1001) in Matroska with Vorbis audio (which MP4 cannot hold as it is). */
  ntscVorbis: '',
  /** 30 frames, the first 10 every 40 ms, then every 80 ms (2 s); Matroska (ffmpeg 4's MP4 muxer
   * writes an edit list that hides the last frame of such a clip). */
  vfr: '',
  /** 96×64, 25 fps, 4 s, for the abort. */
  long: '',
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upscale-test-'));
  for (const k of Object.keys(clips) as Array<keyof typeof clips>)
    clips[k] = join(dir, `${k}.${k === 'ntscVorbis' || k === 'vfr' ? 'mkv' : 'mp4'}`);
  await Promise.all([
    makeClip(clips.main, ['testsrc2=s=96x64:r=25:d=1', 'sine=f=440:d=1:sample_rate=48000'], '[0:v]null[v]', [
      '-map',
      '1:a',
      '-c:a',
      'aac',
      '-b:a',
      '96k',
    ]),
    makeClip(clips.ntscVorbis, ['testsrc2=s=96x64:r=30000/1001:d=1', 'sine=f=330:d=1:sample_rate=44100'], '[0:v]null[v]', [
      '-map',
      '1:a',
      '-c:a',
      'libvorbis',
    ]),
    makeClip(clips.vfr, ['testsrc2=s=96x64:r=25:d=1.2'], "[0:v]setpts='(if(lt(N,10),N*0.04,0.4+(N-10)*0.08))/TB'[v]", ['-vsync', 'vfr']),
    makeClip(clips.long, ['testsrc2=s=96x64:r=25:d=4', 'sine=f=440:d=4'], '[0:v]null[v]', ['-map', '1:a', '-c:a', 'aac']),
  ]);
  session = await createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' }).createSession(nearestUpscaler(2));
  model = srModelFromSession(session, { scale: 2, maxBatch: 4 });
});
afterAll(async () => {
  await session?.release();
  await rm(dir, { recursive: true, force: true });
});

function options(input: string, output: string, extra: Partial<UpscaleVideoOptions> = {}): UpscaleVideoOptions {
  return {
    ffmpeg: binaries().ffmpeg,
    input,
    width: 96,
    height: 64,
    rate: '25/1',
    model,
    tile: 48,
    overlap: 8,
    crf: 12,
    preset: 'veryfast',
    audio: 'copy',
    output,
    timeoutMs: 60_000,
    ...extra,
  };
}

describe('decodeRgbFrames', () => {
  it('decodes with backpressure: a reader that stops pulling holds ffmpeg back; close() ends it', async () => {
    // 100 frames of 18 KB: far more than the pipe and the stream buffer hold.
    const frames = decodeRgbFrames({ ffmpeg: binaries().ffmpeg, file: clips.long, width: 96, height: 64, timeoutMs: 30_000 });
    const it = frames[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toHaveLength(96 * 64 * 3);
    await sleep(300);
    expect(frames.frames).toBe(1);
    expect(ffmpegChildren()).toEqual([frames.pid]);
    await frames.close();
    expect(ffmpegChildren()).toEqual([]);
    expect((await it.next()).done).toBe(true);
  });
});

describe('upscaleVideo', () => {
  it('×2: same frames, twice the size, same duration, audio packets identical, picture = nearest ×2 of the source', async () => {
    const output = join(dir, 'main-x2.mp4');
    const progress: number[] = [];
    const t0 = performance.now();
    const result = await upscaleVideo(options(clips.main, output, { onProgress: (n) => progress.push(n) }));
    const ms = performance.now() - t0;

    const [inFrames, outFrames] = await Promise.all([videoFrameCount(clips.main), videoFrameCount(output)]);
    expect(inFrames).toBe(25);
    expect(outFrames).toBe(inFrames);
    expect(result).toMatchObject({ frames: 25, width: 192, height: 128, tilesPerFrame: 6 });
    expect(progress).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    // 6 tiles a frame in batches of 4, batches spanning frames: 150 tiles → 38 runs.
    expect(result.modelRuns).toBe(Math.ceil((25 * 6) / 4));
    expect(result.modelMs).toBeGreaterThan(0);
    expect(result.wallMs).toBeGreaterThanOrEqual(result.modelMs);
    expect(result.wallMs).toBeLessThanOrEqual(ms + 1);

    const video = (await probeStreams(output)).find((s) => s.codec_type === 'video');
    expect(video).toMatchObject({ codec_name: 'h264', width: 192, height: 128 });
    const [a, b] = await Promise.all([videoTiming(clips.main), videoTiming(output)]);
    expect(Math.abs(a.end - b.end)).toBeLessThanOrEqual(a.frameInterval + 1e-6);
    expect(await audioPacketsMd5(output)).toBe(await audioPacketsMd5(clips.main));

    // The picture: each output frame is its source frame repeated 2×2, up to x264 at CRF 12, in
    // the same order (a shifted frame scores far lower on testsrc2's moving parts). Luma: RGB is
    // capped near 30 dB by 4:2:0 chroma on testsrc2's saturated edges. A YCbCr matrix mix-up
    // (BT.709 encoded, read as BT.601) scores about 31 dB here.
    const [src, dst] = await Promise.all([readRgbFrames(clips.main, 96, 64), readRgbFrames(output, 192, 128)]);
    expect(dst).toHaveLength(src.length);
    const at = (rgb: Uint8Array): RgbImage => ({ data: rgb, width: 192, height: 128 });
    const scores = src.map((f, k) => psnr(at(nearestUp(f, 96, 64)), at(dst[k] as Uint8Array), 'luma'));
    expect(Math.min(...scores)).toBeGreaterThan(38);
    const shifted = psnr(at(nearestUp(src[5] as Uint8Array, 96, 64)), at(dst[6] as Uint8Array), 'luma');
    expect(shifted).toBeLessThan(Math.min(...scores) - 5);
    console.log(
      `upscale 96×64 → 192×128, 25 frames: wall ${result.wallMs.toFixed(0)} ms, model ${result.modelMs.toFixed(0)} ms, ` +
        `decode wait ${result.decodeWaitMs.toFixed(0)} ms, encode wait ${result.encodeWaitMs.toFixed(0)} ms; ` +
        `luma PSNR min ${Math.min(...scores).toFixed(1)} dB`,
    );
  });

  it('an NTSC rate (30000/1001) with Vorbis audio: the rate is kept, the audio becomes AAC; `none` drops it', async () => {
    const withAac = join(dir, 'ntsc-aac.mp4');
    const silent = join(dir, 'ntsc-none.mp4');
    await upscaleVideo(options(clips.ntscVorbis, withAac, { rate: '30000/1001', audio: 'aac' }));
    await upscaleVideo(options(clips.ntscVorbis, silent, { rate: '30000/1001', audio: 'none' }));
    const streams = await probeStreams(withAac);
    expect(streams.map((s) => `${s.codec_type}:${s.codec_name}`)).toEqual(['video:h264', 'audio:aac']);
    expect((await probeStreams(silent)).map((s) => s.codec_type)).toEqual(['video']);
    const [src, out] = await Promise.all([videoFrameCount(clips.ntscVorbis), videoFrameCount(withAac)]);
    expect(out).toBe(src);
    const [a, b] = await Promise.all([videoTiming(clips.ntscVorbis), videoTiming(withAac)]);
    expect(b.frameInterval).toBeCloseTo(1001 / 30000, 4);
    expect(Math.abs(a.end - b.end)).toBeLessThanOrEqual(b.frameInterval + 2e-3);
  });

  it('an encoder that dies (a preset x264 does not know) is FFMPEG_FAILED, with no output and no ffmpeg left', async () => {
    const output = join(dir, 'bad-preset.mp4');
    const e = await upscaleVideo(options(clips.main, output, { preset: 'no-such-preset' })).catch((x: unknown) => x);
    expect(isWorkerError(e) && e.code).toBe('FFMPEG_FAILED');
    expect(existsSync(output)).toBe(false);
    expect(ffmpegChildren()).toEqual([]);
  });

  it('a variable-frame-rate source: every frame kept once, shown at the constant rate given', async () => {
    const output = join(dir, 'vfr-x2.mp4');
    const src = await videoTiming(clips.vfr);
    expect(src.end).toBeCloseTo(2, 1);
    const result = await upscaleVideo(options(clips.vfr, output, { audio: 'none' }));
    expect(result.frames).toBe(30);
    expect(await videoFrameCount(output)).toBe(30);
    // 30 frames at 25 fps: 1.2 s, where the source lasted 2 s.
    const out = await videoTiming(output);
    expect(out.end).toBeCloseTo(30 / 25, 2);
  });

  it('an abort stops decode, inference and encode at once: CANCELLED, no ffmpeg left, no output', async () => {
    const output = join(dir, 'aborted.mp4');
    let runs = 0;
    const slow: SrModel = {
      ...model,
      async run(input, shape, signal) {
        runs++;
        await sleep(20);
        return model.run(input, shape, signal);
      },
    };
    const controller = new AbortController();
    let during: number[] = [];
    let abortedAt = 0;
    const run = upscaleVideo(
      options(clips.long, output, {
        model: slow,
        signal: controller.signal,
        onProgress: (n) => {
          if (n !== 5) return;
          during = ffmpegChildren();
          abortedAt = performance.now();
          controller.abort(new Error('client cancelled'));
        },
      }),
    );
    const e = await run.catch((x: unknown) => x);
    const took = performance.now() - abortedAt;
    expect(isWorkerError(e) && e.code).toBe('CANCELLED');
    expect(during).toHaveLength(2);
    expect(took).toBeLessThan(1000);
    console.log(`abort → CANCELLED in ${took.toFixed(0)} ms`);
    expect(ffmpegChildren()).toEqual([]);
    for (const pid of during) expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(output)).toBe(false);
    const after = runs;
    await sleep(200);
    expect(runs).toBe(after);
  });

  it('a run over its timeout is TIMED_OUT, with no ffmpeg left', async () => {
    const slow: SrModel = {
      ...model,
      run: async (input, shape, signal) => {
        await sleep(40);
        return model.run(input, shape, signal);
      },
    };
    const e = await upscaleVideo(options(clips.long, join(dir, 'timeout.mp4'), { model: slow, timeoutMs: 400 })).catch((x: unknown) => x);
    expect(isWorkerError(e) && e.code).toBe('TIMED_OUT');
    expect(ffmpegChildren()).toEqual([]);
  });

  it('a file that is not a video is MEDIA_UNREADABLE, with no ffmpeg left', async () => {
    const bogus = join(dir, 'bogus.mp4');
    await writeFile(bogus, 'this is not a video at all');
    const e = await upscaleVideo(options(bogus, join(dir, 'bogus-x2.mp4'))).catch((x: unknown) => x);
    expect(isWorkerError(e) && e.code).toBe('MEDIA_UNREADABLE');
    expect(ffmpegChildren()).toEqual([]);
  });

  it('a frame limit stops a long video with VIDEO_TOO_LONG', async () => {
    const e = await upscaleVideo(options(clips.main, join(dir, 'limited.mp4'), { limits: { maxFrames: 10 } })).catch((x: unknown) => x);
    expect(isWorkerError(e) && e.code).toBe('VIDEO_TOO_LONG');
    expect(ffmpegChildren()).toEqual([]);
  });
});
