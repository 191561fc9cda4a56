/**
 * .runpod/hub.json against the code: every variable it offers is one the worker reads (a typo
 * there is a setting users change for nothing), the variables a user must know are offered, and
 * each preset sets only offered variables.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const hub = JSON.parse(readFileSync(new URL('../.runpod/hub.json', import.meta.url), 'utf8')) as {
  config: {
    env: Array<{ key: string; input?: { name: string; description: string } }>;
    presets?: Array<{ name: string; defaults: Record<string, unknown> }>;
  };
};
const CONFIG_SOURCE = readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8');
const OPERATIONS = readFileSync(new URL('../docs/operations.md', import.meta.url), 'utf8');

it('offers only variables the worker reads, each described and in docs/operations.md', () => {
  for (const e of hub.config.env) {
    expect(CONFIG_SOURCE, `${e.key} is not read by src/config.ts`).toMatch(new RegExp(`\\b${e.key}\\b`));
    expect(OPERATIONS, `${e.key} is not in docs/operations.md`).toContain(`\`${e.key}\``);
    expect(e.input?.description.length ?? 0).toBeGreaterThan(10);
  }
});

it('offers what a user must know: the bucket, Hub models and token, the provider, the limits', () => {
  const keys = hub.config.env.map((e) => e.key);
  expect(keys).toEqual(
    expect.arrayContaining([
      'BUCKET_ENDPOINT_URL',
      'BUCKET_ACCESS_KEY_ID',
      'BUCKET_SECRET_ACCESS_KEY',
      'MODELS',
      'HF_TOKEN',
      'EXECUTION_PROVIDER',
      'FOLEY_VISION',
      'MAX_DURATION_S',
      'MAX_PIXELS',
      'MAX_INPUT_BYTES',
    ]),
  );
});

it('has a Foley-only preset and a GPU preset, each setting only offered variables', () => {
  const keys = new Set(hub.config.env.map((e) => e.key));
  const presets = hub.config.presets ?? [];
  expect(presets.map((p) => p.name)).toEqual(expect.arrayContaining([expect.stringMatching(/Foley only/), expect.stringMatching(/GPU/)]));
  for (const p of presets) for (const k of Object.keys(p.defaults)) expect(keys.has(k), `${p.name} sets ${k}`).toBe(true);
});
