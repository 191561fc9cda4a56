/**
 * Hard cuts between shots of the same palette, made from real footage at test time: two moments of
 * one real clip joined hard, the second seen mirrored (a reverse angle: the same colours, the same
 * rough layout, the edges elsewhere) or closer (a cut to a close-up). The luma histogram barely
 * moves at such a join, and before the edge signature the engine heard three of these joins (the
 * tree's close-up, Chaplin from the other side, Megamind's two shots of her) as `motion` hits.
 * ffmpeg's own scene score (`select='gt(scene,0.3)'`, the worker's ffmpeg) is the cross-check:
 * each test first proves that ffmpeg scores the join ≥ 0.3, then that the engine finds the cut
 * within one frame and places no event within two frames of it or of any other frame ffmpeg
 * scores ≥ 0.3. The same shots dissolving into each other over a second, or fading through
 * black, are not cuts. Megamind's two shots of her at one table, which ffmpeg scores only ≈0.25,
 * must be a cut too: a change of shot, however similar, is never a hit.
 * opencv-doc clips always run (CI installs them); clips from ../shared/media skip without it.
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
import { OPENCV_DATA } from '../helpers/stand-ins.js';

const run = promisify(execFile);
const FPS = 25;
const FRAME = 1 / FPS;
/** Where the second shot starts in every joined clip (s). */
const JOIN = 2;
const CHAPLIN = join(SHARED_MEDIA, 'chaplin.mp4');
const BBB = join(SHARED_MEDIA, 'big_buck_bunny_0_30.webm');
const VTEST = join(OPENCV_DATA, 'vtest.avi');

const dir = mkdtempSync(join(tmpdir(), 'cuts-similar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Shot {
  file: string;
  /** Start (s) in the file. */
  at: number;
  /** Extra filters after the common 640×360 scale: `hflip`, a crop. */
  vf?: string;
}

const COMMON = `scale=640:360,setsar=1,fps=${FPS}`;
const ENCODE = ['-an', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];

async function ffmpeg(args: string[]): Promise<string> {
  const { stdout } = await run(binaries().ffmpeg, ['-v', 'error', '-y', ...args], { maxBuffer: 16 << 20 });
  return stdout;
}

function chain(s: Shot): string {
  return s.vf ? `${COMMON},${s.vf}` : COMMON;
}

/** Two 2-second shots joined hard at JOIN s. */
async function hardJoin(name: string, a: Shot, b: Shot): Promise<string> {
  const out = join(dir, `${name}.mp4`);
  await ffmpeg([
    ...['-ss', String(a.at), '-t', String(JOIN), '-i', a.file, '-ss', String(b.at), '-t', '2', '-i', b.file],
    '-filter_complex',
    `[0:v]${chain(a)},setpts=PTS-STARTPTS[a];[1:v]${chain(b)},setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1[v]`,
    ...['-map', '[v]', ...ENCODE, out],
  ]);
  return out;
}

/**
 * The same shots, the second dissolving in over the first from 1.5 s to 2.5 s (`fade: 'cross'`), or
 * the first fading to black over 1.5–2 s and the second up from black over 2–2.5 s (`'black'`).
 * Built from fade and overlay, as the worker's own ffmpeg may predate xfade.
 */
async function softJoin(name: string, o: { a: Shot; b: Shot; fade: 'cross' | 'black' }): Promise<string> {
  const out = join(dir, `${name}.mp4`);
  const graph =
    o.fade === 'cross'
      ? `[0:v]${chain(o.a)},setpts=PTS-STARTPTS[a];` +
        `[1:v]${chain(o.b)},setpts=PTS-STARTPTS,format=yuva420p,fade=t=in:st=0:d=1:alpha=1,setpts=PTS+1.5/TB[b];` +
        '[a][b]overlay=eof_action=pass,format=yuv420p[v]'
      : `[0:v]${chain(o.a)},setpts=PTS-STARTPTS,fade=t=out:st=1.5:d=0.5[a];` +
        `[1:v]${chain(o.b)},setpts=PTS-STARTPTS,fade=t=in:st=0:d=0.5[b];[a][b]concat=n=2:v=1[v]`;
  const second = o.fade === 'cross' ? '2.5' : '2';
  await ffmpeg([
    ...['-ss', String(o.a.at), '-t', String(JOIN), '-i', o.a.file, '-ss', String(o.b.at), '-t', second, '-i', o.b.file],
    ...['-filter_complex', graph, '-map', '[v]', ...ENCODE, out],
  ]);
  return out;
}

/** Frames ffmpeg's scene score puts at 0.3 or more: `{ time, score }`. */
async function ffmpegScenes(file: string): Promise<Array<{ time: number; score: number }>> {
  const text = await ffmpeg(['-i', file, '-vf', "select='gt(scene,0.3)',metadata=print:file=-", '-an', '-f', 'null', '-']);
  const out: Array<{ time: number; score: number }> = [];
  for (const m of text.matchAll(/pts_time:([\d.]+)\s+lavfi\.scene_score=([\d.]+)/g)) out.push({ time: Number(m[1]), score: Number(m[2]) });
  return out;
}

function report(name: string, r: AnalysisResult, scenes: Array<{ time: number; score: number }>): void {
  // The numbers the report asks for.
  console.log(
    `${name}: ffmpeg scene ≥0.3 ${scenes.map((s) => `${s.time.toFixed(2)}@${s.score.toFixed(2)}`).join(' ') || '-'} | ` +
      `engine cuts ${r.cuts.map((t) => t.toFixed(2)).join(' ') || '-'} | events ${r.onsets.map((o) => o.time.toFixed(2)).join(' ') || '-'}`,
  );
}

/** ffmpeg sees the join; the engine finds it (±1 frame) and places no event within 2 frames of any ffmpeg cut. */
async function expectCut(name: string, a: Shot, b: Shot): Promise<void> {
  const clip = await hardJoin(name, a, b);
  const [scenes, r] = await Promise.all([ffmpegScenes(clip), analyseClip(clip)]);
  report(name, r, scenes);
  expect(scenes.some((s) => Math.abs(s.time - JOIN) <= FRAME * 1.01)).toBe(true);
  expect(r.cuts.some((t) => Math.abs(t - JOIN) <= FRAME * 1.01)).toBe(true);
  for (const s of scenes) {
    // Every frame ffmpeg scores ≥ 0.3 here is a join the engine accepts as a cut.
    expect(r.cuts.some((t) => Math.abs(t - s.time) <= FRAME * 1.01)).toBe(true);
    expect(r.onsets.filter((o) => Math.abs(o.time - s.time) <= 2.01 * FRAME)).toEqual([]);
  }
}

describe('hard cuts between shots of the same palette are cuts, never hits (opencv-doc)', () => {
  it('the street (vtest.avi) at 5 s, then at 40 s seen from the other side', async () => {
    await expectCut('street-reverse', { file: VTEST, at: 5 }, { file: VTEST, at: 40, vf: 'hflip' });
  });

  it('a tree in the wind (tree.avi) at 2 s, then a close-up of it at 20 s: the join the old rule heard as a hit', async () => {
    const tree = join(OPENCV_DATA, 'tree.avi');
    await expectCut('tree-closeup', { file: tree, at: 2 }, { file: tree, at: 20, vf: 'crop=iw/2:ih/2:iw/4:ih/4,scale=640:360' });
  });

  it('Megamind.avi: two shots of her at one table (ffmpeg ≈0.25) are a cut, and no hit', async () => {
    const megamind = join(OPENCV_DATA, 'Megamind.avi');
    const clip = await hardJoin('two-of-her', { file: megamind, at: 0.5 }, { file: megamind, at: 7 });
    const [scenes, r] = await Promise.all([ffmpegScenes(clip), analyseClip(clip)]);
    report('two-of-her', r, scenes);
    expect(r.cuts.some((t) => Math.abs(t - JOIN) <= FRAME * 1.01)).toBe(true);
    expect(r.onsets.filter((o) => Math.abs(o.time - JOIN) <= 2.01 * FRAME)).toEqual([]);
  });

  it('the two street shots dissolving into each other, or fading through black, are not cuts', async () => {
    const a = { file: VTEST, at: 5 };
    const b = { file: VTEST, at: 40, vf: 'hflip' };
    for (const fade of ['cross', 'black'] as const) {
      const clip = await softJoin(`street-${fade}`, { a, b, fade });
      const r = await analyseClip(clip);
      report(`street-${fade}`, r, await ffmpegScenes(clip));
      expect(r.cuts).toEqual([]);
    }
  });
});

describe.skipIf(!existsSync(CHAPLIN))('hard cuts between shots of the same palette (../shared/media)', () => {
  it('chaplin.mp4 at 3 s, then at 5 s from the other side: black and white both sides, the hit the issue reported', async () => {
    await expectCut('chaplin-reverse', { file: CHAPLIN, at: 3 }, { file: CHAPLIN, at: 5, vf: 'hflip' });
  });

  it('chaplin.mp4 wide, then a close-up 2 s later', async () => {
    await expectCut('chaplin-closeup', { file: CHAPLIN, at: 3 }, { file: CHAPLIN, at: 5, vf: 'crop=iw/2:ih/2,scale=640:360' });
  });

  it.skipIf(!existsSync(BBB))('big_buck_bunny: the meadow at 12 s, then a close-up of it at 14 s', async () => {
    await expectCut('bunny-closeup', { file: BBB, at: 12 }, { file: BBB, at: 14, vf: 'crop=iw/2:ih/2,scale=640:360' });
  });

  it('the Chaplin shots dissolving into each other, or fading through black, are not cuts', async () => {
    const a = { file: CHAPLIN, at: 3 };
    const b = { file: CHAPLIN, at: 5, vf: 'hflip' };
    for (const fade of ['cross', 'black'] as const) {
      const clip = await softJoin(`chaplin-${fade}`, { a, b, fade });
      const r = await analyseClip(clip);
      report(`chaplin-${fade}`, r, await ffmpegScenes(clip));
      expect(r.cuts).toEqual([]);
    }
  });
});
