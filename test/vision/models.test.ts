/**
 * The vision models on real footage, through the worker's own path (conversion cache, session
 * threads, TypeScript decoding): the obvious things are found where they are. Ground truth was
 * hand-labelled by looking at the frames: vtest.avi at 2.0 s (768×576) has four walkers, boxes in
 * pixels A (362,193)-(400,277), B (438,232)-(482,318), C (686,271)-(722,378), D (727,270)-(757,367);
 * licenseplate_motion.jpg is the back of one car filling the frame; messi5.jpg has one player.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanModelJson } from '../../src/convert/human.js';
import { isWorkerError } from '../../src/errors.js';
import { loadVisionModels, type VisionModels } from '../../src/vision/models.js';
import { KP, type Box, type Detection } from '../../src/vision/types.js';
import { decodeImage, iou, OPENCV_DATA } from './helpers.js';

const log = pino({ level: 'silent' });
const px = ({ x0, y0, x1, y1, w = 768, h = 576 }: { x0: number; y0: number; x1: number; y1: number; w?: number; h?: number }): Box => ({
  x0: x0 / w,
  y0: y0 / h,
  x1: x1 / w,
  y1: y1 / h,
});
const WALKERS: Record<string, Box> = {
  A: px({ x0: 362, y0: 193, x1: 400, y1: 277 }),
  B: px({ x0: 438, y0: 232, x1: 482, y1: 318 }),
  C: px({ x0: 686, y0: 271, x1: 722, y1: 378 }),
  D: px({ x0: 727, y0: 270, x1: 757, y1: 367 }),
};

let dir: string;
let models: VisionModels;
let models512: VisionModels;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vision-'));
  models = await loadVisionModels({ cacheDir: join(dir, 'cache'), ep: 'cpu', log, threads: 1 });
  models512 = await loadVisionModels({ cacheDir: join(dir, 'cache'), ep: 'cpu', log, threads: 1, detectorSide: 512 });
}, 120_000);

afterAll(async () => {
  await models?.close();
  await models512?.close();
  await rm(dir, { recursive: true, force: true });
});

const best = (dets: Detection[], label: string, truth: Box): number =>
  Math.max(0, ...dets.filter((d) => d.label === label).map((d) => iou(d.box, truth)));

describe('detection on real footage', () => {
  it('finds the four walkers of vtest.avi where they are (IoU ≥ 0.5 at 512, ≥ 0.4 at 320×256)', async () => {
    const frame = await decodeImage(`${OPENCV_DATA}/vtest.avi`, { seek: 2 });
    const [d512] = await models512.detect([frame]);
    const [d320] = await models.detect([frame]);
    const report = Object.fromEntries(
      Object.entries(WALKERS).map(([k, b]) => [k, [best(d512!, 'person', b).toFixed(2), best(d320!, 'person', b).toFixed(2)]]),
    );
    console.log(
      'vtest person IoU [512, 320]:',
      JSON.stringify(report),
      'detections@320:',
      d320!.map((d) => `${d.label}:${d.score.toFixed(2)}`).join(' '),
    );
    for (const b of Object.values(WALKERS)) {
      expect(best(d512!, 'person', b)).toBeGreaterThanOrEqual(0.5);
      expect(best(d320!, 'person', b)).toBeGreaterThanOrEqual(0.4);
    }
    // Every confident person (score ≥ 0.4) is one of the walkers: no people made up on the lawn.
    for (const d of d320!.filter((x) => x.label === 'person' && x.score >= 0.4))
      expect(Math.max(...Object.values(WALKERS).map((b) => iou(b, d.box)))).toBeGreaterThan(0.3);
  });

  it('finds the car filling licenseplate_motion.jpg and the player in messi5.jpg, in one batch', async () => {
    const car = await decodeImage(`${OPENCV_DATA}/licenseplate_motion.jpg`);
    const messi = await decodeImage(`${OPENCV_DATA}/messi5.jpg`);
    const [dc, dm] = await models.detect([car, messi]);
    console.log('car:', dc!.slice(0, 3), 'messi:', dm!.slice(0, 3));
    const c = dc!.find((d) => d.label === 'car');
    expect(c).toBeDefined();
    expect(iou(c!.box, { x0: 0, y0: 0.05, x1: 1, y1: 0.95 })).toBeGreaterThan(0.5);
    expect(dm!.some((d) => d.label === 'person')).toBe(true);
  });

  it('detectorInput gives multiples of 32 in the frame aspect, and frames already that size skip the resize', async () => {
    expect(models.detectorInput(1280, 720)).toEqual({ width: 320, height: 192 });
    expect(models512.detectorInput(768, 576)).toEqual({ width: 512, height: 384 });
    expect(models.detectorInput(576, 1024)).toEqual({ width: 192, height: 320 });
    const size = models.detectorInput(768, 576);
    const frame = await decodeImage(`${OPENCV_DATA}/vtest.avi`, { seek: 2, ...size });
    const [d] = await models.detect([frame]);
    expect(d!.filter((x) => x.label === 'person').length).toBeGreaterThanOrEqual(3);
  });
});

describe('pose on real footage', () => {
  it('puts ankles in the lower part and wrists in the middle of each vtest walker, batched', async () => {
    const frame = await decodeImage(`${OPENCV_DATA}/vtest.avi`, { seek: 2 });
    const boxes = Object.values(WALKERS);
    const poses = await models.pose(frame, boxes);
    expect(poses).toHaveLength(4);
    poses.forEach((p, i) => {
      const b = boxes[i]!;
      const h = b.y1 - b.y0;
      const w = b.x1 - b.x0;
      const rel = (k: number): { x: number; y: number } => ({ x: (p.keypoints[k]!.x - b.x0) / w, y: (p.keypoints[k]!.y - b.y0) / h });
      console.log(
        `walker ${i}: score ${p.score.toFixed(2)}`,
        ['leftAnkle', 'rightAnkle', 'leftWrist', 'rightWrist', 'nose']
          .map((k) => `${k} ${JSON.stringify(rel(KP[k as keyof typeof KP]))}`)
          .join(' '),
      );
      for (const k of [KP.leftAnkle, KP.rightAnkle]) {
        const r = rel(k);
        expect(r.y).toBeGreaterThan(0.7);
        expect(r.y).toBeLessThan(1.15);
        expect(r.x).toBeGreaterThan(-0.3);
        expect(r.x).toBeLessThan(1.3);
      }
      for (const k of [KP.leftWrist, KP.rightWrist]) {
        const r = rel(k);
        expect(r.y).toBeGreaterThan(0.2);
        expect(r.y).toBeLessThan(0.75);
      }
      expect(rel(KP.nose).y).toBeLessThan(0.25);
    });
    expect(models.modelMs.pose).toBeGreaterThan(0);
  });
});

describe('loading', () => {
  it('a second load is a cache hit; a corrupt model file is MODEL_LOAD_FAILED', async () => {
    const again = await loadVisionModels({ cacheDir: join(dir, 'cache'), ep: 'cpu', log });
    await again.close();
    const bad = join(dir, 'bad');
    await rm(bad, { recursive: true, force: true });
    await import('node:fs/promises').then((f) => f.mkdir(bad));
    await copyFile(humanModelJson('centernet'), join(bad, 'centernet.json'));
    const bin = await readFile(humanModelJson('centernet').replace(/\.json$/, '.bin'));
    await writeFile(join(bad, 'centernet.bin'), bin.subarray(0, bin.length >> 1));
    let err: unknown;
    try {
      await loadVisionModels({ cacheDir: join(dir, 'cache'), ep: 'cpu', log, sources: { centernet: join(bad, 'centernet.json') } });
    } catch (e) {
      err = e;
    }
    expect(isWorkerError(err) && err.code).toBe('MODEL_LOAD_FAILED');
    // A model.json that is not JSON at all.
    await writeFile(join(bad, 'movenet.json'), '{ not json');
    await expect(
      loadVisionModels({ cacheDir: join(dir, 'cache'), ep: 'cpu', log, sources: { 'movenet-lightning': join(bad, 'movenet.json') } }),
    ).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });
});
