/**
 * What a job sees when MMAudio's weights are bad, through the handler from a stand-in Hub: a
 * checkpoint whose pickle names `os.system` is MODEL_UNSAFE (and nothing runs), a truncated one is
 * MODEL_LOAD_FAILED — for a job that named the engine; under `auto` the job falls back to the
 * procedural engine and says why. The worker keeps serving either way.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMmaudioStandIns } from '../../bench/mmaudio-stand-ins.js';
import { warmUpModels } from '../../src/inference/warm-up.js';
import { type FakeHub, startFakeHub } from '../helpers/fake-hub.js';
import { createTestWorker, errorOf, outputOf, type TestWorker } from '../helpers/job.js';

const ENGINE = 'mmaudio-small-16k';
const FIXTURES = new URL('../fixtures/weights/', import.meta.url).pathname;
const hubs: FakeHub[] = [];
const workers: TestWorker[] = [];
let dir: string;
let set: Map<string, Record<string, Uint8Array>>;

/** A worker whose Hub serves the stand-in set with one file replaced. */
async function workerWith(path: string, bytes: Uint8Array): Promise<TestWorker> {
  const repos = [...set].map(([repo, files]) => ({
    repo,
    commit: 'b'.repeat(40),
    files: { ...files, ...(repo === 'hkchengrex/MMAudio' ? { [path]: bytes } : {}) },
  }));
  const hub = await startFakeHub({ repos });
  hubs.push(hub);
  const w = await createTestWorker({ HF_ENDPOINT: hub.url, FOLEY_ENGINE: ENGINE, FOLEY_VISION: 'false' }, 'stand-ins', {
    models: (config) => warmUpModels({ config, log: pino({ level: 'silent' }) }),
  });
  workers.push(w);
  return w;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mmaudio-bad-'));
  const written = await writeMmaudioStandIns({ dir, variant: 'small_16k', size: 'reduced', seed: 3 });
  set = new Map();
  for (const f of written.files) {
    const files = set.get(f.repo) ?? {};
    files[f.path] = await readFile(f.local);
    set.set(f.repo, files);
  }
}, 120_000);

afterAll(async () => {
  for (const h of hubs) await h.close();
  for (const w of workers) await w.close();
  await rm(dir, { recursive: true, force: true });
});

describe('MMAudio with bad weights', () => {
  it('a pickle that names os.system: MODEL_UNSAFE for the named engine, nothing runs; auto falls back; the worker serves on', async () => {
    const w = await workerWith('weights/mmaudio_small_16k.pth', await readFile(join(FIXTURES, 'hostile-os-system.pt')));
    const named = errorOf(await w.run({ task: 'foley', video_path: 'chaplin.mp4', engine: ENGINE, duration: 1, steps: 1 }));
    expect(named.code).toBe('MODEL_UNSAFE');
    expect(named.message).toContain('os.system');
    expect(existsSync(join(process.cwd(), 'PWNED-by-weights-fixture'))).toBe(false);
    const auto = outputOf(await w.run({ task: 'foley', video_path: 'chaplin.mp4', duration: 1, output_format: 'wav' }));
    expect(auto.engine).toBe('procedural');
    expect(String(auto.warnings)).toMatch(/mmaudio-small-16k.*failed to load.*os\.system/);
    const sound = errorOf(await w.run({ task: 'sound', prompt: 'rain', engine: 'mmaudio', duration: 1, steps: 1 }));
    expect(sound.code).toBe('MODEL_UNSAFE');
  }, 180_000);

  it('a truncated checkpoint: MODEL_LOAD_FAILED naming the engine', async () => {
    const w = await workerWith('ext_weights/v1-16.pth', await readFile(join(FIXTURES, 'truncated.pt')));
    const e = errorOf(await w.run({ task: 'sound', prompt: 'rain', engine: 'mmaudio', duration: 1, steps: 1 }));
    expect(e.code).toBe('MODEL_LOAD_FAILED');
    expect(e.message).toMatch(/mmaudio-small-16k/);
  }, 180_000);
});
