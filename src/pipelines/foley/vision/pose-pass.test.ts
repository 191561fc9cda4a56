import { describe, expect, it } from 'vitest';
import type { VisionModels } from '../../../vision/models.js';
import type { Box, Pose } from '../../../vision/types.js';
import { matchPeople, PosePass } from './pose-pass.js';

const SIZE = { width: 160, height: 90 };
const frame = new Uint8Array(SIZE.width * SIZE.height * 3);

/** A stand-in for the models: records the boxes each pose run was asked for. */
function fakeModels(): { models: VisionModels; runs: Box[][] } {
  const runs: Box[][] = [];
  const modelMs = { detect: 0, pose: 0 };
  const models = {
    modelMs,
    async pose(_image: unknown, boxes: Box[]): Promise<Pose[]> {
      runs.push(boxes);
      modelMs.pose += 1;
      return boxes.map((box) => ({ box, keypoints: [], score: 1 }));
    },
  } as unknown as VisionModels;
  return { models, runs };
}

const person = (x: number, h = 0.4): Box => ({ x0: x, y0: 0.3, x1: x + h / 3, y1: 0.3 + h });

describe('PosePass', () => {
  it('matches a walker a second apart by nearest centre (their boxes no longer overlap)', () => {
    const pairs = matchPeople([person(0.1), person(0.7)], [person(0.75), person(0.3)], { aspect: 16 / 9, maxDist: 2.5 });
    expect(pairs.map(([i, j]) => [i, j])).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('nobody walking: never wanted, and no pose run for any frame', async () => {
    const { models, runs } = fakeModels();
    const pass = new PosePass({ models });
    pass.detected(0, [person(0.2)], SIZE);
    pass.detected(1, [person(0.201)], SIZE);
    pass.detected(2, [], SIZE);
    pass.end();
    expect(await pass.wanted).toBe(false);
    for (const t of [0, 0.5, 1.5]) await pass.push(frame, t, SIZE);
    expect(runs).toEqual([]);
    expect(pass.finish().modelMs).toBe(0);
  });

  it('a walker (0.6 → 0.3) beside someone standing (0.1): pose for the walker only, in a box between the detections', async () => {
    const { models, runs } = fakeModels();
    const pass = new PosePass({ models });
    pass.detected(0, [person(0.6), person(0.1)], SIZE);
    pass.detected(1, [person(0.1), person(0.3)], SIZE);
    expect(await pass.wanted).toBe(true);
    // A frame between the detections waits for none; one after the last waits for the next (or the end).
    await pass.push(frame, 0.5, SIZE);
    const later = pass.push(frame, 1.5, SIZE);
    pass.end();
    await later;
    expect(runs).toHaveLength(2);
    expect(runs[0]).toHaveLength(1);
    expect(runs[0]![0]!.x0).toBeCloseTo(0.45, 6);
    expect(runs[1]![0]!.x0).toBeCloseTo(0.3, 6);
    expect(pass.finish()).toMatchObject({ frames: 2, posed: 2, crops: 2 });
  });
});
