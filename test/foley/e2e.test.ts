/**
 * End to end through the real Foley handler, real ffmpeg, on clips with different codecs, frame
 * rates and time bases: the generated stand-ins for ../shared/media everywhere, and the codec
 * cases again on the real clips where ../shared is beside the repo.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createTestWorker, outputOf, type TestWorker } from '../helpers/job.js';
import { HAS_SHARED_MEDIA, probeStreams, videoTiming } from '../helpers/media.js';

let worker: TestWorker;
let real: TestWorker | undefined;
beforeAll(async () => {
  worker = await createTestWorker();
  if (HAS_SHARED_MEDIA) real = await createTestWorker({}, 'shared');
});
afterAll(async () => {
  await worker.close();
  await real?.close();
});

// codec, frame rate, why it is here
const CLIPS = [
  ['chaplin.mp4', 'h264', 'H.264 at 25 fps with an MP3 track'],
  ['fire2.mp4', 'h264', 'H.264 with a 90 kHz time base and a variable frame rate'],
  ['no_duration.webm', 'vp9', 'VP9 at 15000/1001 fps in a WebM without a duration'],
  ['transparent.webm', 'vp9', 'VP9 with alpha at 30 fps'],
] as const;

async function copiedUntouched(on: TestWorker, clip: string, codec: string): Promise<void> {
  const id = `e2e-${clip}`;
  const result = await on.run({ video_path: clip, prompt: 'footsteps', seed: 7 }, { id });
  const out = outputOf(result);
  expect(out).toMatchObject({ mime: 'video/mp4', engine: 'procedural', preset: 'footsteps', seed: 7, warnings: [] });
  const file = out.video_path as string;
  expect(file).toBe(join(on.config.outputDir, `${id}.mp4`));

  const [input, output] = await Promise.all([probeStreams(join(on.config.volumeDir, clip)), probeStreams(file)]);
  const vin = input.find((s) => s.codec_type === 'video');
  const vout = output.filter((s) => s.codec_type === 'video');
  const aout = output.filter((s) => s.codec_type === 'audio');
  expect(vout).toHaveLength(1);
  expect(aout).toHaveLength(1);
  expect(vout[0]).toMatchObject({ codec_name: codec, width: vin?.width, height: vin?.height });
  expect(Number(vout[0]?.nb_read_packets)).toBe(Number(vin?.nb_read_packets));
  expect(aout[0]).toMatchObject({ codec_name: 'aac', sample_rate: '48000', channels: 2 });

  // The video ends when its last frame has been shown: last pts + that frame's duration.
  const { end, frameInterval } = await videoTiming(file);
  expect(Math.abs(Number(aout[0]?.duration) - end)).toBeLessThanOrEqual(frameInterval);
  expect(Math.abs((out.duration as number) - end)).toBeLessThanOrEqual(frameInterval);
  expect(out.bytes).toBeGreaterThan(0);
  expect(Object.keys(out.timings_ms as object)).toEqual(expect.arrayContaining(['probe', 'analysis', 'synthesis', 'mux', 'total']));
  expect(result.progress).toContainEqual({ stage: 'synthesis', percent: 100 });
}

describe('a silent or sounding video in, the same video with a new track out', () => {
  it.each(CLIPS)('%s (%s): video copied untouched, one audio track as long as the video', async (clip, codec) =>
    copiedUntouched(worker, clip, codec),
  );
  it.skipIf(!HAS_SHARED_MEDIA).each(CLIPS)('real ../shared/media %s (%s): the same', async (clip, codec) =>
    copiedUntouched(real as TestWorker, clip, codec),
  );

  it('re-encodes VP8 (which MP4 cannot hold) to H.264 with every frame kept, and says so', async () => {
    const out = outputOf(await worker.run({ video_path: 'big_buck_bunny_0_30.webm', duration: 4, seed: 1 }));
    expect(out.warnings).toEqual([expect.stringContaining('re-encoded to H.264')]);
    const streams = await probeStreams(out.video_path as string);
    expect(streams.map((s) => s.codec_name)).toEqual(['h264', 'aac']);
    // 4 s at 24 fps
    expect(Number(streams[0]?.nb_read_packets)).toBe(96);
    expect(Math.abs(Number(streams[1]?.duration) - 4)).toBeLessThan(1 / 24);
  });

  it('trims to `duration` (to the frame stream copy can cut at) and keeps the video stream copied', async () => {
    const out = outputOf(await worker.run({ video_path: 'chaplin.mp4', duration: 2, seed: 1 }));
    const [v, a] = await probeStreams(out.video_path as string);
    expect(v?.codec_name).toBe('h264');
    // 2 s at 25 fps is 50 frames; B-frames may make stream copy keep one or two more.
    expect(Number(v?.nb_read_packets)).toBeGreaterThanOrEqual(50);
    expect(Number(v?.nb_read_packets)).toBeLessThanOrEqual(52);
    // The video ends when its last frame has been shown (last pts + its duration: ffprobe's stream
    // duration can be a frame short of that when B-frames reorder the cut's last frames).
    const { end, frameInterval } = await videoTiming(out.video_path as string);
    expect(Math.abs(Number(a?.duration) - end)).toBeLessThanOrEqual(frameInterval + 1e-9);
    expect(out.duration).toBeCloseTo(end, 2);
  });

  it.each([
    ['wav', 'audio/wav', 'pcm_s16le'],
    ['flac', 'audio/flac', 'flac'],
    ['m4a', 'audio/mp4', 'aac'],
  ] as const)('writes audio only as %s', async (format, mime, codec) => {
    const out = outputOf(await worker.run({ video_path: 'fire2.mp4', output_format: format, seed: 3 }));
    expect(out).toMatchObject({ mime });
    expect(out.video_path).toBeUndefined();
    const streams = await probeStreams(out.audio_path as string);
    expect(streams).toHaveLength(1);
    expect(streams[0]).toMatchObject({ codec_type: 'audio', codec_name: codec, sample_rate: '48000', channels: 2 });
    expect(Math.abs(Number(streams[0]?.duration) - 2.3798)).toBeLessThan(0.04);
    // A WAV of the new track alone comes straight from the engine; the others go through ffmpeg.
    expect('mux' in (out.timings_ms as object)).toBe(format !== 'wav');
  });

  it('mixes the original track under the new one in mix mode, even one that fails to decode part-way', async () => {
    const out = outputOf(await worker.run({ video_path: 'video_with_failing_audio.mp4', audio_mode: 'mix', seed: 5 }));
    const streams = await probeStreams(out.video_path as string);
    expect(streams.map((s) => s.codec_type)).toEqual(['video', 'audio']);
    expect(Number(streams[0]?.nb_read_packets)).toBe(280);
  });

  it('warns when mix mode finds no original audio', async () => {
    const out = outputOf(await worker.run({ video_path: 'footsteps.mp4', audio_mode: 'mix', seed: 5 }));
    expect(out.warnings).toEqual(['audio_mode "mix": the input has no audio track, so the new track is alone']);
  });

  it('reports progress by stage: analysis then synthesis, each rising to 100', async () => {
    const result = await worker.run({ video_path: 'chaplin.mp4', prompt: 'footsteps', seed: 2, output_format: 'wav' });
    const updates = result.progress as Array<{ stage: string; percent: number }>;
    const analysis = updates.filter((u) => u.stage === 'analysis').map((u) => u.percent);
    const synthesis = updates.filter((u) => u.stage === 'synthesis').map((u) => u.percent);
    expect(analysis.length).toBeGreaterThanOrEqual(3);
    expect(synthesis.length).toBeGreaterThanOrEqual(5);
    for (const xs of [analysis, synthesis]) {
      expect(xs.at(-1)).toBe(100);
      expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    }
    expect(updates.findIndex((u) => u.stage === 'synthesis')).toBeGreaterThan(updates.findLastIndex((u) => u.stage === 'analysis'));
  });

  it('returns base64 when asked, the same bytes as the file it would have written', async () => {
    const asPath = outputOf(await worker.run({ video_path: 'footsteps.mp4', output_format: 'wav', seed: 9 }));
    const asB64 = outputOf(await worker.run({ video_path: 'footsteps.mp4', output_format: 'wav', seed: 9, delivery: 'base64' }));
    const { readFile } = await import('node:fs/promises');
    expect(Buffer.from(asB64.audio_base64 as string, 'base64').equals(await readFile(asPath.audio_path as string))).toBe(true);
    expect(asB64.bytes).toBe(asPath.bytes);
  });
});
