/**
 * Precision and recall of the sounds against the picture: generated clips with events at known
 * frames (objects that appear, jump or flash with still frames between; a walker whose body glides
 * while its foot plants on a cadence; a scene cut), the engine's output decoded, and onsets found
 * by the test's own detector (test/helpers/audio.ts, no engine code). Every event must be heard
 * within ±1 frame, nothing else may be heard, and the median error is at most one frame.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { detectAudioOnsets, scoreOnsets } from '../helpers/audio.js';
import { createTestWorker, outputOf, type TestWorker } from '../helpers/job.js';
import { decodeAudioMono, makeClip } from '../helpers/media.js';

let worker: TestWorker;
beforeAll(async () => {
  worker = await createTestWorker({}, 'temp');
});
afterAll(() => worker.close());

async function score(clip: string, truth: number[], fps: number, job: Record<string, unknown>) {
  const out = outputOf(await worker.run({ video_path: clip, seed: 21, output_format: 'wav', ...job }));
  const audio = await decodeAudioMono(out.audio_path as string);
  const found = detectAudioOnsets(audio, 48_000);
  const s = scoreOnsets(found, truth, 1 / fps);
  const why =
    `found ${found.map((t) => t.toFixed(3)).join(' ')} | missed ${s.missed.join(' ')} | ` +
    `extra ${s.unmatchedFound.map((t) => t.toFixed(3)).join(' ')}`;
  expect(s.precision, why).toBeGreaterThanOrEqual(0.9);
  expect(s.recall, why).toBeGreaterThanOrEqual(0.9);
  expect(s.medianError, why).toBeLessThanOrEqual(1 / fps);
  return { out, found, s };
}

describe('sound onsets match picture events (±1 frame, precision and recall ≥ 90 %)', () => {
  it('objects that appear, jump and flash at 25 fps, still frames between', async () => {
    const clip = join(worker.config.volumeDir, 'objects25.mp4');
    // A: appears 0.8, jumps 1.6, 2.4, 4.8, 7.2 · flash 3.2 and 6.4 (2 frames) · B: appears 4.0 · C (small): jumps 5.6
    await makeClip(
      clip,
      [
        'color=c=0x202428:s=320x180:r=25:d=8',
        'color=c=white:s=40x40:r=25:d=8',
        'color=c=0xd08040:s=30x30:r=25:d=8',
        'color=c=0xc0c0ff:s=16x16:r=25:d=8',
      ],
      "[0:v][1:v]overlay=x='if(lt(t,1.6),40,if(lt(t,2.4),100,if(lt(t,4.8),160,if(lt(t,7.2),60,110))))'" +
        ":y=30:eval=frame:enable='gte(t,0.8)'[a];" +
        "[a][2:v]overlay=x=250:y=120:enable='gte(t,4.0)'[b];" +
        "[b][3:v]overlay=x='if(lt(t,5.6),20,60)':y=150:eval=frame[c];" +
        "[c]drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(t,3.2,3.27)+between(t,6.4,6.47)'[v]",
    );
    const truth = [0.8, 1.6, 2.4, 3.2, 4.0, 4.8, 5.6, 6.4, 7.2];
    for (const prompt of ['impact', 'footsteps', 'metal', '']) {
      const { out } = await score('objects25.mp4', truth, 25, { prompt });
      expect(out.events).toBe(truth.length);
    }
  });

  it('a walker at 24 fps: the body glides on, the foot plants every 0.5 s', async () => {
    const clip = join(worker.config.volumeDir, 'walker-glide24.mp4');
    await makeClip(
      clip,
      ['color=c=0x303840:s=384x216:r=24:d=6', 'color=c=0x8090a0:s=30x70:r=24:d=6', 'color=c=0xe0d8c0:s=36x16:r=24:d=6'],
      // Body: 2 px a frame, all the time. Foot: jumps 30 px at every half second from 0.5 s.
      "[0:v][1:v]overlay=x='20+48*t':y=70:eval=frame[a];[a][2:v]overlay=x='10+30*floor(2*t)':y=160:eval=frame[v]",
    );
    const truth = Array.from({ length: 11 }, (_, i) => 0.5 * (i + 1));
    await score('walker-glide24.mp4', truth, 24, { prompt: 'footsteps' });
  });

  it('a scene cut at 30 fps is a change of bed, not a hit; events either side are heard', async () => {
    const clip = join(worker.config.volumeDir, 'cut30.mp4');
    await makeClip(
      clip,
      ['color=c=0x101840:s=320x180:r=30:d=4', 'color=c=white:s=40x40:r=30:d=4', 'color=c=0x202020:s=50x30:r=30:d=4'],
      // Scene 1 (dark blue): square jumps at 0.5, 1.0. Cut at 1.5 to a bright yellow scene with
      // another object that jumps at 2.0 and 2.7.
      "[0:v][1:v]overlay=x='if(lt(t,0.5),30,if(lt(t,1),90,150))':y=60:eval=frame[a];" +
        "[a]drawbox=x=0:y=0:w=iw:h=ih:color=0xf0e070:t=fill:enable='gte(t,1.5)'[b];" +
        "[b][2:v]overlay=x='if(lt(t,2),40,if(lt(t,2.7),140,220))':y=100:eval=frame:enable='gte(t,1.5)'[v]",
    );
    const truth = [0.5, 1.0, 2.0, 2.7];
    const { out } = await score('cut30.mp4', truth, 30, { prompt: 'impact' });
    expect(out.events).toBe(truth.length);
  });

  it('a still video: no events, no transients, a quiet bed', async () => {
    const clip = join(worker.config.volumeDir, 'still.mp4');
    await makeClip(clip, ['color=c=0x506070:s=320x180:r=25:d=5'], '[0:v]drawbox=x=100:y=50:w=60:h=60:color=0xa09080:t=fill[v]');
    for (const prompt of ['footsteps', '']) {
      const out = outputOf(await worker.run({ video_path: 'still.mp4', prompt, seed: 4, output_format: 'wav' }));
      expect(out.events).toBe(0);
      const audio = await decodeAudioMono(out.audio_path as string);
      expect(detectAudioOnsets(audio, 48_000, { riseDb: 6, floorDb: -70 })).toEqual([]);
      let peak = 0;
      for (const v of audio) peak = Math.max(peak, Math.abs(v));
      // A bed, not silence, and far below full scale.
      expect(peak).toBeGreaterThan(1e-4);
      expect(peak).toBeLessThan(0.1);
    }
  });
});
