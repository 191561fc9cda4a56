/**
 * The payload field tables in docs/tasks/*.md cannot drift from the handler's schemas: each is
 * what scripts/doc-fields.mjs renders from `payloadJsonSchema()` (the zod schemas as `/schema.json`
 * serves them). When this fails after a schema change, run `npm run docs` and commit the pages.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { payloadJsonSchema } from '../../src/dispatch/schema.js';
import { TASK_NAMES } from '../../src/tasks/registry.js';
import { begin, end, renderFieldTable, spliceFieldTable, TASK_DOCS } from '../../scripts/doc-fields.mjs';

const ROOT = new URL('../../', import.meta.url);
const schema = payloadJsonSchema() as { $defs: Record<string, { properties: Record<string, unknown> }> };

describe('docs/tasks field tables', () => {
  it('has a page for every task of the registry', () => {
    expect(Object.keys(TASK_DOCS).sort()).toEqual([...TASK_NAMES].sort());
  });

  it.each(Object.entries(TASK_DOCS))('%s: %s holds exactly the table the schema renders (else: npm run docs)', (task, file) => {
    const doc = readFileSync(new URL(file, ROOT), 'utf8');
    expect(doc).toContain(begin(task));
    expect(doc).toContain(end(task));
    expect(spliceFieldTable(doc, schema, task), `${file} is stale: run npm run docs`).toBe(doc);
  });

  it.each(Object.keys(TASK_DOCS))('%s: the table names every field of the schema, with its default', (task) => {
    const table = renderFieldTable(schema, task);
    for (const [name, p] of Object.entries(schema.$defs[task]!.properties) as Array<[string, { default?: unknown }]>) {
      const row = table.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
      expect(row, name).toBeDefined();
      if (p.default !== undefined) expect(row).toContain(`\`${JSON.stringify(p.default)}\``);
    }
  });

  it('renders ranges, closed choices and defaults as the schema gives them', () => {
    const upscale = renderFieldTable(schema, 'upscale');
    expect(upscale).toContain('| `tile` | integer | 32 … 2048 | – |');
    expect(upscale).toContain('| `scale` | `2` \\| `3` \\| `4` \\| `8` | – | `2` |');
    expect(upscale).toContain('| `task` | `"upscale"` | – | required |');
    expect(renderFieldTable(schema, 'foley')).toContain('| `duration` | number | > 0, ≤ 86400 | – |');
  });
});
