/**
 * `task: "interpolate"` end to end through the handler, on real footage (Debian's opencv-doc
 * clips): the RIFE path with the stand-in graph served by a fake Hub (on a session thread, from
 * dist/), the ffmpeg path, the duration and the audio packets kept, no blended frame at a hard
 * cut (measured against both neighbours), and every bad input with its code.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warmUpModels } from '../../src/inference/warm-up.js';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub.js';
import { createTestWorker, errorOf, outputOf, type TestWorker } from '../helpers/job.js';
import { audioPacketsMd5, binaries, ffmpegChildren, readRgbFrames, videoFrameCount, videoTiming } from '../helpers/media.js';
import { rifeBlend } from '../helpers/onnx-fixtures.js';

const OPENCV = '/usr/share/doc/opencv-doc/examples/data';
const W = 192;
const H = 144;
let dir: string;
let hub: FakeHub;
let worker: TestWorker;
let clip: string;
let cut: string;

const ffmpeg = (args: string[]): Promise<unknown> => promisify(execFile)(binaries().ffmpeg, ['-v', 'error', '-y', ...args]);
const commit = (n: number): string => String(n).padStart(40, 'c');

/** Mean absolute difference of two rgb24 frames (0…255). */
const mad = (a: Uint8Array, b: Uint8Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'interp-task-'));
  hub = await startFakeHub({
    repos: [
      { repo: 'acme/rife-v4', commit: commit(1), files: { 'rife.onnx': rifeBlend('scalar') } },
      { repo: 'acme/rife-map', commit: commit(2), files: { 'model.onnx': rifeBlend('map') } },
      { repo: 'acme/broken-rife', commit: commit(3), files: { 'model.onnx': Buffer.from('these bytes are not an ONNX graph') } },
      // Runs the 32×32 probe; out of memory on the street's 192×160 padded frames.
      { repo: 'acme/rife-tight', commit: commit(4), files: { 'model.onnx': rifeBlend('scalar', 32, 64 * 64) } },
    ],
  });
  worker = await createTestWorker(
    { HF_ENDPOINT: hub.url, HF_HUB_CACHE: join(dir, 'hub'), MODELS: 'acme/rife-v4,acme/rife-map,acme/broken-rife,acme/rife-tight' },
    'temp',
    { models: (config) => warmUpModels({ config, log: pino({ level: 'silent' }) }) },
  );
  const volume = worker.config.volumeDir;
  clip = join(volume, 'street.mp4');
  cut = join(volume, 'cut.mp4');
  await Promise.all([
    // 2 s of the street (20 frames at 10 fps) with an AAC track.
    ffmpeg([
      '-i',
      join(OPENCV, 'vtest.avi'),
      '-f',
      'lavfi',
      '-i',
      'sine=f=440:d=2:sample_rate=48000',
      '-t',
      '2',
      '-vf',
      `scale=${W}:${H}`,
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '16',
      '-c:a',
      'aac',
      '-b:a',
      '96k',
      clip,
    ]),
    // 1 s of the street, then a hard cut to 1 s of the animation: 20 frames at 10 fps.
    ffmpeg([
      '-i',
      join(OPENCV, 'vtest.avi'),
      '-i',
      join(OPENCV, 'Megamind.avi'),
      '-filter_complex',
      `[0:v]trim=end_frame=10,setpts=PTS-STARTPTS,scale=${W}:${H},setsar=1,fps=10[a];` +
        `[1:v]fps=10,trim=start_frame=20:end_frame=30,setpts=PTS-STARTPTS,scale=${W}:${H},setsar=1[b];` +
        '[a][b]concat=n=2:v=1[v]',
      '-map',
      '[v]',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '16',
      '-r',
      '10',
      cut,
    ]),
    ffmpeg(['-f', 'lavfi', '-i', `testsrc2=s=${W}x${H}:r=10:d=30`, '-c:v', 'libx264', '-preset', 'ultrafast', join(volume, 'long.mp4')]),
  ]);
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await hub?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('interpolate, end to end', () => {
  for (const model of ['acme/rife-v4', 'ffmpeg'] as const) {
    it(`${model}: ×2 on real footage keeps the duration (±1 frame) and the audio packets`, async () => {
      const r = await worker.run({ task: 'interpolate', video_path: 'street.mp4', factor: 2, model, delivery: 'path' });
      const out = outputOf(r);
      expect(out).toMatchObject({
        mime: 'video/mp4',
        width: W,
        height: H,
        fps_in: 10,
        fps_out: 20,
        frames: 40,
        source_frames: 20,
        warnings: [],
      });
      expect(out.model).toBe(model === 'ffmpeg' ? 'ffmpeg' : 'acme/rife-v4/rife.onnx');
      const file = out.video_path as string;
      expect(await videoFrameCount(file)).toBe(40);
      const [src, dst] = await Promise.all([videoTiming(clip), videoTiming(file)]);
      expect(dst.frameInterval).toBeCloseTo(0.05, 4);
      expect(Math.abs(dst.end - src.end)).toBeLessThanOrEqual(0.05 + 1e-3);
      expect(await audioPacketsMd5(file)).toBe(await audioPacketsMd5(clip));
      const progress = (r.progress as Array<{ stage?: string; source_frames?: number; percent?: number }>).filter(
        (p) => p.stage === 'interpolate',
      );
      expect(progress.map((p) => p.source_frames)).toContain(20);
      expect(progress.at(-1)?.percent).toBe(100);
      if (model !== 'ffmpeg')
        expect(out).toMatchObject({
          provider: 'cpu',
          batch: 1,
          model_runs: 20 - 1 - (out.cuts as number),
          interpolated: 19 - (out.cuts as number),
        });
      // The inserted frames are new pictures between their neighbours, not copies.
      const frames = await readRgbFrames(file, W, H);
      const between = [3, 9, 15].map(
        (k) => Math.min(mad(frames[2 * k + 1]!, frames[2 * k]!), mad(frames[2 * k + 1]!, frames[2 * k + 2]!)) > 0.3,
      );
      expect(between.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    }, 120_000);
  }

  for (const model of ['acme/rife-v4', 'ffmpeg'] as const) {
    it(`${model}: a hard cut gets no blended frame: each inserted frame at the cut repeats one neighbour`, async () => {
      const out = outputOf(await worker.run({ task: 'interpolate', video_path: 'cut.mp4', factor: 3, model, delivery: 'path' }));
      expect(out.frames).toBe(60);
      if (model !== 'ffmpeg') expect(out.cuts).toBe(1);
      const frames = await readRgbFrames(out.video_path as string, W, H);
      // The cut is between source frames 9 and 10: output frames 27 (source 9), 28, 29, 30 (source 10).
      const before = frames[27]!;
      const after = frames[30]!;
      expect(mad(before, after)).toBeGreaterThan(20);
      for (const k of [28, 29]) {
        const d = [mad(frames[k]!, before), mad(frames[k]!, after)];
        expect(Math.min(...d)).toBeLessThan(1.5);
        expect(Math.max(...d)).toBeGreaterThan(20);
      }
    }, 120_000);
  }

  it('a target fps; auto takes the RIFE repo from MODELS; a model with a timestep map works', async () => {
    const to25 = outputOf(await worker.run({ task: 'interpolate', video_path: 'street.mp4', fps: 25, delivery: 'path', duration: 1 }));
    expect(to25).toMatchObject({ model: 'acme/rife-v4/rife.onnx', fps_out: 25 });
    expect(await videoFrameCount(to25.video_path as string)).toBe(to25.frames);
    expect(Math.abs((to25.frames as number) - 2.5 * (to25.source_frames as number))).toBeLessThanOrEqual(0.5);
    const map = outputOf(
      await worker.run({
        task: 'interpolate',
        video_path: 'street.mp4',
        factor: 4,
        model: 'acme/rife-map',
        delivery: 'path',
        duration: 0.5,
      }),
    );
    expect(map).toMatchObject({ model: 'acme/rife-map/model.onnx', fps_out: 40 });
    expect(map.frames).toBe(4 * (map.source_frames as number));
  }, 120_000);

  it('an abort stops the job at once; the worker serves the next job', async () => {
    const ac = new AbortController();
    const job = worker.run(
      { task: 'interpolate', video_path: 'long.mp4', factor: 8, model: 'ffmpeg', delivery: 'path' },
      { signal: ac.signal },
    );
    await new Promise((r) => setTimeout(r, 1500));
    ac.abort(new Error('cancelled by the test'));
    const aborted = performance.now();
    expect(errorOf(await job).code).toBe('CANCELLED');
    expect(performance.now() - aborted).toBeLessThan(3000);
    expect(ffmpegChildren()).toEqual([]);
    expect(
      outputOf(
        await worker.run({ task: 'interpolate', video_path: 'street.mp4', factor: 2, model: 'ffmpeg', delivery: 'path', duration: 0.5 }),
      ).frames,
    ).toBeGreaterThan(0);
  }, 120_000);
});

describe('interpolate, refused', () => {
  const codeOf = async (input: Record<string, unknown>): Promise<{ code: string; message: string; details?: unknown }> =>
    errorOf(await worker.run({ task: 'interpolate', video_path: 'street.mp4', delivery: 'path', ...input }));

  it('factor and fps both, neither, out of range, or fps not above the source: INVALID_INPUT naming the field', async () => {
    expect(await codeOf({ factor: 2, fps: 30 })).toMatchObject({ code: 'INVALID_INPUT', details: { issues: [{ field: 'fps' }] } });
    expect(await codeOf({})).toMatchObject({ code: 'INVALID_INPUT', details: { issues: [{ field: 'factor' }] } });
    expect(await codeOf({ factor: 9 })).toMatchObject({ code: 'INVALID_INPUT', details: { issues: [{ field: 'factor' }] } });
    expect(await codeOf({ factor: 2.5 })).toMatchObject({ code: 'INVALID_INPUT', details: { issues: [{ field: 'factor' }] } });
    expect(await codeOf({ fps: 300 })).toMatchObject({ code: 'INVALID_INPUT', details: { issues: [{ field: 'fps' }] } });
    const low = await codeOf({ fps: 8 });
    expect(low).toMatchObject({ code: 'INVALID_INPUT', details: { issues: [{ field: 'fps' }] } });
    expect(low.message).toContain('10.000 fps');
    expect(await codeOf({ factor: 2, output_format: 'webm' })).toMatchObject({
      code: 'INVALID_INPUT',
      details: { issues: [{ field: 'output_format' }] },
    });
  });

  it('a repo not in MODELS, an unknown engine, a model that does not load', async () => {
    expect(await codeOf({ factor: 2, model: 'acme/not-configured' })).toMatchObject({
      code: 'MODEL_NOT_AVAILABLE',
      details: { field: 'model' },
    });
    expect(await codeOf({ factor: 2, model: 'optical-magic' })).toMatchObject({
      code: 'ENGINE_NOT_AVAILABLE',
      details: { field: 'model' },
    });
    expect(await codeOf({ factor: 2, model: 'acme/broken-rife' })).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });

  it('out of memory one frame per run: OUT_OF_MEMORY, no file left behind, no ffmpeg left running', async () => {
    const e = await codeOf({ factor: 2, model: 'acme/rife-tight' });
    expect(e).toMatchObject({ code: 'OUT_OF_MEMORY', details: { width: W, height: H } });
    expect(ffmpegChildren()).toEqual([]);
  }, 60_000);

  it('without a RIFE repo in MODELS, auto is ffmpeg', async () => {
    const plain = await createTestWorker({}, 'temp');
    try {
      await ffmpeg(['-i', clip, '-t', '0.5', '-c', 'copy', join(plain.config.volumeDir, 'street.mp4')]);
      const out = outputOf(await plain.run({ task: 'interpolate', video_path: 'street.mp4', factor: 2, delivery: 'path' }));
      expect(out.model).toBe('ffmpeg');
      expect(out.frames).toBe(2 * (out.source_frames as number));
    } finally {
      await plain.close();
    }
  }, 60_000);
});
