import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config.js';
import { isWorkerError } from '../../../errors.js';
import { parseModelsSpec } from '../../../models/spec.js';
import { binaries } from '../../../../test/helpers/media.js';
import { modelsWith, sineEngine } from '../../../../test/helpers/sine-engine.js';
import type { EngineDeps } from './engine.js';
import { FOLEY_ENGINES } from './index.js';
import { proceduralEngine } from './procedural/index.js';
import { checkEngineModels, chooseEngine, loadChoice, LoadedEngines } from './select.js';

const config = loadConfig({ PATH: process.env.PATH ?? '' }, [], '/tmp');
const ready: EngineDeps = { config, binaries, models: modelsWith(['acme/sine-weights']) };
const bare: EngineDeps = { config, binaries, models: modelsWith([]) };

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

describe('chooseEngine', () => {
  it('auto takes the first engine of the list that is available', () => {
    const sine = sineEngine();
    expect(chooseEngine('auto', [sine, proceduralEngine], ready)).toEqual({ engine: sine, skipped: [] });
  });

  it('auto passes over an engine whose models are not ready, with the reason, and takes the next', () => {
    const sine = sineEngine();
    const choice = chooseEngine('auto', [sine, proceduralEngine], bare);
    expect(choice.engine).toBe(proceduralEngine);
    expect(choice.skipped).toEqual([{ name: 'sine', reason: expect.stringContaining('acme/sine-weights') }]);
    expect(choice.skipped[0]?.reason).toMatch(/add to MODELS/);
    // Without the warm-up's models at all, the reason says so.
    expect(chooseEngine('auto', [sine, proceduralEngine], { config, binaries }).skipped[0]?.reason).toMatch(/did not load at start-up/);
  });

  it('a named engine that is not available is ENGINE_NOT_AVAILABLE with its reason and what is available', () => {
    const err = thrown(() => chooseEngine('sine', [sineEngine(), proceduralEngine], bare));
    expect(isWorkerError(err) && err.code).toBe('ENGINE_NOT_AVAILABLE');
    expect((err as Error).message).toMatch(
      /^engine: "sine" is not available: engine "sine" needs acme\/sine-weights.*; available: auto, procedural$/,
    );
    expect((err as { details: unknown }).details).toEqual({
      field: 'engine',
      available: ['auto', 'procedural'],
      engine: 'sine',
      reason: expect.stringContaining('acme/sine-weights'),
    });
  });

  it('auto tries FOLEY_ENGINE first; "mmaudio" means the configured network, else the best one', () => {
    const sine = sineEngine();
    const wanting = (engine: string): EngineDeps => ({ ...ready, config: loadConfig({ PATH: '', FOLEY_ENGINE: engine }, [], '/tmp') });
    expect(chooseEngine('auto', [proceduralEngine, sine], wanting('procedural')).engine).toBe(proceduralEngine);
    expect(chooseEngine('auto', [proceduralEngine, sine], ready).engine).toBe(proceduralEngine);
    const small = thrown(() => chooseEngine('mmaudio', FOLEY_ENGINES, wanting('mmaudio-small-16k')));
    expect((small as Error).message).toMatch(
      /^engine: "mmaudio-small-16k" is not available: .*hkchengrex\/MMAudio\/weights\/mmaudio_small_16k\.pth/,
    );
    const best = thrown(() => chooseEngine('mmaudio', FOLEY_ENGINES, bare));
    expect((best as Error).message).toMatch(/^engine: "mmaudio-large-44k-v2" is not available/);
  });

  it('an unknown name is ENGINE_NOT_AVAILABLE naming the available engines, as before', () => {
    const err = thrown(() => chooseEngine('audiogen', FOLEY_ENGINES, bare));
    expect(err).toMatchObject({
      code: 'ENGINE_NOT_AVAILABLE',
      message: 'engine: "audiogen" is not available; available: auto, procedural',
      details: { field: 'engine', available: ['auto', 'procedural'] },
    });
    expect(chooseEngine('procedural', FOLEY_ENGINES, bare).engine).toBe(proceduralEngine);
  });

  it('auto with nothing available says why each engine was passed over', () => {
    const err = thrown(() => chooseEngine('auto', [sineEngine()], bare));
    expect(err).toMatchObject({
      code: 'ENGINE_NOT_AVAILABLE',
      details: { field: 'engine', available: [], unavailable: { sine: expect.stringContaining('acme/sine-weights') } },
    });
  });
});

describe('checkEngineModels (at start-up)', () => {
  it('is silent when every declared repo is in MODELS and ready', () => {
    expect(
      checkEngineModels([sineEngine(), proceduralEngine], {
        specs: parseModelsSpec('acme/sine-weights'),
        registry: ready.models?.registry,
      }),
    ).toEqual([]);
  });

  it('names an engine whose repo is not in MODELS, and one whose repo is listed but not ready', () => {
    expect(
      checkEngineModels([sineEngine(), proceduralEngine], { specs: parseModelsSpec('acme/other'), registry: ready.models?.registry }),
    ).toEqual(['engine "sine" needs acme/sine-weights, not in MODELS: it is unavailable until MODELS lists acme/sine-weights']);
    expect(checkEngineModels([sineEngine()], { specs: parseModelsSpec('acme/sine-weights'), registry: bare.models?.registry })).toEqual([
      'engine "sine" needs acme/sine-weights, listed in MODELS but not ready (warm-up failed?): it is unavailable',
    ]);
    expect(checkEngineModels([sineEngine()], { specs: parseModelsSpec('acme/sine-weights') })).toHaveLength(1);
  });

  it('refuses a declared model that is not a repo id, and two engines of one name (the code is wrong)', () => {
    expect(() => checkEngineModels([sineEngine({ models: ['sine.onnx'] })], { specs: [] })).toThrow(TypeError);
    expect(() => checkEngineModels([sineEngine(), sineEngine()], { specs: [] })).toThrow(/used twice/);
    expect(() => checkEngineModels([sineEngine({ name: 'auto' })], { specs: [] })).toThrow(/reserved/);
  });

  it("holds for the worker's own list", () => {
    expect(checkEngineModels(FOLEY_ENGINES, { specs: [] })).toEqual([]);
  });
});

describe('loading', () => {
  it('loads an engine once for every job, and again after a failed load', async () => {
    const sine = sineEngine();
    const loaded = new LoadedEngines(ready);
    const [a, b] = await Promise.all([loaded.get(sine), loaded.get(sine)]);
    expect(a).toBe(b);
    expect(sine.loads).toBe(1);
    const broken = sineEngine({ name: 'broken', failLoad: new Error('no GPU memory') });
    await expect(loaded.get(broken)).rejects.toThrow('no GPU memory');
    await expect(loaded.get(broken)).rejects.toThrow('no GPU memory');
    expect(broken.loads).toBe(2);
  });

  it('under auto, an engine that fails to load is passed over with the failure as its reason', async () => {
    const broken = sineEngine({ failLoad: new Error('no GPU memory') });
    const engines = [broken, proceduralEngine];
    const loaded = new LoadedEngines(ready);
    const got = await loadChoice(chooseEngine('auto', engines, ready), { auto: true, engines, deps: ready, loaded });
    expect(got.engine).toBe(proceduralEngine);
    expect(got.skipped).toEqual([{ name: 'sine', reason: 'it failed to load (no GPU memory)' }]);
    // Named, the failure is the job's.
    await expect(loadChoice(chooseEngine('sine', engines, ready), { auto: false, engines, deps: ready, loaded })).rejects.toThrow(
      'no GPU memory',
    );
  });
});
