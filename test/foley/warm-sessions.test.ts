/**
 * A fresh worker's first Foley job does not pay for loading the senses: the entry point opens the
 * default engines' sessions (the vision models and Silero VAD, FOLEY_VISION on) into the worker's
 * session cache before the first job is taken (src/tasks/warm-sessions.ts), so the first job's
 * `models_load` is near zero (it was ~1.4 s: conversion-cache read and two session threads). A
 * model that does not load at start-up is a warning, and the job goes on as before (the loading
 * failure is its warning, motion alone).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrtRuntime, type OrtRuntime } from '../../src/inference/ort.js';
import { createSessionCache } from '../../src/inference/sessions.js';
import { cpuHardware, cpuInference, type WorkerInference } from '../../src/inference/worker-inference.js';
import { warmDefaultSessions } from '../../src/tasks/warm-sessions.js';
import { createTestWorker, outputOf, type TestWorker } from '../helpers/job.js';
import { binaries } from '../helpers/media.js';
import { captureLog } from '../helpers/models.js';

const job = { duration: 2, seed: 1, output_format: 'wav', delivery: 'path' };
let inference: WorkerInference;
let worker: TestWorker;
/** Sessions opened so far, whoever opened them. */
const opened: string[] = [];
beforeAll(async () => {
  const base = createOrtRuntime({ log: captureLog().log, ep: 'cpu' });
  const runtime: OrtRuntime = {
    provider: base.provider,
    probe: base.probe,
    createSession: (m, o) => {
      opened.push(typeof m === 'string' ? m : 'bytes');
      return base.createSession(m, o);
    },
  };
  worker = await createTestWorker({}, 'stand-ins', {
    inference: () => (inference = { hardware: cpuHardware(), runtime, sessions: createSessionCache({ runtime }) }),
  });
});
afterAll(async () => {
  await inference.sessions.releaseAll();
  await worker.close();
});

describe('sessions warmed before the first job', () => {
  it('the senses are in the cache before any job, and the first job spends no time loading them', async () => {
    expect(inference.sessions.loaded()).toEqual([]);
    const c = captureLog();
    await warmDefaultSessions({ config: worker.config, binaries, inference }, c.log);
    expect(inference.sessions.loaded()).toEqual(['foley:vision', 'foley:vad']);
    expect(c.lines.find((l) => l.msg === 'Foley senses warmed')).toMatchObject({ vision: true, vad: true });
    // The detector, the pose model and Silero.
    expect(opened).toHaveLength(3);

    const out = outputOf(await worker.run({ video_path: 'chaplin.mp4', ...job }));
    expect(out.warnings).toEqual([]);
    const timings = out.timings_ms as Record<string, number>;
    expect(timings.detect_model).toBeGreaterThan(0);
    // Loading both was ~1,400 ms on this CPU; awaiting what is already loaded takes a millisecond or two.
    expect(timings.models_load).toBeLessThan(50);
    // The job opened nothing: it used what start-up had opened.
    expect(opened).toHaveLength(3);
    expect(inference.sessions.loaded()).toEqual(['foley:vision', 'foley:vad']);
  }, 120_000);

  it('a model that fails to load at start-up is a warning; the job then runs on motion alone and says why, as before', async () => {
    const broken = join(worker.root, 'broken-models');
    await mkdir(broken, { recursive: true });
    await writeFile(join(broken, 'centernet.json'), '{"modelTopology": ');
    await writeFile(join(broken, 'movenet-lightning.json'), '{"modelTopology": ');
    let fresh: WorkerInference | undefined;
    const w = await createTestWorker({ VISION_MODELS_DIR: broken, CONVERTED_MODELS_DIR: join(worker.root, 'converted') }, 'stand-ins', {
      inference: (config) => (fresh = cpuInference({ config })),
    });
    try {
      const c = captureLog();
      await warmDefaultSessions({ config: w.config, binaries, inference: fresh! }, c.log);
      expect(c.lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
        'the vision models could not be loaded at start-up: Foley jobs will try again',
      ]);
      expect(fresh!.sessions.loaded()).toEqual(['foley:vad']);
      const out = outputOf(await w.run({ video_path: 'chaplin.mp4', ...job }));
      expect(out.warnings).toEqual([expect.stringMatching(/vision models could not be loaded .*centernet/)]);
      expect(out).not.toHaveProperty('seen');
    } finally {
      await fresh?.sessions.releaseAll();
      await w.close();
    }
  }, 120_000);

  it('the worker itself (dist/handler.js, one local test job): ' +
    'the first Foley job of a fresh process reports no model loading', async () => {
    const cwd = join(worker.root, 'entry');
    await mkdir(cwd, { recursive: true });
    await copyFile(new URL('../../samples/footsteps.mp4', import.meta.url).pathname, join(cwd, 'footsteps.mp4'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNPOD_')));
    const input = JSON.stringify({ input: { video_path: 'footsteps.mp4', ...job } });
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [new URL('../../dist/handler.js', import.meta.url).pathname, '--test_input', input],
      {
        cwd,
        env: { ...env, LOG_LEVEL: 'silent', CONVERTED_MODELS_DIR: join(worker.root, 'converted-entry') },
        timeout: 110_000,
      },
    );
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
      status: string;
      output: { timings_ms: Record<string, number>; warnings: string[] };
    };
    expect(result.status).toBe('COMPLETED');
    expect(result.output.warnings).toEqual([]);
    expect(result.output.timings_ms.detect_model).toBeGreaterThan(0);
    // Converting and opening the senses happened before the job was taken.
    expect(result.output.timings_ms.models_load).toBeLessThan(50);
  }, 120_000);
});
