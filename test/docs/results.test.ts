/**
 * Every field a task's result carries is documented: in the "Result" table of the task's page
 * (docs/tasks/<task>.md) or in docs/api.md's (the fields every task shares). One small job per
 * task runs through the real handler on the bundled samples, and every key of its output must be
 * a documented name; the fields that appear only in some runs (a URL delivery, an audio format,
 * the RIFE engine, a preset that changes by scene), which these runs do not produce, are listed
 * below and checked the same way. What the fields mean is not checked, only that they are named.
 *
 * `sound` has no small job here: it runs only on a learned engine, and this worker has no learned
 * weights (the job is checked to fail for that reason). Its page, and Foley's, are checked against
 * the fields the MMAudio render and the pictureless task return, listed below from the code; the
 * keys of real MMAudio results are checked against both pages in test/foley/mmaudio-e2e.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_NAMES } from '../../src/tasks/registry.js';
import { documentedResultFields } from '../helpers/docs.js';
import { createTestWorker, errorOf, outputOf, type TestWorker } from '../helpers/job.js';

const COMMON = documentedResultFields('docs/api.md');

/** Each task's small job, and the fields only other runs of it carry. */
const CASES = {
  foley: {
    input: { video_path: 'footsteps.mp4', prompt: 'footsteps', seed: 1, duration: 2, delivery: 'path' },
    sometimes: [
      'video_url',
      'video_base64',
      'audio_url',
      'audio_base64',
      'audio_path',
      'url_expires_at',
      'preset_timeline',
      'seen',
      'speech',
    ],
  },
  upscale: {
    input: { task: 'upscale', video_path: 'footsteps.mp4', model: 'esrgan-slim', scale: 2, duration: 0.08, delivery: 'path' },
    sometimes: ['video_url', 'video_base64', 'url_expires_at'],
  },
  interpolate: {
    input: { task: 'interpolate', video_path: 'footsteps.mp4', model: 'ffmpeg', factor: 2, duration: 0.5, delivery: 'path' },
    sometimes: ['video_url', 'video_base64', 'url_expires_at', 'provider', 'batch', 'model_runs'],
  },
  animate: {
    input: { task: 'animate', image_path: 'still.png', audio_path: 'tone.m4a', width: 160, height: 90, fps: 10, delivery: 'path' },
    sometimes: ['video_url', 'video_base64', 'url_expires_at'],
  },
} as const;

/** Tasks only a learned engine runs: no job on this worker. */
const LEARNED_ONLY = ['sound'] as const;

/**
 * A learned (MMAudio) result's own fields: `renderMmaudio`'s (src/pipelines/foley/engines/mmaudio/render.ts;
 * `cfg_batched` only after an out-of-memory fallback), the engine's `licence` (mmaudio/index.ts), and
 * `engine` and `loudness` added by the task (src/tasks/foley/pictureless.ts, task.ts).
 */
const MMAUDIO_FIELDS = [
  'engine',
  'variant',
  'mode',
  'seed',
  'steps',
  'cfg_strength',
  'windows',
  'sample_rate',
  'provider',
  'cfg_batched',
  'licence',
  'loudness',
];

let worker: TestWorker;
beforeAll(async () => {
  worker = await createTestWorker({ FOLEY_VISION: 'false' }, 'temp');
});
afterAll(() => worker?.close());

describe('every result field is documented', () => {
  it('api.md documents the shared fields', () => {
    for (const f of [
      'video_url',
      'video_base64',
      'video_path',
      'audio_url',
      'audio_base64',
      'audio_path',
      'url_expires_at',
      'mime',
      'bytes',
      'duration',
      'timings_ms',
      'metadata',
      'warnings',
    ]) {
      expect(COMMON.has(f), f).toBe(true);
    }
  });

  it.each(Object.entries(CASES))('%s: every field of a real result, and of other runs, is in its page or api.md', async (task, c) => {
    const documented = new Set([...COMMON, ...documentedResultFields(`docs/tasks/${task}.md`)]);
    const out = outputOf(await worker.run(c.input));
    const fields = [...Object.keys(out), ...c.sometimes];
    expect(
      fields.filter((f) => !documented.has(f)),
      `add to the "Result" table of docs/tasks/${task}.md`,
    ).toEqual([]);
  });

  it('every task of the registry has a case here or runs only on a learned engine', () => {
    expect([...Object.keys(CASES), ...LEARNED_ONLY].sort()).toEqual([...TASK_NAMES].sort());
  });

  it('sound: cannot run on this worker (no learned engine), so its page is checked against the code’s list', async () => {
    expect(errorOf(await worker.run({ task: 'sound', prompt: 'rain', duration: 1 })).code).toBe('ENGINE_NOT_AVAILABLE');
    for (const page of ['docs/tasks/sound.md', 'docs/tasks/foley.md']) {
      const documented = new Set([...COMMON, ...documentedResultFields(page)]);
      expect(
        [...MMAUDIO_FIELDS, 'audio_path', 'audio_url', 'audio_base64', 'url_expires_at'].filter((f) => !documented.has(f)),
        `add to the "Result" table of ${page}`,
      ).toEqual([]);
    }
  });
});
