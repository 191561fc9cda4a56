/**
 * `duration` on an AVI (opencv-doc's Megamind.avi, MPEG-4 Part 2 with AC-3): AVI packets carry no
 * timestamps, which the stream-copy trim into Matroska refused (FFMPEG_FAILED) until the trim
 * generated them.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestWorker, outputOf, type TestWorker } from '../helpers/job.js';
import { probeStreams } from '../helpers/media.js';

let worker: TestWorker;
beforeAll(async () => {
  worker = await createTestWorker({}, 'temp');
  await copyFile('/usr/share/doc/opencv-doc/examples/data/Megamind.avi', join(worker.config.volumeDir, 'Megamind.avi'));
});
afterAll(() => worker.close());

it('trims an AVI to `duration` and delivers it', async () => {
  const out = outputOf(await worker.run({ video_path: 'Megamind.avi', duration: 3, vision: false, seed: 1 }));
  const streams = await probeStreams(out.video_path as string);
  expect(streams.map((s) => s.codec_type)).toEqual(['video', 'audio']);
  // 3 s at 23.976 fps: 72 frames (a stream copy may keep one more up to the next cut point).
  expect(Number(streams[0]?.nb_read_packets)).toBeGreaterThanOrEqual(72);
  expect(Number(streams[0]?.nb_read_packets)).toBeLessThanOrEqual(74);
});
