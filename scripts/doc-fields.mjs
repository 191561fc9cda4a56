// Renders each task's payload field table for the docs from the payload's JSON Schema (the one
// `GET /schema.json` serves, made from the handler's zod schemas), and splices the tables into
// the docs between their markers. Pure functions: `npm run docs` (scripts/docs.mjs) writes the
// files; test/docs/fields.test.ts fails when a committed table differs from what this renders.

/** The docs file that holds each task's table, relative to the repository root. */
export const TASK_DOCS = {
  foley: 'docs/tasks/foley.md',
  upscale: 'docs/tasks/upscale.md',
  interpolate: 'docs/tasks/interpolate.md',
  animate: 'docs/tasks/animate.md',
  sound: 'docs/tasks/sound.md',
};

export const begin = (task) =>
  `<!-- fields:${task} begin: generated from the zod schemas by \`npm run docs\`; edit the schema, not this table -->`;
export const end = (task) => `<!-- fields:${task} end -->`;

const code = (v) => `\`${typeof v === 'string' ? JSON.stringify(v) : String(v)}\``;
const cell = (s) => String(s).replaceAll('|', '\\|').replaceAll('\n', ' ');

function typeOf(p) {
  if (p.const !== undefined) return code(p.const);
  if (p.enum) return p.enum.map(code).join(' | ');
  if (p.anyOf) return p.anyOf.map(typeOf).join(' | ');
  return p.type ?? 'any';
}

function rangeOf(p) {
  const parts = [];
  if (p.exclusiveMinimum !== undefined) parts.push(`> ${p.exclusiveMinimum}`);
  if (p.minimum !== undefined && p.maximum !== undefined) parts.push(`${p.minimum} … ${p.maximum}`);
  else if (p.minimum !== undefined) parts.push(`≥ ${p.minimum}`);
  else if (p.maximum !== undefined) parts.push(`≤ ${p.maximum}`);
  if (p.minLength !== undefined && p.minLength > 0 && p.maxLength !== undefined) parts.push(`${p.minLength} … ${p.maxLength} chars`);
  else if (p.maxLength !== undefined) parts.push(`≤ ${p.maxLength} chars`);
  else if (p.minLength !== undefined && p.minLength > 0) parts.push('not empty');
  return parts.join(', ') || '–';
}

/** The markdown table of one task's payload fields, in the schema's order. */
export function renderFieldTable(schema, task) {
  const def = schema.$defs?.[task];
  if (!def) throw new Error(`no schema for task ${task}`);
  const required = new Set(def.required ?? []);
  const rows = Object.entries(def.properties ?? {}).map(([name, p]) => {
    const dflt = p.default !== undefined ? code(p.default) : required.has(name) ? 'required' : '–';
    return `| \`${name}\` | ${cell(typeOf(p))} | ${cell(rangeOf(p))} | ${cell(dflt)} | ${cell(p.description ?? '')} |`;
  });
  return ['| field | type | range | default | description (from the schema) |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** `doc` with the text between `task`'s markers replaced by its table; throws without markers. */
export function spliceFieldTable(doc, schema, task) {
  const b = doc.indexOf(begin(task));
  const e = doc.indexOf(end(task));
  if (b < 0 || e < b) throw new Error(`${TASK_DOCS[task]}: no ${begin(task)} … ${end(task)} markers`);
  return `${doc.slice(0, b + begin(task).length)}\n${renderFieldTable(schema, task)}\n${doc.slice(e)}`;
}
