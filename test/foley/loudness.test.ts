/**
 * Loudness and true peak, as ffmpeg's own EBU R128 meter (`ebur128=peak=true`) reads them: the
 * engine's own meter agrees with it, and outputs of several presets and clips sit at
 * −16 LUFS ±1 with true peak ≤ −1 dBTP; a still video stays a quiet bed, far under the target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { measureLoudness } from '../../src/pipelines/foley/dsp/wasm.js';
import { truePeakOf } from '../../src/pipelines/foley/dsp/true-peak.js';
import { createTestWorker, outputOf, type TestWorker } from '../helpers/job.js';
import { LOUDNESS_CLIPS, makeLavfiClip } from '../../bench/clips.js';
import { binaries, decodeAudioStereo, ebur128 } from '../helpers/media.js';

const run = promisify(execFile);
let worker: TestWorker;
let shared: TestWorker;
beforeAll(async () => {
  shared = await createTestWorker();
  worker = await createTestWorker({}, 'temp');
  // A square that jumps every 0.4 s and drifts (steady action, like a busy shot); a still frame.
  await makeLavfiClip(binaries().ffmpeg, join(worker.config.volumeDir, 'action.mp4'), LOUDNESS_CLIPS.action);
  await makeLavfiClip(binaries().ffmpeg, join(worker.config.volumeDir, 'still.mp4'), LOUDNESS_CLIPS.still);
});
afterAll(async () => {
  await worker.close();
  await shared.close();
});

describe("the engine's BS.1770 meter matches ffmpeg ebur128", () => {
  it.each([
    ['gated sine bursts', "aevalsrc='0.5*sin(2*PI*997*t)*lt(mod(t,2),0.5)|0.25*sin(2*PI*440*t)*lt(mod(t,3),1)':s=48000:d=12"],
    ['pink noise', 'anoisesrc=c=pink:a=0.3:d=8:r=48000:seed=3,aformat=channel_layouts=stereo'],
    ['dense hits', "aevalsrc='0.8*sin(2*PI*120*t)*exp(-30*mod(t,0.25))|0.6*sin(2*PI*3000*t)*exp(-60*mod(t,0.4))':s=48000:d=6"],
  ])('%s', async (_name, graph) => {
    const file = join(worker.root, `meter-${_name.replace(/\W+/g, '-')}.wav`);
    await run(binaries().ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', graph, '-c:a', 'pcm_f32le', file]);
    const [l, r] = await decodeAudioStereo(file);
    const lufs = measureLoudness(l, r);
    const ref = await ebur128(file);
    expect(Math.abs(lufs - ref.integrated)).toBeLessThan(0.15);
    expect(Math.abs(20 * Math.log10(truePeakOf(l, r)) - ref.truePeak)).toBeLessThan(0.3);
  });
});

it('true peak of a tone near Nyquist: the 4× estimate finds the peak between samples', async () => {
  // 0.7 × sin at 11025 Hz: samples never reach the crest, the true peak is 20·log10(0.7) = −3.10 dB.
  // (ffmpeg 4's ebur128 reads −2.7 here: its resampler overshoots near Nyquist.)
  const n = 48_000;
  const x = Float32Array.from({ length: n }, (_, i) => 0.7 * Math.sin((2 * Math.PI * 11025 * i) / 48_000 + 0.7));
  let sample = 0;
  for (const v of x) sample = Math.max(sample, Math.abs(v));
  expect(Math.abs(20 * Math.log10(truePeakOf(x)) - 20 * Math.log10(0.7))).toBeLessThan(0.1);
  expect(truePeakOf(x)).toBeGreaterThan(sample);
});

describe('engine output: −16 LUFS ±1, true peak ≤ −1 dBTP (ffmpeg ebur128)', () => {
  it.each([
    ['action.mp4', 'footsteps'],
    ['action.mp4', 'impact'],
    ['action.mp4', 'metal'],
    ['action.mp4', 'rain'],
    ['action.mp4', 'wind'],
    ['action.mp4', 'water'],
    ['action.mp4', 'engine'],
    ['action.mp4', 'leaves rustle'],
    ['action.mp4', 'fire'],
    ['action.mp4', 'birds'],
    ['action.mp4', 'dogs'],
    ['action.mp4', 'crowd'],
    ['action.mp4', 'glass'],
    ['action.mp4', 'door'],
    ['action.mp4', 'cloth'],
    ['action.mp4', ''],
  ])('%s with %j', async (clip, prompt) => {
    const out = outputOf(await worker.run({ video_path: clip, prompt, seed: 8, output_format: 'wav' }));
    const m = await ebur128(out.audio_path as string);
    expect(m.integrated).toBeGreaterThanOrEqual(-17);
    expect(m.integrated).toBeLessThanOrEqual(-15);
    expect(m.truePeak).toBeLessThanOrEqual(-1);
  });

  it.each([
    ['chaplin.mp4', 'footsteps', 'wav'],
    ['chaplin.mp4', 'engine', 'wav'],
    ['chaplin.mp4', 'impact', 'mp4'],
    ['big_buck_bunny_0_30.webm', 'wind', 'mp4'],
  ])('real footage: %s with %j as %s (MP4: measured after AAC)', async (clip, prompt, format) => {
    const out = outputOf(await shared.run({ video_path: clip, prompt, seed: 8, output_format: format, duration: 10 }));
    const m = await ebur128((out.audio_path ?? out.video_path) as string);
    expect(m.integrated).toBeGreaterThanOrEqual(-17);
    expect(m.integrated).toBeLessThanOrEqual(-15);
    expect(m.truePeak).toBeLessThanOrEqual(-1);
  });

  it('a still video stays a quiet bed: far under the target, not normalised up', async () => {
    for (const prompt of ['footsteps', 'impact', '']) {
      const out = outputOf(await worker.run({ video_path: 'still.mp4', prompt, seed: 8, output_format: 'wav' }));
      const m = await ebur128(out.audio_path as string);
      expect(m.integrated).toBeLessThanOrEqual(-30);
      expect(m.integrated).toBeGreaterThan(-60);
    }
  });
});
