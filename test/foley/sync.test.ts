/**
 * Sync: on generated clips with motion events at known times, the loudest transients of the
 * output land within 2 frames of those times — measured on the decoded output with a detector
 * that shares no code with the engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createTestWorker, outputOf, type TestWorker } from '../helpers/job.js';
import { audioOnsets, decodeAudioMono, makeClip } from '../helpers/media.js';

let worker: TestWorker;
beforeAll(async () => {
  worker = await createTestWorker({}, 'temp');
});
afterAll(() => worker.close());

function expectWithinFrames(found: number[], truth: number[], fps: number, frames: number): void {
  for (const t of truth) {
    const nearest = found.reduce((best, f) => (Math.abs(f - t) < Math.abs(best - t) ? f : best), Number.POSITIVE_INFINITY);
    expect(Math.abs(nearest - t), `event at ${t}s: nearest transient at ${nearest}s`).toBeLessThanOrEqual(frames / fps);
  }
  for (const f of found) {
    expect(
      truth.some((t) => Math.abs(f - t) <= frames / fps),
      `transient at ${f}s matches no event`,
    ).toBe(true);
  }
}

describe('transients land on the picture', () => {
  it('a square that appears, jumps twice and a full-frame flash, at 25 fps', async () => {
    const clip = join(worker.config.volumeDir, 'events25.mp4');
    // Events on frame boundaries: appear 0.8 s, jump 1.6 s, jump 2.4 s, flash 3.2 s (two frames).
    await makeClip(
      clip,
      ['color=c=0x202020:s=320x180:r=25:d=4', 'color=c=white:s=40x40:r=25:d=4'],
      "[0:v][1:v]overlay=x='if(lt(t,1.6),60,if(lt(t,2.4),150,240))':y=70:eval=frame:enable='gte(t,0.8)'," +
        "drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(t,3.2,3.27)'[v]",
    );
    const truth = [0.8, 1.6, 2.4, 3.2];
    for (const prompt of ['footsteps', 'impact', '']) {
      const out = outputOf(await worker.run({ video_path: 'events25.mp4', prompt, seed: 11, output_format: 'wav' }));
      expect(out.events).toBe(truth.length);
      const audio = await decodeAudioMono(out.audio_path as string);
      expectWithinFrames(audioOnsets(audio, 48_000, truth.length), truth, 25, 2);
    }
  });

  it('steps of a "walker" at 24 fps in an MP4 (through AAC)', async () => {
    const clip = join(worker.config.volumeDir, 'walker24.mp4');
    // A foot that jumps 50 px every 0.5 s from 0.5 s to 3.5 s (frames 12, 24, … 84).
    await makeClip(
      clip,
      ['color=c=0x303840:s=384x216:r=24:d=4', 'color=c=0xe0d8c0:s=36x16:r=24:d=4'],
      "[0:v][1:v]overlay=x='10+50*floor(2*t)':y=150:eval=frame[v]",
    );
    const truth = [0.5, 1, 1.5, 2, 2.5, 3, 3.5];
    const out = outputOf(await worker.run({ video_path: 'walker24.mp4', prompt: 'footsteps on gravel', seed: 3 }));
    const audio = await decodeAudioMono(out.video_path as string);
    expectWithinFrames(audioOnsets(audio, 48_000, truth.length), truth, 24, 2);
  });
});
