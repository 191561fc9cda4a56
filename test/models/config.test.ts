/** The models part of loadConfig: defaults, derived paths, flags, and coded errors for bad values. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { isWorkerError } from '../../src/errors.js';

const load = (env: Record<string, string>, argv: string[] = []) => loadConfig({ VOLUME_DIR: '/vol', ...env }, argv, '/work');

describe('models configuration', () => {
  it('defaults: the cache under the volume where RunPod caches models, the public Hub, no token, nothing to load', () => {
    const c = load({});
    expect(c.models).toMatchObject({
      hubCache: '/vol/huggingface-cache/hub',
      endpoint: 'https://huggingface.co',
      token: undefined,
      offline: false,
      specs: [],
      lockStaleMs: 60_000,
      concurrency: 4,
      executionProvider: 'auto',
    });
    expect(c.flags['download-models']).toBe(false);
  });

  it('reads HF_* like huggingface_hub, MODELS, the knobs, and the two flags', () => {
    const c = load(
      {
        HF_HUB_CACHE: 'cache',
        HF_ENDPOINT: 'http://127.0.0.1:9/',
        HF_TOKEN: 'hf_abc',
        HF_HUB_OFFLINE: '1',
        MODELS: 'a/b@v1:*.onnx',
        MODELS_LOCK_STALE_S: '2.5',
        EXECUTION_PROVIDER: 'cuda',
      },
      ['--download-models', '--verify-models'],
    );
    expect(c.models).toMatchObject({
      hubCache: '/work/cache',
      endpoint: 'http://127.0.0.1:9',
      token: 'hf_abc',
      offline: true,
      lockStaleMs: 2500,
      executionProvider: 'cuda',
    });
    expect(c.models.specs).toEqual([{ repo: 'a/b', revision: 'v1', globs: ['*.onnx'] }]);
    expect(c.flags).toMatchObject({ 'download-models': true, 'verify-models': true });
  });

  it.each([{ MODELS: 'not-a-repo' }, { HF_TOKEN: 'abc' }, { HF_ENDPOINT: 'nope' }, { EXECUTION_PROVIDER: 'tpu' }])(
    'rejects %j as CONFIG_INVALID without echoing a token',
    (env) => {
      let err: unknown;
      try {
        load(env);
      } catch (e) {
        err = e;
      }
      expect(isWorkerError(err) && err.code).toBe('CONFIG_INVALID');
      expect((err as Error).message).not.toContain('abc');
    },
  );
});
