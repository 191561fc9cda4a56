/**
 * Sampled RGB frames from the analysis decode (`streamGrayFrames({ sample })`): one decode serves
 * both outputs. The sampled frames are the right frames (pixels match an independent ffmpeg decode
 * of the same moments), at the requested spacing, with their presentation times; the analysis
 * frames are exactly what they are without sampling; a slow consumer holds the decode back
 * instead of piling frames up; a consumer that fails does not hang the decode. Luma frames, more
 * often, come from the same decode beside them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamGrayFrames, type SampleFramesOptions } from '../../src/media/frames.js';
import { binaries } from '../helpers/media.js';

const run = promisify(execFile);
const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
let dir: string;
let clip: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'frames-sample-'));
  // 6 s of the street scene (10 fps, 768×576).
  clip = join(dir, 'street.avi');
  await run(binaries().ffmpeg, ['-v', 'error', '-y', '-i', VTEST, '-t', '6', '-c', 'copy', clip]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The analysis frames of the clip (and its sampled frames, to `sample`'s callbacks). */
async function analysisFrames(sample?: SampleFramesOptions): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  await streamGrayFrames({
    ffmpeg: binaries().ffmpeg,
    file: clip,
    chroma: true,
    timeoutMs: 60_000,
    onFrame: (f) => frames.push(f.slice()),
    sample,
  });
  return frames;
}

/** The frame at `time`, decoded independently at the same size (RGB24, or luma as the luma frames are scaled). */
async function referenceFrame(time: number, width: number, height: number, as: 'rgb24' | 'gray' = 'rgb24'): Promise<Uint8Array> {
  const flags = as === 'gray' ? 'fast_bilinear' : 'bilinear';
  const { stdout } = await run(
    binaries().ffmpeg,
    [
      '-v',
      'error',
      '-i',
      clip,
      '-vf',
      `select='gte(t\\,${time - 1e-3})',scale=${width}:${height}:flags=${flags},format=${as}`,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 64 << 20 },
  );
  return new Uint8Array(stdout);
}

/** Least squares y ≈ slope·x + offset. */
function fitLine(x: Uint8Array, y: Uint8Array): { slope: number; offset: number } {
  let sx = 0,
    sy = 0,
    sxx = 0,
    sxy = 0;
  for (let i = 0; i < x.length; i++) {
    sx += x[i]!;
    sy += y[i]!;
    sxx += x[i]! * x[i]!;
    sxy += x[i]! * y[i]!;
  }
  const n = x.length;
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  return { slope, offset: (sy - slope * sx) / n };
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += ((a[i] as number) - (b[i] as number)) ** 2;
  return 10 * Math.log10((255 * 255) / Math.max(1e-9, se / a.length));
}

describe('streamGrayFrames with sampled RGB frames', () => {
  it(
    'delivers the frames of the requested moments, as an independent decode sees them, ' + 'and leaves the analysis frames unchanged',
    async () => {
      const sampled: Array<{ rgb: Uint8Array; time: number }> = [];
      let size = { width: 0, height: 0 };
      const times: number[] = [];
      await streamGrayFrames({
        ffmpeg: binaries().ffmpeg,
        file: clip,
        chroma: true,
        timeoutMs: 60_000,
        onFrame: (_f, _i, t) => times.push(t),
        sample: {
          width: 320,
          everyS: 0.25,
          onSize: (s) => (size = s),
          onFrame: (rgb, time) => void sampled.push({ rgb, time }),
        },
      });
      expect(size).toEqual({ width: 320, height: 240 });
      // vtest.avi is 10 fps: every 0.25 s means every third frame (0, 0.3, 0.6 …).
      expect(sampled.length).toBe(20);
      sampled.forEach((s, i) => {
        expect(s.rgb.length).toBe(320 * 240 * 3);
        expect(s.time).toBeCloseTo(0.3 * i, 6);
        expect(times).toContain(s.time);
      });
      for (const s of [sampled[0], sampled[4], sampled[8]]) {
        const ref = await referenceFrame(s!.time, 320, 240);
        expect(psnr(s!.rgb, ref)).toBeGreaterThan(40);
      }
      // The frames differ from each other (people walk): not one frame repeated.
      expect(psnr(sampled[0]!.rgb, sampled[8]!.rgb)).toBeLessThan(35);
      // "Every 0.1 s" of a 10 fps video is every frame, whatever the rounding of their times.
      let every = 0;
      await analysisFrames({ width: 64, everyS: 0.1, onFrame: () => void every++ });
      expect(every).toBe(60);
      const plain = await analysisFrames();
      const withSample = await analysisFrames({ width: 320, everyS: 0.25, onFrame: () => undefined });
      expect(plain.length).toBe(60);
      expect(withSample.map((f) => Buffer.from(f).toString('base64'))).toEqual(plain.map((f) => Buffer.from(f).toString('base64')));
    },
  );

  it('delivers luma frames more often beside the RGB ones, from the same decode, leaving the RGB frames unchanged', async () => {
    const rgbAlone: Array<{ rgb: Uint8Array; time: number }> = [];
    await analysisFrames({ width: 320, everyS: 1, onFrame: (rgb, time) => void rgbAlone.push({ rgb, time }) });
    const rgb: Array<{ rgb: Uint8Array; time: number }> = [];
    const luma: Array<{ gray: Uint8Array; time: number }> = [];
    let lumaSize = { width: 0, height: 0 };
    const analysed = await analysisFrames({
      width: 320,
      everyS: 1,
      onFrame: (f, time) => void rgb.push({ rgb: f, time }),
      luma: { everyS: 0.1, onSize: (s) => (lumaSize = s), onFrame: (gray, time) => void luma.push({ gray, time }) },
    });
    expect(analysed.length).toBe(60);
    expect(lumaSize).toEqual({ width: 320, height: 240 });
    // Every 0.1 s of a 10 fps video: all 60 frames, at their own times.
    expect(luma.map((l) => l.time)).toEqual(Array.from({ length: 60 }, (_, i) => expect.closeTo(i / 10, 6)));
    expect(rgb.map((f) => f.time)).toEqual(rgbAlone.map((f) => f.time));
    for (const [i, f] of rgb.entries()) expect(Buffer.compare(f.rgb, rgbAlone[i]!.rgb)).toBe(0);
    for (const k of [0, 25, 59]) {
      const { gray, time } = luma[k]!;
      expect(gray.length).toBe(320 * 240);
      // The same moment decoded on its own, as luma.
      expect(psnr(gray, await referenceFrame(time, 320, 240, 'gray'))).toBeGreaterThan(40);
    }
    // Full-range brightness: the luma of the RGB frame of the same moment, one for one (slope 1, not
    // the 219/255 of video range), give or take the other scaler's detail.
    for (const f of rgb) {
      const gray = luma.find((l) => Math.abs(l.time - f.time) < 1e-6)!.gray;
      const fromRgb = gray.map((_, i) => (77 * f.rgb[3 * i]! + 150 * f.rgb[3 * i + 1]! + 29 * f.rgb[3 * i + 2]!) >> 8);
      const { slope, offset } = fitLine(fromRgb, gray);
      expect(slope).toBeGreaterThan(0.95);
      expect(slope).toBeLessThan(1.05);
      expect(Math.abs(offset)).toBeLessThan(5);
      expect(psnr(gray, fromRgb)).toBeGreaterThan(24);
    }
  });

  it('a slow consumer holds the decode back (bounded memory), and one that throws ends sampling without hanging the decode', async () => {
    let analysed = 0;
    const seenWhenSampled: number[] = [];
    await streamGrayFrames({
      ffmpeg: binaries().ffmpeg,
      file: VTEST,
      timeoutMs: 60_000,
      limits: { maxFrames: 10_000, maxTimeS: 20 },
      onFrame: () => analysed++,
      sample: {
        width: 640,
        everyS: 0.5,
        onFrame: async () => {
          seenWhenSampled.push(analysed);
          await new Promise((r) => setTimeout(r, 30));
        },
      },
    }).catch((e: unknown) => {
      if ((e as { code?: string }).code !== 'VIDEO_TOO_LONG') throw e;
    });
    expect(seenWhenSampled.length).toBeGreaterThanOrEqual(40);
    // Sample k is taken at analysis frame 5k; the analysis may run ahead only by what the pipes hold.
    const lead = seenWhenSampled.map((a, k) => a - 5 * k);
    expect(Math.max(...lead)).toBeLessThan(60);

    let calls = 0;
    const failing = streamGrayFrames({
      ffmpeg: binaries().ffmpeg,
      file: clip,
      timeoutMs: 60_000,
      onFrame: () => undefined,
      sample: {
        width: 320,
        everyS: 0.5,
        onFrame: () => {
          calls++;
          if (calls === 3) throw new Error('model broke');
        },
      },
    });
    await expect(failing).rejects.toThrow('model broke');
    expect(calls).toBe(3);
  });
});
