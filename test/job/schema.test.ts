/**
 * `/schema.json`: the payload's JSON Schema, made from the handler's own zod schemas. Checked by an
 * independent JSON Schema validator (ajv, draft 2020-12): every example payload of the README and
 * of docs/ (each task's page), test_input.json and .runpod/tests.json is accepted; a shared list
 * of bad payloads gets the same verdict from the schema as from the handler's validation. Served
 * by the local API.
 */
import { readdirSync, readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJobInput } from '../../src/dispatch/input.js';
import { payloadJsonSchema } from '../../src/dispatch/schema.js';
import type { Handler } from '../../src/runtime/types.js';
import { startLocalApi, type StartedApi } from '../helpers/local-api.js';

const ROOT = new URL('../../', import.meta.url);
const read = (p: string): string => readFileSync(new URL(p, ROOT), 'utf8');

/** The README and every markdown page under docs/, as paths from the repository root. */
function docPages(): string[] {
  const docs = (readdirSync(new URL('docs/', ROOT), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs.sort()];
}

/** Every `{"input": …}` in the json code blocks of the README and docs/ (a block may hold one per line). */
function readmeInputs(): unknown[] {
  const out: unknown[] = [];
  for (const m of docPages()
    .map(read)
    .join('\n')
    .matchAll(/```json\n([\s\S]*?)```/g)) {
    const block = (m[1] as string).trim();
    const candidates = (() => {
      try {
        return [JSON.parse(block) as unknown];
      } catch {
        return block.split('\n').flatMap((l) => {
          try {
            return [JSON.parse(l) as unknown];
          } catch {
            return [];
          }
        });
      }
    })();
    for (const c of candidates)
      if (c && typeof c === 'object' && 'input' in c && !('status' in c)) out.push((c as { input: unknown }).input);
  }
  return out;
}

const validate = (() => {
  const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
  return ajv.compile(payloadJsonSchema());
})();

const zodAccepts = (p: unknown): boolean => {
  try {
    parseJobInput(p);
    return true;
  } catch {
    return false;
  }
};

describe('payload JSON Schema', () => {
  const examples = [
    ...readmeInputs(),
    (JSON.parse(read('test_input.json')) as { input: unknown }).input,
    ...(JSON.parse(read('.runpod/tests.json')) as { tests: Array<{ input: unknown }> }).tests.map((t) => t.input),
  ];

  it('accepts every example payload of the README and docs/, test_input.json and tests.json (and the handler does too)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
    // One example per task at least, in the README and on each task's page.
    const tasks = readmeInputs().map((p) => (p as { task?: string }).task ?? 'foley');
    for (const t of ['foley', 'upscale', 'interpolate', 'animate', 'sound'])
      expect(tasks.filter((x) => x === t).length, t).toBeGreaterThanOrEqual(2);
    for (const p of examples) {
      expect(zodAccepts(p), JSON.stringify(p)).toBe(true);
      expect(validate(p), `${JSON.stringify(p)}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it.each([
    ['an unknown field', { video_path: 'a.mp4', bogus: 1 }],
    ['a wrong type', { video_path: 1 }],
    ['no source', { prompt: 'rain' }],
    ['two sources', { video_path: 'a.mp4', video_url: 'https://example.com/a.mp4' }],
    ['a seed out of range', { video_path: 'a.mp4', seed: -1 }],
    ['a fractional seed', { video_path: 'a.mp4', seed: 1.5 }],
    ['an unknown output format', { video_path: 'a.mp4', output_format: 'avi' }],
    ['an unknown task', { task: 'dance', video_path: 'a.mp4' }],
    ['an upscale scale it has not', { task: 'upscale', video_path: 'a.mp4', scale: 5 }],
    ['animate without audio', { task: 'animate', image_path: 'still.png' }],
    ['animate with two images', { task: 'animate', image_path: 'a.png', image_url: 'https://example.com/b.png', audio_path: 'tone.m4a' }],
    ['a valid Foley payload', { video_path: 'a.mp4', prompt: 'rain', seed: 3 }],
    ['a valid interpolate payload', { task: 'interpolate', video_path: 'a.mp4', factor: 2 }],
    // Foley's source is one of six: a video or (learned engines) a still.
    ['a Foley still', { image_path: 'still.png', prompt: 'waves' }],
    ['a Foley video and a still', { video_path: 'a.mp4', image_path: 'still.png' }],
    ['a Foley still twice', { image_path: 'still.png', image_url: 'https://example.com/b.png' }],
    ['a valid sound payload', { task: 'sound', prompt: 'rain', duration: 10, steps: 10, cfg_strength: 3 }],
    ['sound with a video', { task: 'sound', prompt: 'rain', video_path: 'a.mp4' }],
    ['sound as MP4', { task: 'sound', prompt: 'rain', output_format: 'mp4' }],
    ['steps out of range', { video_path: 'a.mp4', steps: 101 }],
    ['a negative cfg_strength', { task: 'sound', prompt: 'rain', cfg_strength: -1 }],
  ] as const)('%s: the schema and the handler agree', (_name, payload) => {
    expect(validate(payload), JSON.stringify(validate.errors)).toBe(zodAccepts(payload));
  });
});

describe('the source rules', () => {
  it("Foley's source is one oneOf over video_* and image_*; sound has none", () => {
    const defs = (payloadJsonSchema() as { $defs: Record<string, { allOf?: unknown[] }> }).$defs;
    const six = ['video_url', 'video_base64', 'video_path', 'image_url', 'image_base64', 'image_path'];
    expect(defs.foley!.allOf).toEqual([{ oneOf: six.map((f) => ({ required: [f] })) }]);
    expect(defs.sound!.allOf).toBeUndefined();
    expect(validate({ image_path: 'still.png' })).toBe(true);
    expect(validate({ video_path: 'a.mp4', image_path: 'still.png' })).toBe(false);
    expect(validate({ task: 'sound', prompt: 'rain' })).toBe(true);
  });
});

describe('GET /schema.json on the local API', () => {
  let api: StartedApi;
  const noop: Handler = async () => ({});
  beforeAll(async () => {
    api = await startLocalApi(noop, { payloadSchema: payloadJsonSchema });
  });
  afterAll(() => api.stop());

  it('serves the schema, one definition per task with descriptions and defaults', async () => {
    const res = await fetch(`${api.url}/schema.json`);
    expect(res.status).toBe(200);
    const schema = (await res.json()) as {
      $defs: Record<string, { properties: Record<string, { description?: string; default?: unknown }> }>;
    };
    expect(Object.keys(schema.$defs).sort()).toEqual(['animate', 'foley', 'interpolate', 'sound', 'upscale']);
    expect(schema.$defs.foley!.properties.prompt!.description).toMatch(/preset/);
    expect(schema.$defs.foley!.properties.output_format!.default).toBe('mp4');
    expect((await fetch(`${api.url}/v2/any/schema.json`)).status).toBe(200);
  });
});
