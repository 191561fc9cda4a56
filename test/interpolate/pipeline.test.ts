/**
 * The interpolation pipeline below the task: the RIFE wrapper on a real ORT session of the
 * stand-in graph (padding to 32, cropping, timestep values and shapes, batch sizes, counted at
 * the session), and whole videos through both engines (frame count, rate, duration, audio).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWorkerError } from '../../src/errors.js';
import { createOrtRuntime, type Session, type Tensor } from '../../src/inference/ort.js';
import { RifeInterpolator, detectTimestepShape } from '../../src/pipelines/interpolate/rife-model.js';
import { toRate } from '../../src/pipelines/interpolate/schedule.js';
import { interpolateVideo } from '../../src/pipelines/interpolate/video.js';
import { audioPacketsMd5, binaries, makeClip, probeStreams, videoFrameCount, videoTiming } from '../helpers/media.js';
import { nearestUpscaler, rifeBlend } from '../helpers/onnx-fixtures.js';

const runtime = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });

interface Call {
  dims: Record<string, number[]>;
  timestep: number[];
}

/** The session with every `run` recorded (input shapes, timestep values). */
function counting(session: Session): { session: Session; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    session: {
      provider: session.provider,
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      release: () => session.release(),
      run(feeds: Record<string, Tensor>) {
        calls.push({
          dims: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, [...t.dims]])),
          timestep: [...new Set(feeds.timestep!.data as Float32Array)],
        });
        return session.run(feeds);
      },
    },
  };
}

const W = 100;
const H = 60;
/** A picture with structure in both directions, so a misplaced crop shows. */
const picture = (seed: number): Uint8Array => {
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) rgb[(y * W + x) * 3 + c] = (x * 2 + y * 3 + c * 50 + seed * 37) % 256;
  return rgb;
};

describe('RifeInterpolator', () => {
  it('pads 100×60 to 128×64, sends each timestep, batches by maxBatch, crops back exactly', async () => {
    const { session, calls } = counting(await runtime.createSession(rifeBlend('scalar')));
    const rife = new RifeInterpolator(session, { width: W, height: H, timestep: 'scalar', maxBatch: 2 });
    expect([rife.padW, rife.padH]).toEqual([128, 64]);
    const a = picture(0);
    const b = picture(3);
    const ts = [0.25, 0.5, 0.75];
    const out = await rife.between(a, b, ts);
    expect(calls.map((c) => c.dims)).toEqual([
      { img0: [2, 3, 64, 128], img1: [2, 3, 64, 128], timestep: [2, 1, 1, 1] },
      { img0: [1, 3, 64, 128], img1: [1, 3, 64, 128], timestep: [1, 1, 1, 1] },
    ]);
    expect(calls.map((c) => c.timestep)).toEqual([[0.25, 0.5], [0.75]]);
    expect(rife.stats).toMatchObject({ runs: 2, frames: 3, batches: [2, 1] });
    expect(out).toHaveLength(3);
    ts.forEach((t, k) => {
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(out[k]![i]! - (a[i]! + t * (b[i]! - a[i]!))));
      expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
    });
  });

  it('a model that takes only a [N,1,H,W] timestep map gets one; the shape is found by running it', async () => {
    const map = await runtime.createSession(rifeBlend('map'));
    const scalar = await runtime.createSession(rifeBlend('scalar'));
    expect(await detectTimestepShape(map)).toBe('map');
    expect(await detectTimestepShape(scalar)).toBe('scalar');
    const { session, calls } = counting(map);
    const out = await new RifeInterpolator(session, { width: W, height: H, timestep: 'map', maxBatch: 4 }).between(picture(0), picture(1), [
      1 / 3,
      2 / 3,
    ]);
    expect(calls[0]?.dims.timestep).toEqual([2, 1, 64, 128]);
    expect(calls[0]?.timestep).toEqual([Math.fround(1 / 3), Math.fround(2 / 3)]);
    expect(out).toHaveLength(2);
  });

  it('a graph without RIFE inputs is MODEL_LOAD_FAILED', async () => {
    const e = await detectTimestepShape(await runtime.createSession(nearestUpscaler(2))).catch((x: unknown) => x);
    expect(isWorkerError(e) && e.code).toBe('MODEL_LOAD_FAILED');
  });
});

describe('interpolateVideo', () => {
  let dir: string;
  let clip: string;
  const ffmpeg = binaries().ffmpeg;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'interp-pipe-'));
    clip = join(dir, 'clip.mp4');
    // 10 frames at 10 fps, odd-multiple size, AAC audio.
    await makeClip(clip, [`testsrc2=s=${W}x${H}:r=10:d=1`, 'sine=f=440:d=1:sample_rate=48000'], '[0:v]null[v]', [
      '-map',
      '1:a',
      '-c:a',
      'aac',
      '-b:a',
      '96k',
    ]);
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const base = (output: string) => ({
    ffmpeg,
    input: clip,
    width: W,
    height: H,
    rateIn: toRate('10'),
    crf: 18,
    preset: 'ultrafast',
    audio: 'copy' as const,
    output,
    timeoutMs: 60_000,
  });

  it('rife ×3: 30 frames at 30 fps, one batch of two per pair, the same duration and audio packets', async () => {
    const { session, calls } = counting(await runtime.createSession(rifeBlend('scalar')));
    const model = new RifeInterpolator(session, { width: W, height: H, timestep: 'scalar', maxBatch: 4 });
    const out = join(dir, 'x3.mp4');
    const progress: number[] = [];
    const r = await interpolateVideo({
      ...base(out),
      rateOut: toRate('30'),
      engine: { kind: 'rife', model },
      onProgress: (s) => progress.push(s),
    });
    expect(r).toMatchObject({ sourceFrames: 10, frames: 30, cuts: 0, interpolated: 18, width: 100, height: 60, modelRuns: 9 });
    // testsrc2 moves little between frames: no cut, every pair interpolated at 1/3 and 2/3.
    expect(calls.every((c) => c.dims.img0?.[0] === 2 && c.timestep.join() === [Math.fround(1 / 3), Math.fround(2 / 3)].join())).toBe(true);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await videoFrameCount(out)).toBe(30);
    const [src, dst] = await Promise.all([videoTiming(clip), videoTiming(out)]);
    expect(dst.frameInterval).toBeCloseTo(1 / 30, 4);
    expect(Math.abs(dst.end - src.end)).toBeLessThanOrEqual(1 / 30 + 1e-3);
    expect(await audioPacketsMd5(out)).toBe(await audioPacketsMd5(clip));
  }, 60_000);

  it('rife to a target rate: 10 → 25 fps gives 25 frames', async () => {
    const model = new RifeInterpolator(await runtime.createSession(rifeBlend('scalar')), {
      width: W,
      height: H,
      timestep: 'scalar',
      maxBatch: 1,
    });
    const out = join(dir, 'to25.mp4');
    const r = await interpolateVideo({ ...base(out), rateOut: toRate('25'), engine: { kind: 'rife', model } });
    expect(r.frames).toBe(25);
    expect(await videoFrameCount(out)).toBe(25);
    const v = (await probeStreams(out)).find((s) => s.codec_type === 'video');
    expect(v?.codec_name).toBe('h264');
  }, 60_000);

  it('minterpolate ×2 and ×4: exactly N·factor frames, audio packets untouched', async () => {
    for (const f of [2, 4]) {
      const out = join(dir, `mi${f}.mp4`);
      const r = await interpolateVideo({ ...base(out), rateOut: toRate(String(10 * f)), engine: { kind: 'minterpolate' } });
      expect(r).toMatchObject({ sourceFrames: 10, frames: 10 * f, modelRuns: 0 });
      expect(await videoFrameCount(out)).toBe(10 * f);
      expect(await audioPacketsMd5(out)).toBe(await audioPacketsMd5(clip));
    }
  }, 60_000);

  it('an abort stops all three processes and removes the file', async () => {
    const ac = new AbortController();
    const out = join(dir, 'aborted.mp4');
    const job = interpolateVideo({
      ...base(out),
      rateOut: toRate('80'),
      engine: { kind: 'minterpolate' },
      signal: ac.signal,
      onProgress: (s) => s === 2 && ac.abort(new Error('stop')),
    });
    const e = await job.catch((x: unknown) => x);
    expect(isWorkerError(e) && e.code).toBe('CANCELLED');
  }, 60_000);
});
