/**
 * Every environment variable `src/config.ts` reads, and every flag it parses, is documented in
 * docs/operations.md. The variable names are the keys of config.ts's env schema, taken from the
 * module itself as it loads (the schema is not exported: `z.object` is wrapped to see the shapes
 * it is given, and the env schema is the one holding VOLUME_DIR); the flags are the options
 * `loadConfig` hands to `parseArgs`. Nothing here reads config.ts as text.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it, vi } from 'vitest';

const seen = vi.hoisted(() => ({ shapes: [] as Array<Record<string, unknown>>, flags: [] as string[] }));

vi.mock('zod', async (importOriginal) => {
  const zod = await importOriginal<typeof import('zod')>();
  const object = ((shape: Record<string, unknown>, ...rest: unknown[]) => {
    seen.shapes.push(shape);
    return (zod.z.object as (...a: unknown[]) => unknown)(shape, ...rest);
  }) as typeof zod.z.object;
  return { ...zod, z: { ...zod.z, object } };
});

vi.mock('node:util', async (importOriginal) => {
  const util = await importOriginal<typeof import('node:util')>();
  const parseArgs = ((config: { options?: Record<string, unknown> }) => {
    seen.flags.push(...Object.keys(config.options ?? {}));
    return util.parseArgs(config as Parameters<typeof util.parseArgs>[0]);
  }) as typeof util.parseArgs;
  return { ...util, parseArgs };
});

const OPERATIONS = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
let variables: string[] = [];

beforeAll(async () => {
  const { loadConfig } = await import('../../src/config.js');
  loadConfig({}, [], '/tmp');
  variables = Object.keys(seen.shapes.find((s) => 'VOLUME_DIR' in s && 'MODELS' in s) ?? {});
});

describe('docs/operations.md documents the configuration', () => {
  it("found config.ts's env schema and flags", () => {
    expect(variables.length).toBeGreaterThan(40);
    expect(variables).toEqual(
      expect.arrayContaining(['VOLUME_DIR', 'MAX_PIXELS', 'BUCKET_ENDPOINT_URL', 'RUNPOD_WEBHOOK_GET_JOB', 'HF_TOKEN', 'FOLEY_VISION']),
    );
    expect(seen.flags).toEqual(expect.arrayContaining(['test_input', 'rp_serve_api', 'self-test']));
  });

  it('names every environment variable config.ts reads', () => {
    const missing = variables.filter((v) => !OPERATIONS.includes(`\`${v}\``));
    expect(missing, 'add these to the table in docs/operations.md').toEqual([]);
  });

  it('names every command-line flag', () => {
    const missing = [...new Set(seen.flags)].filter((f) => !OPERATIONS.includes(`\`--${f}`));
    expect(missing, 'add these to "Flags" in docs/operations.md').toEqual([]);
  });
});
