/**
 * @module The playground's form, as data: what `/schema.json` (made from the handler's own zod
 * schemas) says each task takes becomes a list of fields, and the values a user entered become a
 * payload. No DOM here, so the mapping is tested in Node; the page only draws it. Only what the
 * schema says is used: a field added to a task's zod schema appears on the page by itself.
 */

/** The part of JSON Schema that `/schema.json` uses for a field. */
export interface JsonSchemaProp {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchemaProp[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
}

export interface PayloadSchema {
  $defs: Record<
    string,
    {
      title?: string;
      description?: string;
      properties?: Record<string, JsonSchemaProp>;
      required?: string[];
      /** `oneOf` per source group: exactly one field of the group (Foley's video_* or image_*). */
      allOf?: { oneOf?: { required?: string[] }[] }[];
    }
  >;
}

export type SourceKind = 'video' | 'image' | 'audio';
export type SourceMode = 'file' | 'url' | 'path';
export const SOURCE_MODES: readonly SourceMode[] = ['file', 'url', 'path'];
const MODE_FIELD: Record<SourceMode, string> = { file: 'base64', url: 'url', path: 'path' };

/** A task's `<kind>_url` / `<kind>_base64` / `<kind>_path`: one picker on the page. */
export interface SourceField {
  kind: SourceKind;
  /** The payload field each mode fills. */
  fields: Record<SourceMode, string>;
  descriptions: Partial<Record<SourceMode, string>>;
  /** Another kind this one stands in for (Foley's still instead of its video): only one of the two is sent. */
  insteadOf?: SourceKind;
}

export interface Choice {
  label: string;
  value: unknown;
}

export interface Field {
  name: string;
  description: string;
  /** `choice`: a select of `choices`; `boolean`: a select of default/true/false (a checkbox cannot say "default"). */
  control: 'text' | 'textarea' | 'integer' | 'number' | 'boolean' | 'choice';
  choices: Choice[];
  default?: unknown;
  min?: number;
  max?: number;
}

export interface TaskForm {
  name: string;
  title: string;
  description: string;
  sources: SourceField[];
  fields: Field[];
}

const KINDS: readonly SourceKind[] = ['video', 'image', 'audio'];

/** The values a prop can take when they are a closed list (enum, or anyOf of consts), else undefined. */
function closedValues(p: JsonSchemaProp): unknown[] | undefined {
  if (p.enum) return p.enum;
  if ('const' in p) return [p.const];
  if (p.anyOf) {
    const values: unknown[] = [];
    for (const alt of p.anyOf) {
      if ('const' in alt) values.push(alt.const);
      else if (alt.type === 'boolean') values.push(true, false);
      else if (alt.enum) values.push(...alt.enum);
      else return undefined;
    }
    return values;
  }
  return undefined;
}

function toField(name: string, p: JsonSchemaProp): Field {
  const base = { name, description: p.description ?? '', choices: [] as Choice[], ...('default' in p ? { default: p.default } : {}) };
  const values = closedValues(p);
  if (values) return { ...base, control: 'choice', choices: values.map((v) => ({ label: String(v), value: v })) };
  if (p.type === 'boolean') return { ...base, control: 'boolean', choices: [true, false].map((v) => ({ label: String(v), value: v })) };
  if (p.type === 'integer' || p.type === 'number') {
    const min = p.minimum ?? p.exclusiveMinimum;
    return { ...base, control: p.type, ...(min !== undefined ? { min } : {}), ...(p.maximum !== undefined ? { max: p.maximum } : {}) };
  }
  // Long free text (a prompt) gets room to write.
  return { ...base, control: (p.maxLength ?? 0) >= 1000 ? 'textarea' : 'text' };
}

/** One form per task in the schema, in the schema's order. */
export function taskForms(schema: PayloadSchema): TaskForm[] {
  return Object.entries(schema.$defs).map(([name, def]) => {
    const props = def.properties ?? {};
    const sources: SourceField[] = [];
    const taken = new Set<string>(['task']);
    for (const kind of KINDS) {
      const fields = Object.fromEntries(SOURCE_MODES.map((m) => [m, `${kind}_${MODE_FIELD[m]}`])) as Record<SourceMode, string>;
      if (!SOURCE_MODES.every((m) => fields[m] in props)) continue;
      const descriptions: Partial<Record<SourceMode, string>> = {};
      for (const m of SOURCE_MODES) {
        taken.add(fields[m]);
        const d = props[fields[m]]?.description;
        if (d !== undefined) descriptions[m] = d;
      }
      // A kind in one `oneOf` with an earlier kind is its alternative (the payload takes one of them).
      const group = (def.allOf ?? []).find((g) => g.oneOf?.some((o) => o.required?.includes(fields.path)));
      const first = sources.find((x) => group?.oneOf?.some((o) => o.required?.includes(x.fields.path)));
      sources.push({ kind, fields, descriptions, ...(first ? { insteadOf: first.kind } : {}) });
    }
    const fields = Object.entries(props)
      .filter(([key]) => !taken.has(key))
      .map(([key, p]) => toField(key, p));
    return { name, title: def.title ?? name, description: def.description ?? '', sources, fields };
  });
}

/** What the user entered for one field: the raw text of an input, or the index of a choice ('' = default). */
export type FieldValues = Record<string, string>;

/** What the user gave for one source: the mode, and the text (URL, path) or the file's data: URI. */
export interface SourceValue {
  mode: SourceMode;
  value: string;
}

/**
 * The payload (`input`) from the form: only what the user set, so the worker's own defaults apply
 * to the rest and the payload stays the one a backend would write. A number field that does not
 * read as a number is sent as typed, for the worker to refuse with its coded error.
 */
export function buildPayload(
  form: TaskForm,
  values: FieldValues,
  sources: Partial<Record<SourceKind, SourceValue>>,
  fixed: Record<string, unknown> = {},
): Record<string, unknown> {
  const input: Record<string, unknown> = { task: form.name };
  for (const s of form.sources) {
    const given = sources[s.kind];
    // The first of two alternatives that is given is sent, not both.
    const other = s.insteadOf ? sources[s.insteadOf] : undefined;
    if (other && other.value !== '') continue;
    if (given && given.value !== '') input[s.fields[given.mode]] = given.value;
  }
  for (const f of form.fields) {
    const raw = values[f.name] ?? '';
    if (raw === '') continue;
    if (f.control === 'choice' || f.control === 'boolean') {
      const choice = f.choices[Number(raw)];
      if (choice) input[f.name] = choice.value;
    } else if (f.control === 'integer' || f.control === 'number') {
      const n = Number(raw);
      input[f.name] = raw.trim() !== '' && Number.isFinite(n) ? n : raw;
    } else {
      input[f.name] = raw;
    }
  }
  return { ...input, ...fixed };
}

/** A coded error from the worker: a failed job's `error`, or a refused request's. */
export interface WorkerErrorBody {
  code: string;
  message: string;
  /** `issues`: INVALID_INPUT's list; `field`: the one field any other error is about (a source, `model`, `scale`…). */
  details?: { issues?: Array<{ field: string; message: string }>; field?: unknown } & Record<string, unknown>;
  retryable?: boolean;
}

/** The worker's error string (`{"error": "<JSON>"}` or a job's `error`) as a coded error; plain text becomes `code: "ERROR"`. */
export function parseWorkerError(text: string): WorkerErrorBody {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null && typeof (body as WorkerErrorBody).code === 'string') return body as WorkerErrorBody;
  } catch {
    // not JSON: a plain message
  }
  return { code: 'ERROR', message: text };
}

/**
 * Which field each issue belongs to on the page: a source field is shown at its picker (by kind),
 * any other known field at itself; the rest (the body, a nested field the form has no control for)
 * is shown with the form. An error that is not INVALID_INPUT but names its `field` (a file not
 * found, a model not available, a scale too large) is placed the same way.
 */
export function placeIssues(form: TaskForm, error: WorkerErrorBody): { byField: Map<string, string[]>; general: string[] } {
  const byField = new Map<string, string[]>();
  const general: string[] = [];
  const sourceOf = new Map<string, string>();
  for (const s of form.sources) for (const m of SOURCE_MODES) sourceOf.set(s.fields[m], s.kind);
  const names = new Set(form.fields.map((f) => f.name));
  const field = error.details?.field;
  const issues = error.details?.issues ?? (typeof field === 'string' ? [{ field, message: error.message }] : []);
  for (const issue of issues) {
    const top = issue.field.split('.')[0] ?? issue.field;
    const slot = sourceOf.get(top) ?? (names.has(top) ? top : undefined);
    if (slot === undefined) {
      general.push(`${issue.field}: ${issue.message}`);
      continue;
    }
    byField.set(slot, [...(byField.get(slot) ?? []), issue.message]);
  }
  return { byField, general };
}

/** Bytes a file becomes as a base64 data: URI (what a `*_base64` field carries). */
export function base64Size(bytes: number, mime: string): number {
  return `data:${mime};base64,`.length + Math.ceil(bytes / 3) * 4;
}

/** Replaces long base64 strings (a result's media) with a note of their size, for showing JSON. */
export function elideBase64(value: unknown): unknown {
  if (typeof value === 'string')
    return value.length > 200 && /^(data:[^,]*,)?[A-Za-z0-9+/=\s]+$/.test(value.slice(0, 4096))
      ? `<base64, ${value.length} characters>`
      : value;
  if (Array.isArray(value)) return value.map(elideBase64);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, elideBase64(v)]));
  return value;
}
