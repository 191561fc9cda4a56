/**
 * The analysis decode works out the frame size itself (so it can start before the probe returns):
 * the size it reports must be the one `analysisSize` computes from the probe, for the stand-ins of
 * every clip in ../shared/media (and the real clips when they are there), an odd aspect and a
 * quarter-turned phone video.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { analysisSize, streamGrayFrames } from '../../src/media/frames.js';
import { probeMedia } from '../../src/media/probe.js';
import { binaries, HAS_SHARED_MEDIA, SHARED_MEDIA } from '../helpers/media.js';
import { standIn, STAND_IN_NAMES } from '../helpers/stand-ins.js';

const run = promisify(execFile);
const SHARED_CLIPS = ['chaplin.mp4', 'fire2.mp4', 'no_duration.webm', 'transparent.webm', 'smpte-2997.mp4', 'big_buck_bunny_0_30.webm'];
let dir: string;
let standIns: string[];
beforeAll(async () => {
  standIns = await Promise.all(STAND_IN_NAMES.map((n) => standIn(n)));
  dir = await mkdtemp(join(tmpdir(), 'frames-test-'));
  const { ffmpeg } = binaries();
  await run(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=s=250x98:r=10:d=1',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    join(dir, 'odd.mp4'),
  ]);
  // A phone video: stored landscape, shown portrait (a display matrix turning it 90°).
  await run(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=s=320x180:r=10:d=1',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    join(dir, 'landscape.mp4'),
  ]);
  await run(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-i',
    join(dir, 'landscape.mp4'),
    '-c',
    'copy',
    '-metadata:s:v:0',
    'rotate=90',
    join(dir, 'phone.mp4'),
  ]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const clips = (): string[] => [
  ...standIns,
  ...(HAS_SHARED_MEDIA ? SHARED_CLIPS.map((c) => join(SHARED_MEDIA, c)) : []),
  join(dir, 'odd.mp4'),
  join(dir, 'phone.mp4'),
];

it('decodes at the size analysisSize gives for the probed video, without being told it', async () => {
  const { ffmpeg, ffprobe } = binaries();
  for (const file of clips()) {
    const media = await probeMedia(file, { ffprobe });
    let frames = 0;
    let announced: unknown;
    const out = await streamGrayFrames({
      ffmpeg,
      file,
      chroma: true,
      timeoutMs: 60_000,
      limits: { maxFrames: 60, maxTimeS: 1e9 },
      onSize: (size) => {
        announced = size;
      },
      onFrame: (frame) => {
        frames++;
        expect(frame.length).toBe(3 * out0(announced).width * out0(announced).height);
      },
    }).catch((e: unknown) => {
      // The frame limit stops long clips early: enough frames were checked.
      if ((e as { code?: string }).code === 'VIDEO_TOO_LONG') return { size: announced, frameCount: frames };
      throw e;
    });
    expect({ file, size: out.size }).toEqual({ file, size: analysisSize(media.video) });
    expect(frames).toBeGreaterThan(0);
    // The phone video is analysed upright: taller than wide.
    if (file.endsWith('phone.mp4')) expect(out.size).toEqual({ width: 64, height: 114 });
  }
});

function out0(size: unknown): { width: number; height: number } {
  return size as { width: number; height: number };
}
