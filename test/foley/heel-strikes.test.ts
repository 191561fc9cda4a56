/**
 * Foot contacts on real walking footage against hand-labelled heel strikes (test/fixtures/
 * heel-strikes: 5 stretches of opencv-doc's vtest.avi, 28 strikes, labelled frame by frame from
 * upscaled crops; see its README for the method). Each stretch is cut from the street scene and
 * run through what a Foley job runs on a CPU worker, with `pose: true` (detection and pose, the
 * real converted models, tracking, heel strikes) and by default (detection and the feet's motion).
 * Scoring (the fixture's): a detected contact belongs to a labelled person when it lies in that
 * person's box at that frame; it is right when a strike of that person is within 2 frames (one
 * to one); a contact of a labelled person matching no strike is a false positive; a sure strike
 * no contact matches is a miss.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { streamGrayFrames } from '../../src/media/frames.js';
import { type Contact, footContacts } from '../../src/pipelines/foley/vision/contacts.js';
import { FeetMotion } from '../../src/pipelines/foley/vision/feet-motion.js';
import { decodeForPose, PosePass } from '../../src/pipelines/foley/vision/pose-pass.js';
import { trackPeople } from '../../src/pipelines/foley/vision/tracks.js';
import { VisionWatcher } from '../../src/pipelines/foley/vision/watch.js';
import { watchPlan } from '../../src/tasks/foley/senses.js';
import { loadVisionModels, type VisionModels } from '../../src/vision/models.js';
import type { Box } from '../../src/vision/types.js';
import { binaries } from '../helpers/media.js';

const run = promisify(execFile);
const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const FIXTURE = new URL('../fixtures/heel-strikes/vtest.json', import.meta.url).pathname;
const MARGIN = 6;

interface Person {
  id: string;
  frames: [number, number];
  box_start: [number, number, number, number];
  box_end: [number, number, number, number];
  strikes: Array<{ frame: number; sure: boolean }>;
}

let dir: string;
let models: VisionModels;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heel-strikes-'));
  models = await loadVisionModels({ cacheDir: join(dir, 'cache'), ep: 'cpu', log: pino({ level: 'silent' }), threads: 1 });
}, 120_000);
afterAll(async () => {
  await models?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The person's box (pixels) at `frame`: between the labelled start and end boxes, widened 15 %. */
function boxAt(p: Person, frame: number): [number, number, number, number] {
  const u = Math.max(0, Math.min(1, (frame - p.frames[0]) / Math.max(1, p.frames[1] - p.frames[0])));
  const b = p.box_start.map((v, i) => v + u * ((p.box_end[i] as number) - v)) as [number, number, number, number];
  const w = b[2] - b[0];
  const h = b[3] - b[1];
  return [b[0] - 0.15 * w, b[1] - 0.15 * h, b[2] + 0.15 * w, b[3] + 0.15 * h];
}

/**
 * Heel strikes in a clip as a CPU worker's job finds them: `pose: true` (detection on the analysis
 * decode, pose on a second decode for those who walk: vision/pose-pass.ts) or `pose: "auto"` (no
 * pose: the feet's motion on the analysis decode's luma frames, vision/feet-motion.ts).
 */
async function contactsIn(clip: string, pose: true | 'auto'): Promise<{ contacts: Contact[]; poseRuns: number }> {
  const plan = watchPlan('cpu', pose);
  const pass = plan.poseFrames ? new PosePass({ models }) : undefined;
  const feet = plan.feetEveryS ? new FeetMotion() : undefined;
  const follower = pass ?? feet;
  const watcher = new VisionWatcher({
    models,
    detectEveryS: plan.detectEveryS,
    pose: plan.pose && !pass,
    ...(follower ? { onPeople: (t: number, people: Box[], s: { width: number; height: number }) => follower.detected(t, people, s) } : {}),
  });
  const poseDecode =
    pass && plan.poseFrames
      ? decodeForPose({
          ffmpeg: binaries().ffmpeg,
          file: clip,
          pass,
          frames: plan.poseFrames,
          signal: new AbortController().signal,
          timeoutMs: 120_000,
        })
      : undefined;
  let size = { width: 0, height: 0 };
  await streamGrayFrames({
    ffmpeg: binaries().ffmpeg,
    file: clip,
    timeoutMs: 120_000,
    onFrame: () => undefined,
    sample: {
      width: plan.width,
      everyS: plan.everyS,
      onSize: (s) => {
        size = s;
        return watcher.setSize(s);
      },
      onFrame: (rgb, t) => watcher.push(rgb, t),
      luma: feet && plan.feetEveryS ? { everyS: plan.feetEveryS, onFrame: (gray, t) => feet.frame(gray, t, size) } : undefined,
    },
  });
  const seen = await watcher.finish();
  if (feet) return { contacts: feet.finish().contacts, poseRuns: seen.poses.length };
  pass?.end();
  await poseDecode;
  const posed = pass?.finish();
  expect(seen.failure ?? posed?.failure).toBeUndefined();
  const everyS = plan.poseFrames?.everyS ?? plan.everyS;
  const poses = posed?.poses ?? seen.poses;
  return {
    contacts: footContacts(trackPeople(poses, { maxGapS: 3 * everyS }), { aspect: size.width / size.height }),
    poseRuns: poses.length,
  };
}

async function score(pose: true | 'auto'): Promise<{ precision: number; recall: number; poseRuns: number }> {
  const truth = JSON.parse(await readFile(FIXTURE, 'utf8')) as { fps: number; people: Person[] };
  let tp = 0;
  let fp = 0;
  let missed = 0;
  let sure = 0;
  let poseRuns = 0;
  const lines: string[] = [];
  for (const person of truth.people) {
    const first = Math.max(0, person.frames[0] - MARGIN);
    const last = person.frames[1] + MARGIN;
    const clip = join(dir, `${person.id}.mkv`);
    // The stretch as its own clip, frame for frame (lossless), time 0 at frame `first`.
    await run(binaries().ffmpeg, [
      '-v',
      'error',
      '-y',
      '-i',
      VTEST,
      '-vf',
      `select='between(n\\,${first}\\,${last})',setpts=N/10/TB`,
      '-r',
      '10',
      '-c:v',
      'ffv1',
      clip,
    ]);
    const found = await contactsIn(clip, pose);
    poseRuns += found.poseRuns;
    // Contacts that are this person's: in their box, inside the labelled stretch (±2 frames).
    const mine = found.contacts
      .map((c) => ({ frame: first + Math.round(c.time * truth.fps), x: c.x * 768, y: c.y * 576 }))
      .filter((c) => c.frame >= person.frames[0] - 2 && c.frame <= person.frames[1] + 2)
      .filter((c) => {
        const [x0, y0, x1, y1] = boxAt(person, c.frame);
        return c.x >= x0 && c.x <= x1 && c.y >= y0 && c.y <= y1;
      });
    const used = new Set<number>();
    let hits = 0;
    for (const c of mine) {
      let best = -1;
      person.strikes.forEach((s, k) => {
        if (used.has(k) || Math.abs(s.frame - c.frame) > 2) return;
        if (best < 0 || Math.abs(s.frame - c.frame) < Math.abs((person.strikes[best] as { frame: number }).frame - c.frame)) best = k;
      });
      if (best >= 0) {
        used.add(best);
        hits++;
      }
    }
    const sureHere = person.strikes.filter((s) => s.sure).length;
    const missedHere = person.strikes.filter((s, k) => s.sure && !used.has(k)).length;
    tp += hits;
    fp += mine.length - hits;
    missed += missedHere;
    sure += sureHere;
    lines.push(`${person.id}: truth ${person.strikes.map((s) => s.frame).join(',')} | found ${mine.map((c) => c.frame).join(',')}`);
  }
  const precision = tp / Math.max(1, tp + fp);
  const recall = (sure - missed) / Math.max(1, sure);
  console.log(
    `pose: ${JSON.stringify(pose)}: heel strikes within 2 frames: precision ${precision.toFixed(2)} (${tp}/${tp + fp}), ` +
      `recall ${recall.toFixed(2)} (${sure - missed}/${sure} sure strikes), ${poseRuns} frames posed\n${lines.join('\n')}`,
  );
  return { precision, recall, poseRuns };
}

it('heel strikes from pose (`pose: true` on a CPU: walkers, on their own decode) match the labelled ones within 2 frames', async () => {
  const { precision, recall, poseRuns } = await score(true);
  expect(poseRuns).toBeGreaterThan(0);
  // Measured 0.88 / 0.75 (2026-12-07; pose on every frame for everyone gave 0.83 / 0.71). The truth is ±1 frame (README).
  expect(precision).toBeGreaterThanOrEqual(0.8);
  expect(recall).toBeGreaterThanOrEqual(0.7);
}, 300_000);

it('heel strikes from the feet’s motion (`pose: "auto"` on a CPU, no pose model) match the labelled ones within 2 frames', async () => {
  const { precision, recall, poseRuns } = await score('auto');
  expect(poseRuns).toBe(0);
  // Measured 19/23, 18/24 (2026-12-07, luma frames): issue 26's bar, what posing everyone on every
  // frame scored here (19/23, 17/24: "0.83 / 0.71"); pose gives 0.88 / 0.75. Asserted with one
  // contact of slack for an ffmpeg whose scaler rounds otherwise. The misses are walkers the
  // once-a-second detection does not follow yet (at the frame's edge, occluded), not steps.
  expect(precision).toBeGreaterThanOrEqual(0.8);
  expect(recall).toBeGreaterThanOrEqual(17 / 24 - 1e-9);
}, 300_000);

it('`pose: "auto"` plans the feet’s motion and no pose on a CPU worker (pose does not fit the budget there), pose on a GPU', () => {
  expect(watchPlan('cpu', 'auto')).toMatchObject({ pose: false, feetEveryS: 0.1, everyS: 1, detectEveryS: 1 });
  expect(watchPlan('gpu', 'auto')).toMatchObject({ pose: true });
  expect(watchPlan('gpu', 'auto')).not.toHaveProperty('poseFrames');
});
