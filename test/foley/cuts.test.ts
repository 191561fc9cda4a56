/**
 * Scene cuts on real footage, through the real decode (streamGrayFrames → MotionAnalyzer, as a job
 * runs it). Ground truth: ffmpeg's own scene score (`select='gt(scene,0.3)',metadata=print` gives
 * exactly these frames on both clips, and nothing else above 0.06 but BBB's title fading in and
 * out) and frames extracted around each candidate and looked at: every listed time is the first
 * frame of a new shot, and no other hard cut exists in the clips.
 *  - Megamind.avi (Debian opencv-doc, 23.976 fps): a black first frame then the picture at
 *    0.0834; cuts at 4.1291 (her → him), 6.4648 (him → her), 8.3834 (her → his close-up).
 *  - big_buck_bunny_0_30.webm (24 fps): a fade from black over 0–2 s (not a cut); cuts at 11.795,
 *    15.670, 22.961; a title fading in and out around 20.4–21 s (not a cut).
 *  - chaplin.mp4: one shot, no cut.
 * Precision and recall (within one frame) are printed per clip; both must be 1. No onset may lie
 * within two frames of a true cut. Fades and a cross-dissolve made from the real footage give no
 * cut and no hit.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../src/pipelines/foley/analysis.js';
import { analyseClip } from '../helpers/analysis.js';
import { binaries, SHARED_MEDIA } from '../helpers/media.js';

const run = promisify(execFile);
const OPENCV = '/usr/share/doc/opencv-doc/examples/data';
const MEGAMIND = join(OPENCV, 'Megamind.avi');
const BBB = join(SHARED_MEDIA, 'big_buck_bunny_0_30.webm');
const CHAPLIN = join(SHARED_MEDIA, 'chaplin.mp4');

const dir = mkdtempSync(join(tmpdir(), 'cuts-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function score(found: number[], truth: number[], frameS: number): { precision: number; recall: number } {
  const tol = frameS * 1.01;
  const hit = truth.filter((t) => found.some((f) => Math.abs(f - t) <= tol)).length;
  const right = found.filter((f) => truth.some((t) => Math.abs(f - t) <= tol)).length;
  return { precision: found.length ? right / found.length : 1, recall: truth.length ? hit / truth.length : 1 };
}

async function checkClip(name: string, file: string, truth: number[], fps: number): Promise<AnalysisResult> {
  const r = await analyseClip(file);
  const s = score(r.cuts, truth, 1 / fps);
  // The numbers the report asks for.
  console.log(
    `${name}: cuts ${r.cuts.map((t) => t.toFixed(3)).join(' ')} | ` +
      `precision ${s.precision.toFixed(2)} recall ${s.recall.toFixed(2)} | ` +
      `onsets ${r.onsets.map((o) => o.time.toFixed(2)).join(' ')}`,
  );
  expect(s, `cuts found: ${r.cuts.join(' ')}`).toEqual({ precision: 1, recall: 1 });
  for (const c of truth) {
    const near = r.onsets.filter((o) => Math.abs(o.time - c) <= 2.01 / fps);
    expect(near, `onsets near the cut at ${c}`).toEqual([]);
  }
  return r;
}

async function ffmpeg(args: string[]): Promise<void> {
  await run(binaries().ffmpeg, ['-v', 'error', '-y', ...args], { maxBuffer: 16 << 20 });
}

describe('hard cuts on real clips match ffmpeg scene detection and looking (±1 frame); no hit near a cut', () => {
  it('Megamind.avi (opencv-doc): the black leader and all three cuts', async () => {
    await checkClip('Megamind', MEGAMIND, [0.0834, 4.1291, 6.4648, 8.3834], 24_000 / 1001);
  });

  it.skipIf(!existsSync(BBB))('big_buck_bunny_0_30.webm: three cuts; the fade from black and the fading title are not cuts', async () => {
    const r = await checkClip('Big Buck Bunny', BBB, [11.795, 15.67, 22.961], 24);
    // The fade from black (0–2 s) is neither a cut nor a row of hits.
    expect(r.onsets.filter((o) => o.time < 2.2)).toEqual([]);
    expect(r.scenes).toHaveLength(4);
  });

  it.skipIf(!existsSync(CHAPLIN))('chaplin.mp4: one shot, no cut', async () => {
    await checkClip('Chaplin', CHAPLIN, [], 25);
  });
});

describe('fades and dissolves made from real footage are not cuts and not hits', () => {
  it('a fade in from black and out to black over one Megamind shot', async () => {
    const clip = join(dir, 'fade.mp4');
    // Her shot (0.2–4.0 s, no cut inside): 1 s in from black, 1 s out to black.
    await ffmpeg([
      '-ss',
      '0.2',
      '-t',
      '3.8',
      '-i',
      MEGAMIND,
      '-vf',
      'fade=t=in:st=0:d=1,fade=t=out:st=2.8:d=1',
      '-an',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
    const r = await analyseClip(clip);
    expect(r.cuts).toEqual([]);
    expect(r.onsets).toEqual([]);
  });

  it('a fade from black on the street scene (vtest.avi) adds no cut and no hit', async () => {
    const plain = join(dir, 'street.mp4');
    const faded = join(dir, 'street-fade.mp4');
    const enc = ['-an', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];
    await ffmpeg(['-t', '8', '-i', join(OPENCV, 'vtest.avi'), ...enc, plain]);
    await ffmpeg(['-i', plain, '-vf', 'fade=t=in:st=0:d=2', ...enc, faded]);
    const [a, b] = await Promise.all([analyseClip(plain), analyseClip(faded)]);
    expect(b.cuts).toEqual([]);
    // Whatever the faded clip hears inside the fade, the unfaded street heard there too.
    for (const o of b.onsets.filter((x) => x.time < 2.1)) expect(a.onsets.some((p) => Math.abs(p.time - o.time) <= 0.11)).toBe(true);
  });

  it('a one-second cross-dissolve between two Megamind shots', async () => {
    const clip = join(dir, 'dissolve.mp4');
    // Her shot (0.2–4.0 s), his (from 4.3 s) dissolving in over it from 2.3 to 3.3 s, then his alone
    // to the end (3.8 s). The worker's own ffmpeg may predate xfade: the second fades in by alpha.
    await ffmpeg([
      '-ss',
      '0.2',
      '-t',
      '3.8',
      '-i',
      MEGAMIND,
      '-ss',
      '4.3',
      '-t',
      '2',
      '-i',
      MEGAMIND,
      '-filter_complex',
      '[0:v]setpts=PTS-STARTPTS[a];[1:v]setpts=PTS-STARTPTS,format=yuva420p,fade=t=in:st=0:d=1:alpha=1,setpts=PTS+2.3/TB[b];' +
        '[a][b]overlay=eof_action=pass,format=yuv420p[v]',
      '-map',
      '[v]',
      '-an',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      clip,
    ]);
    const r = await analyseClip(clip);
    expect(r.cuts).toEqual([]);
    expect(r.onsets.filter((o) => o.time >= 2.2 && o.time <= 3.4)).toEqual([]);
  });
});
