/** Same seed + same input → byte-identical audio; a different seed → different audio. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { createTestWorker, outputOf, type TestWorker } from '../helpers/job.js';
import { audioPacketsMd5 } from '../helpers/media.js';

let worker: TestWorker;
beforeAll(async () => {
  worker = await createTestWorker();
});
afterAll(() => worker.close());

describe('seeds', () => {
  it('same seed gives byte-identical audio, in WAV and in the MP4 track', async () => {
    const job = { video_path: 'chaplin.mp4', prompt: 'rain on a window', seed: 123456789 };
    const [a, b] = [
      outputOf(await worker.run({ ...job, output_format: 'wav' })),
      outputOf(await worker.run({ ...job, output_format: 'wav' })),
    ];
    expect((await readFile(a.audio_path as string)).equals(await readFile(b.audio_path as string))).toBe(true);
    const [m1, m2] = [outputOf(await worker.run(job)), outputOf(await worker.run(job))];
    expect(await audioPacketsMd5(m1.video_path as string)).toBe(await audioPacketsMd5(m2.video_path as string));
  });

  it('a different seed gives different audio, and a job without one reports the seed it used', async () => {
    const job = { video_path: 'chaplin.mp4', prompt: 'rain on a window', output_format: 'wav' };
    const a = outputOf(await worker.run({ ...job, seed: 1 }));
    const b = outputOf(await worker.run({ ...job, seed: 2 }));
    expect((await readFile(a.audio_path as string)).equals(await readFile(b.audio_path as string))).toBe(false);

    const unseeded = outputOf(await worker.run(job));
    expect(Number.isInteger(unseeded.seed)).toBe(true);
    const replay = outputOf(await worker.run({ ...job, seed: unseeded.seed }));
    expect((await readFile(replay.audio_path as string)).equals(await readFile(unseeded.audio_path as string))).toBe(true);
  });
});
