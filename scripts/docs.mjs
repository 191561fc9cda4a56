// `npm run docs`: rewrites the payload field tables in docs/tasks/*.md from the built worker's
// JSON Schema (dist/src/dispatch/schema.js, so run after `npm run build`, which the npm script does).
// test/docs/fields.test.ts fails when a committed table differs from what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { payloadJsonSchema } from '../dist/src/dispatch/schema.js';
import { spliceFieldTable, TASK_DOCS } from './doc-fields.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = payloadJsonSchema();
for (const [task, file] of Object.entries(TASK_DOCS)) {
  const path = join(root, file);
  const before = readFileSync(path, 'utf8');
  const after = spliceFieldTable(before, schema, task);
  if (after !== before) writeFileSync(path, after);
  console.log(`${file}: ${after === before ? 'up to date' : 'table rewritten'}`);
}
