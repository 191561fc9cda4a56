/**
 * Whole-model parity: the original TF.js graph models (tfjs-converter, pure-JS CPU backend) against
 * our ONNX conversions plus TypeScript decoding, on real pictures. Tolerances (float32 on both
 * sides, different kernels): CenterNet heatmap ≤ 1e-4 absolute (values 0..1), box extents ≤ 0.02 px
 * (values up to ~300 px); decoded detections (the graph's own `tower_0/detections` top 100 vs our
 * decode) same class, score ≤ 1e-4, corners ≤ 0.05 px, for every detection scoring ≥ 0.1. MoveNet
 * (graph output `Identity` vs ours): keypoints ≤ 1e-3 of the crop, scores ≤ 1e-4.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertTfjsGraph } from '../../src/convert/tfjs-graph.js';
import { readTfjsGraphPackage } from '../../src/convert/tfjs-graph-package.js';
import { HUMAN_MODELS, humanConvertOptions, humanModelJson } from '../../src/convert/human.js';
import { decodeRaw } from '../../src/vision/detector.js';
import { resizeToFloat } from '../../src/vision/image.js';
import { decodeCrop } from '../../src/vision/pose.js';
import type { RgbImage } from '../../src/vision/types.js';
import {
  decodeImage,
  HAS_SHARED,
  loadTfjsGraph,
  maxAbsDiff,
  OPENCV_DATA,
  ort,
  ortSession,
  runTfjs,
  SHARED_MEDIA,
  tfc,
  type tfconv,
} from './helpers.js';

const PICTURES: [string, () => Promise<RgbImage>][] = [
  ['messi5.jpg', () => decodeImage(`${OPENCV_DATA}/messi5.jpg`)],
  ['basketball1.png', () => decodeImage(`${OPENCV_DATA}/basketball1.png`)],
  ['licenseplate_motion.jpg', () => decodeImage(`${OPENCV_DATA}/licenseplate_motion.jpg`)],
  ['vtest.avi @ 2 s', () => decodeImage(`${OPENCV_DATA}/vtest.avi`, { seek: 2 })],
];
const SHARED: [string, () => Promise<RgbImage>][] = [
  ['chaplin.mp4 @ 5 s', () => decodeImage(join(SHARED_MEDIA, 'chaplin.mp4'), { seek: 5 })],
];

describe('CenterNet: TF.js graph vs converted ONNX', () => {
  let tf: tfconv.GraphModel;
  let s: ort.InferenceSession;
  beforeAll(async () => {
    tf = await loadTfjsGraph(humanModelJson('centernet'));
    s = await ortSession(convertTfjsGraph(await readTfjsGraphPackage(humanModelJson('centernet')), humanConvertOptions('centernet')));
  }, 60_000);
  afterAll(async () => {
    tf?.dispose();
    await s?.release();
  });

  const check = async (load: () => Promise<RgbImage>): Promise<void> => {
    const img = await load();
    const input = new Float32Array(512 * 512 * 3);
    resizeToFloat(img, { width: 512, height: 512 }, input, 0);
    const [heatRef, whRef, detRef] = await runTfjs(tf, { 'tower_0/images': tfc.tensor4d(input, [1, 512, 512, 3]) }, [
      'tower_0/keypoints',
      'tower_0/wh',
      'tower_0/detections',
    ]);
    const out = await s.run({ 'tower_0/images': new ort.Tensor('float32', input, [1, 512, 512, 3]) });
    const heat = out['tower_0/keypoints']!.data as Float32Array;
    const wh = out['tower_0/wh']!.data as Float32Array;
    expect(maxAbsDiff(heat, heatRef!.data)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(wh, whRef!.data)).toBeLessThanOrEqual(0.02);
    const ours = decodeRaw({ heat, wh, gridW: 128, gridH: 128 }, 0, { minScore: 0.1 });
    const ref: number[][] = [];
    for (let i = 0; i < 100; i++) {
      const r = Array.from(detRef!.data.subarray(i * 6, i * 6 + 6));
      if (r[4]! >= 0.1) ref.push(r);
    }
    expect(ref.length).toBeGreaterThan(0);
    // Near the 0.1 line one side may keep a detection the other drops: compare all above 0.1 + 1e-3.
    const strong = ref.filter((r) => r[4]! >= 0.101);
    for (const r of strong) {
      const m = ours.find((o) => o.classId === r[5] && Math.abs(o.x0 - r[0]!) <= 0.05 && Math.abs(o.y0 - r[1]!) <= 0.05);
      expect(m, `detection ${r.join(',')}`).toBeDefined();
      expect(Math.abs(m!.score - r[4]!)).toBeLessThanOrEqual(1e-4);
      expect(Math.abs(m!.x1 - r[2]!)).toBeLessThanOrEqual(0.05);
      expect(Math.abs(m!.y1 - r[3]!)).toBeLessThanOrEqual(0.05);
    }
    expect(ours.filter((o) => o.score >= 0.101).length).toBe(strong.length);
  };
  it.each(PICTURES)('%s', async (_, load) => check(load), 60_000);
  it.skipIf(!HAS_SHARED).each(SHARED)('%s', async (_, load) => check(load), 60_000);
});

describe('MoveNet: TF.js graph (its own decoding) vs converted ONNX + TypeScript decoding', () => {
  let tf: tfconv.GraphModel;
  let s: ort.InferenceSession;
  const [hm, center, reg, off] = HUMAN_MODELS['movenet-lightning'].outputs;
  beforeAll(async () => {
    tf = await loadTfjsGraph(humanModelJson('movenet-lightning'));
    s = await ortSession(
      convertTfjsGraph(await readTfjsGraphPackage(humanModelJson('movenet-lightning')), humanConvertOptions('movenet-lightning')),
    );
  }, 60_000);
  afterAll(async () => {
    tf?.dispose();
    await s?.release();
  });

  it.each([...PICTURES, ...(HAS_SHARED ? SHARED : [])])(
    '%s (whole picture squeezed to 192×192, batch of 2 with its mirror)',
    async (_, load) => {
      const img = await load();
      const f = new Float32Array(192 * 192 * 3);
      resizeToFloat(img, { width: 192, height: 192 }, f, 0);
      const one = Int32Array.from(f, Math.trunc);
      const mirror = new Int32Array(one.length);
      for (let y = 0; y < 192; y++)
        for (let x = 0; x < 192; x++) for (let k = 0; k < 3; k++) mirror[(y * 192 + x) * 3 + k] = one[(y * 192 + 191 - x) * 3 + k]!;
      const batch = new Int32Array(one.length * 2);
      batch.set(one);
      batch.set(mirror, one.length);
      const out = await s.run({ input: new ort.Tensor('int32', batch, [2, 192, 192, 3]) });
      const outputs = {
        heatmap: out[hm]!.data as Float32Array,
        center: out[center]!.data as Float32Array,
        regress: out[reg]!.data as Float32Array,
        offset: out[off]!.data as Float32Array,
      };
      for (const [n, data] of [
        [0, one],
        [1, mirror],
      ] as const) {
        const [ref] = await runTfjs(tf, { input: tfc.tensor4d(data, [1, 192, 192, 3], 'int32') }, ['Identity']);
        const ours = decodeCrop(outputs, n);
        ours.forEach((k, i) => {
          expect(Math.abs(k.y - ref!.data[i * 3]!)).toBeLessThanOrEqual(1e-3);
          expect(Math.abs(k.x - ref!.data[i * 3 + 1]!)).toBeLessThanOrEqual(1e-3);
          expect(Math.abs(k.score - ref!.data[i * 3 + 2]!)).toBeLessThanOrEqual(1e-4);
        });
      }
    },
    60_000,
  );
});
