/**
 * The worker's session cache (src/inference/sessions.ts) on real ORT sessions over generated
 * graphs: a bundle's sessions open in parallel on session threads, concurrent callers share one
 * load, a bundle with one bad model fails whole (the good sessions released, nothing kept) and is
 * tried again by the next caller, `ready` keeps its result with the bundle, a damaged model is
 * reopened once from `reopen`, and a bundle is released as a whole.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerError } from '../../src/errors.js';
import { createOrtRuntime, tensor, type OrtRuntime, type Session, type SessionOptions } from '../../src/inference/ort.js';
import { createSessionCache } from '../../src/inference/sessions.js';
import { cpuInference } from '../../src/inference/worker-inference.js';
import { loadConfig } from '../../src/config.js';
import { mmAddTanh, nearestUpscaler } from '../helpers/onnx-fixtures.js';

const log = pino({ level: 'silent' });
let dir: string;
let mlp: string;
let upscaler: string;
let broken: string;

/** The runtime, counting what it is asked to open and with which options. */
function countingRuntime(): {
  runtime: OrtRuntime;
  opened: Array<{ model: string | Uint8Array; options: SessionOptions | undefined }>;
  released: () => number;
} {
  const base = createOrtRuntime({ log, ep: 'cpu' });
  const opened: Array<{ model: string | Uint8Array; options: SessionOptions | undefined }> = [];
  let releases = 0;
  return {
    opened,
    released: () => releases,
    runtime: {
      provider: base.provider,
      probe: base.probe,
      async createSession(model, options) {
        opened.push({ model, options });
        const s = await base.createSession(model, options);
        return {
          ...s,
          inputNames: s.inputNames,
          outputNames: s.outputNames,
          provider: s.provider,
          run: s.run,
          release: () => {
            releases++;
            return s.release();
          },
        } satisfies Session;
      },
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'session-cache-'));
  mlp = join(dir, 'mlp.onnx');
  upscaler = join(dir, 'up2.onnx');
  broken = join(dir, 'broken.onnx');
  await writeFile(mlp, mmAddTanh(2).bytes);
  await writeFile(upscaler, nearestUpscaler(2));
  await writeFile(broken, 'not an onnx graph');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('bundles', () => {
  it('opens the named sessions in parallel on session threads, once for concurrent callers, and keeps `ready`’s result', async () => {
    const { runtime, opened } = countingRuntime();
    const cache = createSessionCache({ runtime });
    let readies = 0;
    const spec = {
      sessions: { mlp: { model: mlp }, up: { model: async () => upscaler, options: { intraOpNumThreads: 1 } } },
      ready: async (s: Readonly<Record<'mlp' | 'up', Session>>) => {
        readies++;
        return s.up.inputNames.join();
      },
    };
    const [a, b] = await Promise.all([cache.bundle('pair', spec), cache.bundle('pair', spec)]);
    expect(a).toBe(b);
    expect([opened.length, readies]).toEqual([2, 1]);
    expect(opened.map((o) => o.options)).toEqual([{ thread: true }, { thread: true, intraOpNumThreads: 1 }]);
    expect(a.info).toBe('input');
    expect(a.loadMs).toBeGreaterThan(0);
    expect(cache.has('pair')).toBe(true);
    const { output } = await a.sessions.up.run({ input: tensor('float32', Float32Array.of(0.25, 0.5, 0.75), [1, 3, 1, 1]) });
    expect(Array.from(output!.data as Float32Array)).toEqual([0.25, 0.25, 0.25, 0.25, 0.5, 0.5, 0.5, 0.5, 0.75, 0.75, 0.75, 0.75]);
    await cache.releaseAll();
    expect(cache.loaded()).toEqual([]);
  });

  it('one session that does not open fails the bundle: the others are released, nothing is kept, the next call tries again', async () => {
    const { runtime, opened, released } = countingRuntime();
    const cache = createSessionCache({ runtime });
    const spec = {
      sessions: { good: { model: mlp }, bad: { model: broken } },
      loadError: (name: string, e: unknown) => new WorkerError('MODEL_LOAD_FAILED', `${name}: ${(e as Error).message}`),
    };
    await expect(cache.bundle('mixed', spec)).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      message: expect.stringMatching(/^bad: could not load ONNX model/),
    });
    expect(released()).toBe(1);
    expect(cache.loaded()).toEqual([]);
    await expect(cache.bundle('mixed', spec)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    expect(opened).toHaveLength(4);
  });

  it('`ready` failing releases the sessions; `reopen` gets one more source after a failed open', async () => {
    const { runtime, released } = countingRuntime();
    const cache = createSessionCache({ runtime });
    await expect(
      cache.bundle('refused', {
        sessions: { mlp: { model: mlp } },
        ready: () => {
          throw new WorkerError('MODEL_LOAD_FAILED', 'not the model we wanted');
        },
      }),
    ).rejects.toMatchObject({ message: 'not the model we wanted' });
    expect(released()).toBe(1);
    expect(cache.has('refused')).toBe(false);

    const reopened: unknown[] = [];
    const b = await cache.bundle('repaired', {
      sessions: {
        mlp: {
          model: broken,
          reopen: async (e) => {
            reopened.push(e);
            return mlp;
          },
        },
      },
    });
    expect(reopened).toEqual([expect.objectContaining({ code: 'MODEL_LOAD_FAILED' })]);
    expect(b.sessions.mlp.inputNames).toEqual(['x']);
    await cache.release('repaired');
    expect(released()).toBe(2);
    expect(cache.loaded()).toEqual([]);
  });

  it('sessions that ask for the main thread, or the CPU, get them', async () => {
    const { runtime, opened } = countingRuntime();
    const cache = createSessionCache({ runtime });
    const b = await cache.bundle('main', { sessions: { mlp: { model: mlp, options: { thread: false, cpuOnly: true } } } });
    expect(opened[0]!.options).toEqual({ thread: false, cpuOnly: true });
    expect(b.sessions.mlp.provider).toBe('cpu');
    await cache.releaseAll();
  });

  it('without warm-up: a CPU description and a working cache, without models from the volume', async () => {
    const config = loadConfig({ VOLUME_DIR: dir, WORK_DIR: dir, PATH: process.env.PATH ?? '' }, [], dir);
    const inference = cpuInference({ config });
    expect(inference.hardware).toMatchObject({ tier: 'cpu', gpus: [] });
    expect(inference.hardware.cpuCores).toBeGreaterThan(0);
    const b = await inference.sessions.bundle('mlp', { sessions: { mlp: { model: mlp } } });
    expect(b.sessions.mlp.provider).toBe('cpu');
    expect(() => inference.sessions.get('acme/mlp', 'model.onnx')).toThrow(expect.objectContaining({ code: 'MODEL_NOT_AVAILABLE' }));
    await inference.sessions.releaseAll();
  });
});
