/**
 * Foley jobs that see and listen, end to end through the real handler: the converted vision
 * models on opencv-doc's street scene, Silero on espeak-ng speech, and the ways they are turned
 * off or fail. What is checked is what a user reads in the result: the preset an empty prompt
 * gets from what is seen (an explicit prompt still wins; people walking past in numbers are
 * footsteps, the same people standing still a crowd), `seen`, `speech`, `steps_from`,
 * `events_at`, the models' timings, and warnings instead of failures.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLavfiClip } from '../../bench/clips.js';
import { createTestWorker, outputOf, type TestWorker } from '../helpers/job.js';
import { binaries } from '../helpers/media.js';

const run = promisify(execFile);
const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const HUMAN_MODELS = new URL('../../node_modules/@vladmandic/human/models/', import.meta.url).pathname;

let worker: TestWorker;
let volume: string;
beforeAll(async () => {
  worker = await createTestWorker({}, 'temp');
  volume = worker.config.volumeDir;
  const { ffmpeg } = binaries();
  // 8 s of the street: people walking, a parked car.
  await run(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-i',
    VTEST,
    '-t',
    '8',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    join(volume, 'street.mp4'),
  ]);
  // 6 s with nobody in it: a test pattern and a box that jumps (the Foley bench's pattern).
  await makeLavfiClip(ffmpeg, join(volume, 'nobody.mp4'), {
    inputs: ['testsrc2=s=640x360:r=24:d=6', 'color=c=white:s=60x60:r=24:d=6'],
    filter: "[0:v][1:v]overlay=x='50+75*mod(floor(2*t),7)':y=250:eval=frame[v]",
  });
  // The street with espeak-ng speech from 2 s, silence elsewhere.
  const speech = join(worker.root, 'speech.wav');
  await run('espeak-ng', ['-w', speech, 'Good morning. The bus leaves from the corner in five minutes.']);
  await run(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-i',
    join(volume, 'street.mp4'),
    '-i',
    speech,
    '-filter_complex',
    '[1:a]aresample=48000,adelay=2000|2000,apad[a]',
    '-map',
    '0:v',
    '-map',
    '[a]',
    '-t',
    '8',
    '-c:v',
    'copy',
    '-c:a',
    'aac',
    join(volume, 'street-speech.mp4'),
  ]);
}, 120_000);
afterAll(() => worker.close());

const wav = { output_format: 'wav', delivery: 'path', seed: 3 };

describe('a Foley job that sees', () => {
  it('an empty prompt on a street with people chooses footsteps from what is seen; "rain" still gives rain', async () => {
    const seen = outputOf(await worker.run({ video_path: 'street.mp4', pose: true, ...wav }));
    expect(seen.preset).toBe('footsteps');
    expect(seen.warnings).toEqual([]);
    const spans = seen.seen as Array<{ label: string; score: number; start: number; end: number }>;
    const person = spans.find((s) => s.label === 'person');
    expect(person).toBeDefined();
    expect(person!.score).toBeGreaterThan(0.5);
    expect(person!.start).toBe(0);
    expect(person!.end).toBeGreaterThan(7);
    const timings = seen.timings_ms as Record<string, number>;
    expect(timings.detect_model).toBeGreaterThan(0);
    // A CPU worker's `pose: true`: people walk here, so pose runs for them and steps are heel strikes.
    expect(seen.steps_from).toBe('pose');
    expect(timings.pose_model).toBeGreaterThan(0);
    expect((seen.events_from as string[]).filter((f) => f === 'foot').length).toBeGreaterThanOrEqual(6);
    expect(seen.events_at).toHaveLength(seen.events as number);

    const rain = outputOf(await worker.run({ video_path: 'street.mp4', prompt: 'rain', ...wav }));
    expect(rain.preset).toBe('rain');
  }, 120_000);

  it('pose: true makes steps of heel strikes, at frames of the video, with the pose model timed', async () => {
    const out = outputOf(await worker.run({ video_path: 'street.mp4', pose: true, ...wav }));
    expect(out.steps_from).toBe('pose');
    const at = out.events_at as number[];
    expect(at.length).toBeGreaterThanOrEqual(6);
    // vtest is 10 fps: every event is on a frame.
    for (const t of at) expect(Math.abs(t * 10 - Math.round(t * 10))).toBeLessThan(1e-6);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect((out.timings_ms as Record<string, number>).pose_model).toBeGreaterThan(0);
    const from = out.events_from as string[];
    expect(from).toHaveLength(at.length);
    expect(from.filter((f) => f === 'foot').length).toBeGreaterThanOrEqual(6);
  }, 180_000);

  it('the default payload on a CPU worker makes steps of heel strikes from the feet’s motion, with no pose run', async () => {
    const out = outputOf(await worker.run({ video_path: 'street.mp4', ...wav }));
    expect(out.steps_from).toBe('feet');
    expect(out.preset).toBe('footsteps');
    const at = out.events_at as number[];
    const from = out.events_from as string[];
    expect(from.filter((f) => f === 'foot').length).toBeGreaterThanOrEqual(6);
    for (const t of at) expect(Math.abs(t * 10 - Math.round(t * 10))).toBeLessThan(1e-6);
    expect((out.timings_ms as Record<string, number>).pose_model ?? 0).toBe(0);
    // On a clip without people nothing steps.
    const nobody = outputOf(await worker.run({ video_path: 'nobody.mp4', ...wav }));
    expect(nobody.steps_from).not.toBe('feet');
  }, 120_000);

  it('pose costs nothing where nobody walks: no pose run on a clip without people, even with pose: true on a CPU', async () => {
    const out = outputOf(await worker.run({ video_path: 'nobody.mp4', pose: true, ...wav }));
    const timings = out.timings_ms as Record<string, number>;
    expect(timings.detect_model).toBeGreaterThan(0);
    // pose_model is the time inside pose runs: 0 means the pose session never ran.
    expect(timings.pose_model).toBe(0);
    expect(out.steps_from).not.toBe('pose');
    expect(out.warnings).toEqual([]);
  }, 60_000);

  it('pose: false turns pose off on the street', async () => {
    const out = outputOf(await worker.run({ video_path: 'street.mp4', pose: false, ...wav }));
    expect(out.steps_from).not.toBe('pose');
    expect(out.timings_ms).not.toHaveProperty('pose_model');
  }, 60_000);

  it('vision: false is the motion-only engine: nothing seen or heard, no model time', async () => {
    const out = outputOf(await worker.run({ video_path: 'street-speech.mp4', vision: false, ...wav }));
    expect(out.preset).toBe('neutral');
    expect(out).not.toHaveProperty('seen');
    expect(out).not.toHaveProperty('speech');
    expect(Object.keys(out.timings_ms as object)).not.toContain('detect_model');
    expect(out.warnings).toEqual([]);
  });
});

describe('people in numbers: walking is footsteps, standing is a crowd', () => {
  // vtest.avi 16–26 s: six people at a time on average (7, 5, 6, 6, 7, 4, 5, 6, 7, 7 detected a
  // second), nearly all walking past; the rule before counted heads only and chose a crowd.
  // Its frame at 24 s (seven people) held still for 8 s is the same crowd standing.
  it('an empty prompt on a busy street of walkers chooses footsteps; the same people frozen still, crowd', async () => {
    const { ffmpeg } = binaries();
    const enc = ['-an', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];
    await run(ffmpeg, ['-v', 'error', '-y', '-ss', '16', '-t', '10', '-i', VTEST, ...enc, join(volume, 'busy.mp4')]);
    await run(ffmpeg, [
      ...['-v', 'error', '-y', '-ss', '24', '-i', VTEST],
      ...['-vf', 'trim=end_frame=1,loop=loop=-1:size=1,fps=10', '-t', '8', ...enc, join(volume, 'standing.mp4')],
    ]);
    const walking = outputOf(await worker.run({ video_path: 'busy.mp4', ...wav }));
    expect(walking.preset).toBe('footsteps');
    expect(walking.preset_from).toBe('seen');
    const standing = outputOf(await worker.run({ video_path: 'standing.mp4', ...wav }));
    expect(standing.preset).toBe('crowd');
    expect(standing.preset_from).toBe('seen');
  }, 120_000);
});

describe('prompts read as words', () => {
  it('a sound the engine has no preset for is named in a warning, never a silent neutral', async () => {
    const out = outputOf(await worker.run({ video_path: 'street.mp4', prompt: 'a police siren, people walking', vision: false, ...wav }));
    expect(out.preset).toBe('footsteps');
    expect(out.preset_from).toBe('prompt');
    expect(out.warnings).toEqual([expect.stringMatching(/no preset for \(siren\): footsteps plays instead/)]);
    const negated = outputOf(await worker.run({ video_path: 'street.mp4', prompt: 'no footsteps, just rain', ...wav }));
    expect(negated.preset).toBe('rain');
  }, 60_000);
});

describe('a Foley job that listens', () => {
  it('reports the speech spans; replace warns that the speech is lost, mix keeps it without a warning', async () => {
    const replaced = outputOf(await worker.run({ video_path: 'street-speech.mp4', ...wav }));
    const spans = replaced.speech as Array<[number, number]>;
    expect(spans.length).toBeGreaterThanOrEqual(1);
    expect(spans[0]![0]).toBeGreaterThan(1.8);
    expect(spans[0]![0]).toBeLessThan(2.3);
    expect(spans.at(-1)![1]).toBeLessThan(6.5);
    expect(replaced.warnings).toEqual([expect.stringContaining('speech')]);
    expect((replaced.timings_ms as Record<string, number>).speech_model).toBeGreaterThan(0);

    const mixed = outputOf(await worker.run({ video_path: 'street-speech.mp4', audio_mode: 'mix', ...wav }));
    expect(mixed.speech).toEqual(spans);
    expect(mixed.warnings).toEqual([]);
  }, 120_000);
});

describe('models that cannot be loaded', () => {
  it('a vision model file that fails to load: the job completes on motion alone, with a warning', async () => {
    const broken = join(worker.root, 'broken-models');
    await mkdir(broken, { recursive: true });
    await writeFile(join(broken, 'centernet.json'), '{"modelTopology": ');
    await copyFile(join(HUMAN_MODELS, 'movenet-lightning.json'), join(broken, 'movenet-lightning.json'));
    await copyFile(join(HUMAN_MODELS, 'movenet-lightning.bin'), join(broken, 'movenet-lightning.bin'));
    const w = await createTestWorker({ VISION_MODELS_DIR: broken, CONVERTED_MODELS_DIR: join(worker.root, 'converted') }, 'temp');
    try {
      await copyFile(join(volume, 'street.mp4'), join(w.config.volumeDir, 'street.mp4'));
      const out = outputOf(await w.run({ video_path: 'street.mp4', ...wav }));
      expect(out.warnings).toEqual([expect.stringMatching(/vision models could not be loaded .*centernet/)]);
      expect(out).not.toHaveProperty('seen');
      expect(out.preset).toBe('neutral');
      expect(out.events).toBe((out.events_at as number[]).length);
    } finally {
      await w.close();
    }
  }, 120_000);
});
