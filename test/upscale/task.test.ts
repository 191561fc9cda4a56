/**
 * `task: "upscale"` end to end through the handler: a generated clip on a temp volume, the
 * embedded ESRGAN converted on first use, Hub models from a fake Hub, results delivered as a
 * path, as base64 and to an S3 server (s3rver, which checks signatures). Every frame, the
 * timing and the audio packets survive; every bad input and failing model has its code; a
 * broken super-resolution model never stops a Foley job.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedSrModel } from '../../src/convert/esrgan.js';
import { warmUpModels } from '../../src/inference/warm-up.js';
import { psnr } from '../../src/pipelines/upscale/quality.js';
import { DEFAULT_EMBEDDED } from '../../src/tasks/upscale/models.js';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub.js';
import { createTestWorker, errorOf, outputOf, type TestWorker } from '../helpers/job.js';
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
import { nearestUpscaler, upscalerOutOfMemoryAbove } from '../helpers/onnx-fixtures.js';
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js';

const W = 160;
const H = 90;
let dir: string;
let converted: string;
let hub: FakeHub;
let s3: LocalS3;
let worker: TestWorker;
let clip: string;

const ffmpeg = (args: string[]): Promise<unknown> => promisify(execFile)(binaries().ffmpeg, ['-v', 'error', '-y', ...args]);
const commit = (n: number): string => String(n).padStart(40, 'c');

/** Mean PSNR (dB) of `file` scaled back down to the clip's size against the clip's own frames. */
async function psnrAgainstClip(file: string): Promise<number> {
  const [a, b] = await Promise.all([readRgbFrames(clip, W, H), readRgbFrames(file, W, H)]);
  expect(b).toHaveLength(a.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += psnr({ data: a[i]!, width: W, height: H }, { data: b[i]!, width: W, height: H });
  return sum / a.length;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upscale-task-'));
  converted = join(dir, 'converted');
  hub = await startFakeHub({
    repos: [
      { repo: 'acme/realesrgan-x4', commit: commit(1), files: { 'model.onnx': nearestUpscaler(4) } },
      { repo: 'acme/broken-net', commit: commit(2), files: { 'model.onnx': Buffer.from('these bytes are not an ONNX graph') } },
      // Out of memory on tiles over 32×32 pixels, and on tiles over 16×16.
      { repo: 'acme/tight-net', commit: commit(3), files: { 'model.onnx': upscalerOutOfMemoryAbove(2, 32 * 32) } },
      { repo: 'acme/tighter-net', commit: commit(4), files: { 'model.onnx': upscalerOutOfMemoryAbove(2, 16 * 16) } },
    ],
  });
  s3 = await startS3rver(join(dir, 's3'));
  worker = await createTestWorker(
    {
      CONVERTED_MODELS_DIR: converted,
      HF_ENDPOINT: hub.url,
      HF_HUB_CACHE: join(dir, 'hub'),
      MODELS: 'acme/realesrgan-x4,acme/broken-net,acme/tight-net,acme/tighter-net',
      ...s3.env(),
    },
    'temp',
    { models: (config) => warmUpModels({ config, log: pino({ level: 'silent' }) }) },
  );
  const volume = worker.config.volumeDir;
  clip = join(volume, 'clip.mp4');
  await Promise.all([
    // 12 frames at 12 fps with AAC audio.
    makeClip(clip, [`testsrc2=s=${W}x${H}:r=12:d=1`, 'sine=f=440:d=1:sample_rate=48000'], '[0:v]null[v]', [
      '-map',
      '1:a',
      '-c:a',
      'aac',
      '-b:a',
      '96k',
    ]),
    makeClip(join(volume, 'long.mp4'), [`testsrc2=s=${W}x${H}:r=12:d=8`], '[0:v]null[v]'),
    ffmpeg(['-f', 'lavfi', '-i', `testsrc2=s=${W}x${H}`, '-frames:v', '1', join(volume, 'still.png')]),
    ffmpeg(['-f', 'lavfi', '-i', 'sine=f=300:d=1', join(volume, 'tone.wav')]),
  ]);
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await hub?.close();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('upscale, end to end', () => {
  it('path delivery: ×2 with the embedded model, every frame at its time, audio packets untouched, the same picture', async () => {
    const r = await worker.run({ task: 'upscale', video_path: 'clip.mp4', scale: 2, model: 'esrgan-slim', delivery: 'path' });
    const out = outputOf(r);
    expect(out).toMatchObject({
      mime: 'video/mp4',
      width: 2 * W,
      height: 2 * H,
      frames: 12,
      scale: 2,
      model: 'esrgan-slim',
      provider: 'cpu',
      tile: 192,
      color_fix: true,
      warnings: [],
    });
    const file = out.video_path as string;
    const [streams, srcTiming, outTiming] = await Promise.all([probeStreams(file), videoTiming(clip), videoTiming(file)]);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 2 * W, height: 2 * H });
    expect(await videoFrameCount(file)).toBe(12);
    expect(outTiming.frameInterval).toBeCloseTo(srcTiming.frameInterval, 6);
    expect(outTiming.end).toBeCloseTo(srcTiming.end, 2);
    expect(Math.abs((out.duration as number) - 1)).toBeLessThan(0.05);
    expect(await audioPacketsMd5(file)).toBe(await audioPacketsMd5(clip));
    expect(await psnrAgainstClip(file)).toBeGreaterThan(28);
    const timings = out.timings_ms as Record<string, number>;
    for (const k of ['model_load', 'upscale', 'inference', 'verify', 'deliver', 'total']) expect(timings[k]).toBeGreaterThanOrEqual(0);
    const frames = (r.progress as Array<{ stage?: string; frames?: number; percent?: number }>).filter((p) => p.stage === 'upscale');
    expect(frames.map((p) => p.frames)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(frames.at(-1)?.percent).toBe(100);
  }, 120_000);

  it('base64 delivery carries the whole MP4', async () => {
    const out = outputOf(
      await worker.run({
        task: 'upscale',
        video_path: 'clip.mp4',
        model: 'esrgan-slim',
        delivery: 'base64',
        duration: 0.5,
        color_fix: false,
      }),
    );
    expect(out.color_fix).toBe(false);
    const file = join(dir, 'from-base64.mp4');
    const bytes = Buffer.from(out.video_base64 as string, 'base64');
    expect(bytes.byteLength).toBe(out.bytes);
    await writeFile(file, bytes);
    expect(await videoFrameCount(file)).toBe(out.frames);
    expect(out.frames).toBeGreaterThanOrEqual(6);
    expect((await probeStreams(file)).map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
  }, 120_000);

  it('URL delivery uploads to the bucket; the presigned URL returns the MP4', async () => {
    const out = outputOf(
      await worker.run({ task: 'upscale', video_path: 'clip.mp4', model: 'esrgan-slim', duration: 0.5 }, { id: 'up-s3' }),
    );
    const res = await fetch(out.video_url as string);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const file = join(dir, 'from-s3.mp4');
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    expect((await readFile(file)).byteLength).toBe(out.bytes);
    expect(await videoFrameCount(file)).toBe(out.frames);
  }, 120_000);

  it('auto runs the Real-ESRGAN repo from MODELS at its own scale, and the embedded default at the others', async () => {
    const x4 = outputOf(await worker.run({ task: 'upscale', video_path: 'clip.mp4', scale: 4, delivery: 'path' }));
    expect(x4).toMatchObject({ model: 'acme/realesrgan-x4/model.onnx', width: 4 * W, height: 4 * H, frames: 12 });
    // The fixture repeats pixels: scaled back down, the picture is the source's up to H.264 loss.
    expect(await psnrAgainstClip(x4.video_path as string)).toBeGreaterThan(32);
    const x2 = outputOf(await worker.run({ task: 'upscale', video_path: 'clip.mp4', scale: 2, delivery: 'path', duration: 0.25 }));
    expect(x2).toMatchObject({ model: DEFAULT_EMBEDDED.cpu, width: 2 * W, height: 2 * H });
  }, 120_000);

  it('out of memory with big tiles: retried once with tiles half the side, and the result says so', async () => {
    const out = outputOf(
      await worker.run({ task: 'upscale', video_path: 'clip.mp4', model: 'acme/tight-net', tile: 64, delivery: 'path' }),
    );
    expect(out).toMatchObject({ model: 'acme/tight-net/model.onnx', tile: 32, frames: 12, width: 2 * W, height: 2 * H });
    expect(out.warnings).toEqual([expect.stringContaining('out of memory with 64px tiles: ran with 32px tiles')]);
    expect(await psnrAgainstClip(out.video_path as string)).toBeGreaterThan(32);
  }, 120_000);

  it('an abort stops the job at once; the worker serves the next job', async () => {
    const ac = new AbortController();
    const started = performance.now();
    const job = worker.run({ task: 'upscale', video_path: 'long.mp4', model: 'esrgan-slim', delivery: 'path' }, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 1500));
    ac.abort(new Error('cancelled by the test'));
    const aborted = performance.now();
    expect(errorOf(await job).code).toBe('CANCELLED');
    expect(performance.now() - aborted).toBeLessThan(3000);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(ffmpegChildren()).toEqual([]);
    expect(
      outputOf(await worker.run({ task: 'upscale', video_path: 'clip.mp4', model: 'esrgan-slim', delivery: 'path', duration: 0.25 }))
        .frames,
    ).toBeGreaterThan(0);
  }, 120_000);
});

describe('upscale, refused and failing', () => {
  const codeOf = async (input: Record<string, unknown>): Promise<{ code: string; message: string; details?: unknown }> =>
    errorOf(await worker.run({ task: 'upscale', video_path: 'clip.mp4', delivery: 'path', ...input }));

  it('an image, an audio-only file: coded errors naming video_path', async () => {
    const image = await codeOf({ video_path: 'still.png' });
    expect(image).toMatchObject({ code: 'MEDIA_UNREADABLE', details: { field: 'video_path', format: 'png' } });
    expect(image.message).toBe('video_path: is a PNG image, not a video');
    expect(await codeOf({ video_path: 'tone.wav' })).toMatchObject({ code: 'NO_VIDEO_STREAM', details: { field: 'video_path' } });
  });

  it('a scale the model lacks, a model nobody has, a repo not in MODELS, a model that does not load', async () => {
    expect(await codeOf({ model: 'acme/realesrgan-x4', scale: 2 })).toMatchObject({
      code: 'INVALID_INPUT',
      details: { issues: [{ field: 'scale' }] },
    });
    expect(await codeOf({ scale: 5 })).toMatchObject({ code: 'INVALID_INPUT', details: { issues: [{ field: 'scale' }] } });
    expect(await codeOf({ model: 'paint' })).toMatchObject({ code: 'ENGINE_NOT_AVAILABLE', details: { field: 'model' } });
    expect(await codeOf({ model: 'acme/not-configured' })).toMatchObject({ code: 'MODEL_NOT_AVAILABLE', details: { field: 'model' } });
    expect(await codeOf({ model: 'acme/broken-net' })).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });

  it('out of memory even with the smaller tiles: OUT_OF_MEMORY naming tile', async () => {
    expect(await codeOf({ model: 'acme/tighter-net', tile: 64 })).toMatchObject({
      code: 'OUT_OF_MEMORY',
      details: { field: 'tile', tile: 32 },
    });
  });

  it('controls the model does not have, bad values, and unknown fields, are refused by name', async () => {
    expect(await codeOf({ model: 'esrgan-slim', denoise: 0.5 })).toMatchObject({
      code: 'INVALID_INPUT',
      details: { issues: [{ field: 'denoise' }] },
    });
    expect(await codeOf({ model: 'esrgan-slim', color_fix: 'yes' })).toMatchObject({
      code: 'INVALID_INPUT',
      details: { issues: [{ field: 'color_fix' }] },
    });
    const unknown = await codeOf({ prompt: 'footsteps' });
    expect(unknown.code).toBe('INVALID_INPUT');
    expect(unknown.message).toContain('prompt');
  });
});

describe('limits and broken models', () => {
  it('output pixels over MAX_PIXELS: VIDEO_TOO_LARGE naming scale, before any model is converted', async () => {
    const cache = join(dir, 'never-written');
    const small = await createTestWorker({ MAX_PIXELS: String(640 * 360), CONVERTED_MODELS_DIR: cache }, 'temp');
    try {
      await writeFile(join(small.config.volumeDir, 'clip.mp4'), await readFile(clip));
      const e = errorOf(await small.run({ task: 'upscale', video_path: 'clip.mp4', scale: 8, model: 'esrgan-slim' }));
      expect(e).toMatchObject({ code: 'VIDEO_TOO_LARGE', details: { field: 'scale', width: 8 * W, height: 8 * H, limit: 640 * 360 } });
      await expect(readdir(cache)).rejects.toMatchObject({ code: 'ENOENT' });
      // ×4 fits exactly.
      expect(
        outputOf(
          await small.run({ task: 'upscale', video_path: 'clip.mp4', scale: 4, model: 'esrgan-slim', duration: 0.1, delivery: 'path' }),
        ),
      ).toMatchObject({ width: 4 * W, height: 4 * H });
    } finally {
      await small.close();
    }
  }, 120_000);

  it('a damaged cached conversion is converted again and the job succeeds', async () => {
    const cached = await loadEmbeddedSrModel('esrgan-slim', 3, { cacheDir: converted });
    await writeFile(cached.path, 'a truncated file');
    const out = outputOf(
      await worker.run({ task: 'upscale', video_path: 'clip.mp4', scale: 3, model: 'esrgan-slim', duration: 0.1, delivery: 'path' }),
    );
    expect(out).toMatchObject({ width: 3 * W, height: 3 * H });
    expect((await readFile(cached.path)).byteLength).toBeGreaterThan(100_000);
  }, 120_000);

  it('a cache folder that cannot be written: ' +
    'the upscale job fails with MODEL_LOAD_FAILED, Foley jobs on the same worker go on', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'not a folder');
    const w = await createTestWorker({ CONVERTED_MODELS_DIR: join(blocker, 'converted') }, 'temp');
    try {
      await writeFile(join(w.config.volumeDir, 'clip.mp4'), await readFile(clip));
      expect(errorOf(await w.run({ task: 'upscale', video_path: 'clip.mp4', model: 'esrgan-slim' }))).toMatchObject({
        code: 'MODEL_LOAD_FAILED',
        details: { model: 'esrgan-slim', scale: 2 },
      });
      const foley = outputOf(await w.run({ video_path: 'clip.mp4', output_format: 'wav', seed: 1, delivery: 'path' }));
      expect(foley.mime).toBe('audio/wav');
    } finally {
      await w.close();
    }
  }, 120_000);
});
