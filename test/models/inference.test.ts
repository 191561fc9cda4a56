/**
 * ONNX Runtime on this CPU-only install: the CUDA→CPU fallback, and a model that goes the whole
 * way (fake Hub → volume → registry → memoised session → run) and matches its JS reference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { isWorkerError } from '../../src/errors.js';
import type { Exec } from '../../src/hardware/detect.js';
import { warmUpModels } from '../../src/inference/warm-up.js';
import { createOrtRuntime, tensor, type OrtRuntime } from '../../src/inference/ort.js';
import { createSessionCache } from '../../src/inference/sessions.js';
import { ensureModels } from '../../src/models/ensure.js';
import { ModelRegistry } from '../../src/models/registry.js';
import { engineModels } from '../../src/tasks/registry.js';
import { parseModelsSpec } from '../../src/models/spec.js';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub.js';
import { captureLog, ensureOptions, tempCache } from '../helpers/models.js';
import { mmAddTanh } from '../helpers/onnx-fixtures.js';

const fixture = mmAddTanh(3);
let hub: FakeHub;
let cache: { dir: string; remove(): Promise<void> };

beforeAll(async () => {
  cache = await tempCache();
  hub = await startFakeHub({
    repos: [
      {
        repo: 'acme/mlp',
        commit: 'aa00000000000000000000000000000000000003',
        files: {
          'onnx/model.onnx': fixture.bytes,
          'onnx/broken.onnx': Buffer.from('not an onnx graph at all'),
          'config.json': Buffer.from('{}'),
        },
      },
    ],
    lfsFrom: 100,
  });
});
afterAll(async () => {
  await hub.close();
  await cache.remove();
});

describe('execution provider choice', () => {
  it('cuda requested on a CPU-only onnxruntime-node: sessions run on CPU, one warning for any number of sessions', async () => {
    const c = captureLog();
    const rt = createOrtRuntime({ log: c.log, ep: 'cuda' });
    const a = await rt.createSession(fixture.bytes);
    const b = await rt.createSession(fixture.bytes);
    expect([a.provider, b.provider, rt.provider()]).toEqual(['cpu', 'cpu', 'cpu']);
    const warnings = c.lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      msg: 'CUDA execution provider unavailable; ONNX sessions fall back to CPU',
      requested: 'cuda',
      provider: 'cpu',
    });
    await Promise.all([a.release(), b.release()]);
  });

  it('cpu requested: CUDA is never tried and nothing is logged', async () => {
    const c = captureLog();
    const rt = createOrtRuntime({ log: c.log, ep: 'cpu' });
    expect(rt.provider()).toBe('cpu');
    await (await rt.createSession(fixture.bytes)).release();
    expect(c.lines).toEqual([]);
  });

  it('a graph ORT cannot read is MODEL_LOAD_FAILED, not a fallback', async () => {
    const rt = createOrtRuntime({ log: captureLog().log, ep: 'cpu' });
    const e = await rt.createSession(Buffer.from('garbage')).catch((x: unknown) => x);
    expect(isWorkerError(e) && e.code).toBe('MODEL_LOAD_FAILED');
  });
});

describe('sessions from the volume', () => {
  it(
    'a generated graph downloaded from the Hub runs on CPU and matches tanh(x·W+b); ' + 'loads are shared and memoised per commit',
    async () => {
      const o = ensureOptions(cache.dir, hub.url);
      const registry = new ModelRegistry(await ensureModels(parseModelsSpec('acme/mlp:onnx/*'), o));
      const base = createOrtRuntime({ log: o.log, ep: 'auto' });
      let loads = 0;
      const runtime: OrtRuntime = {
        provider: base.provider,
        probe: base.probe,
        createSession: (m, opt) => {
          loads++;
          return base.createSession(m, opt);
        },
      };
      const sessions = createSessionCache({ runtime, registry });

      const [s1, s2] = await Promise.all([sessions.get('acme/mlp', 'onnx/model.onnx'), sessions.get('acme/mlp', 'onnx/model.onnx')]);
      expect(s1).toBe(s2);
      expect(loads).toBe(1);
      expect(sessions.loaded()).toEqual(['acme/mlp@aa00000000000000000000000000000000000003/onnx/model.onnx']);
      expect(s1.inputNames).toEqual(['x']);

      const n = 5;
      const x = Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i) * 2);
      const { y } = await s1.run({ x: tensor('float32', x, [n, 4]) });
      expect(y!.dims).toEqual([n, 3]);
      const ref = fixture.reference(x, n);
      const maxErr = Math.max(...Array.from(y!.data as Float32Array, (v, i) => Math.abs(v - ref[i]!)));
      expect(maxErr).toBeLessThan(1e-5);

      // A failed load is not cached: the next call tries again.
      await expect(sessions.get('acme/mlp', 'onnx/broken.onnx')).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
      await expect(sessions.get('acme/mlp', 'onnx/broken.onnx')).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
      expect(loads).toBe(3);
      expect(sessions.loaded()).toHaveLength(1);

      // Files left out by the globs, and repos not in MODELS, are MODEL_NOT_AVAILABLE.
      expect(() => sessions.get('acme/mlp', 'config.json')).toThrow(expect.objectContaining({ code: 'MODEL_NOT_AVAILABLE' }));
      expect(() => sessions.get('acme/other', 'model.onnx')).toThrow(expect.objectContaining({ code: 'MODEL_NOT_AVAILABLE' }));
      expect(() => registry.forEngine('mmaudio', { mmaudio: ['hkchengrex/MMAudio'] })).toThrow(
        expect.objectContaining({ code: 'MODEL_NOT_AVAILABLE', details: { engine: 'mmaudio', missing: ['hkchengrex/MMAudio'] } }),
      );
      expect(registry.forEngine('procedural', engineModels())).toEqual([]);

      await sessions.releaseAll();
      expect(sessions.loaded()).toEqual([]);
    },
  );
});

describe('warm-up', () => {
  const configFor = (env: Record<string, string>) =>
    loadConfig(
      { VOLUME_DIR: cache.dir, HF_HUB_CACHE: cache.dir, HF_ENDPOINT: hub.url, MODELS: 'acme/mlp:onnx/model.onnx', ...env },
      [],
      cache.dir,
    );
  const gpu: Exec = async () => '0, NVIDIA A10G, 23028, 535.1\n';
  const noGpu: Exec = () => Promise.reject(new Error('spawn nvidia-smi ENOENT'));

  it('a GPU whose CUDA provider cannot load: sessions on CPU, tier cpu, described for /health', async () => {
    const c = captureLog();
    const w = await warmUpModels({ config: configFor({}), log: c.log, exec: gpu });
    expect(w.describe()).toMatchObject({
      tier: 'cpu',
      provider: 'cpu',
      gpus: [{ name: 'NVIDIA A10G', vram_gb: 24.1 }],
      models: [{ repo: 'acme/mlp', files: 1, commit: 'aa00000000000000000000000000000000000003' }],
    });
    expect(c.lines.filter((l) => l.msg === 'CUDA execution provider unavailable; ONNX sessions fall back to CPU')).toHaveLength(1);
    const s = await w.sessions.get('acme/mlp', 'onnx/model.onnx');
    expect(s.provider).toBe('cpu');
    await w.sessions.releaseAll();
  });

  it('no GPU and EXECUTION_PROVIDER=auto: CUDA is not tried at all', async () => {
    const c = captureLog();
    const w = await warmUpModels({ config: configFor({}), log: c.log, exec: noGpu });
    expect(w.describe()).toMatchObject({ tier: 'cpu', provider: 'cpu', gpus: [] });
    expect(c.lines.some((l) => String(l.msg).includes('CUDA'))).toBe(false);
    expect(c.lines.find((l) => l.msg === 'models ready')).toMatchObject({ models: [{ repo: 'acme/mlp', source: 'warm' }] });
  });
});
