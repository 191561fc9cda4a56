/**
 * @module Draws a task's form (from form-model) and reads it back: a picker per source (a file,
 * sent as base64; a URL; or a path on the worker), one control per field with its description,
 * and a slot under each for the worker's error about it.
 */
import {
  base64Size,
  type Field,
  type FieldValues,
  type SourceField,
  type SourceKind,
  type SourceValue,
  type TaskForm,
} from './form-model.js';
import { formatBytes, h } from './dom.js';

/** RunPod's hosted /run body limit, which the local API applies too (10 MB). */
export const RUN_LIMIT_BYTES = 10_000_000;

const ACCEPT: Record<SourceKind, string> = { video: 'video/*', image: 'image/png,image/jpeg,image/webp', audio: 'audio/*' };
const MODE_LABEL = { file: 'File', url: 'URL', path: 'Path on the worker' } as const;

export interface DrawnForm {
  form: TaskForm;
  /** The field values as typed. */
  values(): FieldValues;
  /** Each source as given (a file is read into a data: URI here). */
  sources(): Promise<Partial<Record<SourceKind, SourceValue>>>;
  /** The same without reading the files: each shown by name, for the payload preview. */
  previewSources(): Partial<Record<SourceKind, SourceValue>>;
  /** What to show as the original next to the result. */
  originals(): Array<{ kind: SourceKind; src: string | undefined; note: string }>;
  /** Bytes the chosen files add to the request as base64. */
  base64Bytes(): number;
  showIssues(byField: Map<string, string[]>, code: string): void;
  clearIssues(): void;
  onChange(listener: () => void): void;
}

const errorSlot = (name: string): HTMLParagraphElement =>
  h('p', { class: 'field-error', id: `err-${name}`, 'data-error-for': name, hidden: true });

function drawField(f: Field, initial: string): { el: HTMLElement; input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement } {
  const id = `f-${f.name}`;
  const help = f.description ? h('p', { class: 'help', id: `help-${f.name}` }, f.description) : null;
  const describedBy = [help ? `help-${f.name}` : '', `err-${f.name}`].filter(Boolean).join(' ');
  let input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  if (f.control === 'choice' || f.control === 'boolean') {
    const def = 'default' in f ? ` (${String(f.default)})` : '';
    input = h(
      'select',
      { id, name: f.name, 'aria-describedby': describedBy },
      h('option', { value: '' }, `default${def}`),
      ...f.choices.map((c, i) => h('option', { value: String(i) }, c.label)),
    );
  } else if (f.control === 'textarea') {
    input = h('textarea', {
      id,
      name: f.name,
      rows: '2',
      'aria-describedby': describedBy,
      placeholder: f.default ? String(f.default) : undefined,
    });
  } else {
    const numeric = f.control === 'integer' || f.control === 'number';
    input = h('input', {
      id,
      name: f.name,
      type: numeric ? 'number' : 'text',
      inputmode: f.control === 'integer' ? 'numeric' : f.control === 'number' ? 'decimal' : undefined,
      step: f.control === 'integer' ? '1' : f.control === 'number' ? 'any' : undefined,
      placeholder: 'default' in f ? String(f.default) : numeric && f.min !== undefined ? `${f.min}…${f.max ?? ''}` : undefined,
      'aria-describedby': describedBy,
    });
  }
  input.value = initial;
  const el = h('div', { class: 'field', 'data-field': f.name }, h('label', { for: id }, f.name), input, help, errorSlot(f.name));
  return { el, input };
}

interface DrawnSource {
  source: SourceField;
  el: HTMLElement;
  mode(): 'file' | 'url' | 'path';
  file(): File | undefined;
  text(): string;
}

function drawSource(s: SourceField, onChange: () => void): DrawnSource {
  const group = `src-${s.kind}`;
  const radios = (['file', 'url', 'path'] as const).map((m, i) =>
    h('label', { class: 'mode' }, h('input', { type: 'radio', name: `${group}-mode`, value: m, checked: i === 0 }), ` ${MODE_LABEL[m]}`),
  );
  const file = h('input', { type: 'file', id: `${group}-file`, accept: ACCEPT[s.kind], 'aria-describedby': `${group}-size err-${s.kind}` });
  const url = h('input', { type: 'url', id: `${group}-url`, placeholder: 'https://…', hidden: true, 'aria-label': `${s.kind} URL` });
  const path = h('input', {
    type: 'text',
    id: `${group}-path`,
    placeholder: 'a bundled sample or a file on /runpod-volume',
    hidden: true,
    'aria-label': `${s.kind} path`,
  });
  const size = h('p', { class: 'help', id: `${group}-size`, 'aria-live': 'polite' });
  const mode = (): 'file' | 'url' | 'path' =>
    (radios.map((r) => r.querySelector('input')!).find((r) => r.checked)?.value as 'file' | 'url' | 'path') ?? 'file';
  const sync = (): void => {
    const m = mode();
    file.hidden = m !== 'file';
    url.hidden = m !== 'url';
    path.hidden = m !== 'path';
    size.textContent = m === 'file' ? '' : m === 'url' ? (s.descriptions.url ?? '') : (s.descriptions.path ?? '');
    onChange();
  };
  for (const r of radios) r.addEventListener('change', sync);
  for (const el of [file, url, path]) el.addEventListener('input', onChange);
  file.addEventListener('change', onChange);
  const el = h(
    'fieldset',
    { class: 'source', id: group, 'data-field': s.kind },
    h('legend', {}, s.kind),
    h('div', { class: 'modes' }, ...radios),
    file,
    url,
    path,
    size,
    errorSlot(s.kind),
  );
  return { source: s, el, mode, file: () => file.files?.[0], text: () => (mode() === 'url' ? url.value.trim() : path.value.trim()) };
}

function readDataUri(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error(`could not read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

/** A source's payload value: the file's (as `fileValue` gives it) or the text typed; undefined when nothing is given. */
function givenValue(s: DrawnSource, fileValue: string | undefined): SourceValue | undefined {
  const mode = s.mode();
  const value = mode === 'file' ? fileValue : s.text();
  return value ? { mode, value } : undefined;
}

/**
 * Draws `form` into `container` (replacing what was there). `initial` presets fields by name;
 * `maxInputBytes` is the worker's MAX_INPUT_BYTES when it told (a file over it is warned about).
 */
export function drawForm(container: HTMLElement, form: TaskForm, initial: Record<string, unknown> = {}, maxInputBytes?: number): DrawnForm {
  const listeners: Array<() => void> = [];
  const changed = (): void => {
    for (const l of listeners) l();
  };
  const sources = form.sources.map((s) => drawSource(s, changed));
  const fields = form.fields.map((f) => {
    const preset = initial[f.name];
    const index = f.choices.findIndex((c) => c.value === preset);
    const drawn = drawField(f, preset === undefined ? '' : f.choices.length > 0 ? (index >= 0 ? String(index) : '') : String(preset));
    drawn.input.addEventListener('input', changed);
    drawn.input.addEventListener('change', changed);
    return { f, ...drawn };
  });
  container.replaceChildren(...sources.map((s) => s.el), ...fields.map((f) => f.el));
  const objectUrls = new Map<File, string>();
  const objectUrl = (file: File): string => {
    let u = objectUrls.get(file);
    if (!u) {
      u = URL.createObjectURL(file);
      objectUrls.set(file, u);
    }
    return u;
  };

  const drawn: DrawnForm = {
    form,
    values: () => Object.fromEntries(fields.map(({ f, input }) => [f.name, input.value])),
    async sources() {
      const out: Partial<Record<SourceKind, SourceValue>> = {};
      for (const s of sources) {
        const file = s.mode() === 'file' ? s.file() : undefined;
        const value = givenValue(s, file ? await readDataUri(file) : undefined);
        if (value) out[s.source.kind] = value;
      }
      return out;
    },
    previewSources() {
      const out: Partial<Record<SourceKind, SourceValue>> = {};
      for (const s of sources) {
        const file = s.mode() === 'file' ? s.file() : undefined;
        const value = givenValue(s, file ? `<${file.name} as base64>` : undefined);
        if (value) out[s.source.kind] = value;
      }
      return out;
    },
    originals: () =>
      sources.map((s) => {
        const m = s.mode();
        const file = s.file();
        if (m === 'file')
          return { kind: s.source.kind, src: file ? objectUrl(file) : undefined, note: file ? file.name : 'no file chosen' };
        if (m === 'url') return { kind: s.source.kind, src: s.text() || undefined, note: s.text() };
        return { kind: s.source.kind, src: undefined, note: `${s.text()} (on the worker: not shown here)` };
      }),
    base64Bytes: () =>
      sources.reduce((sum, s) => {
        const file = s.mode() === 'file' ? s.file() : undefined;
        return sum + (file ? base64Size(file.size, file.type || 'application/octet-stream') : 0);
      }, 0),
    showIssues(byField, code) {
      drawn.clearIssues();
      let first: HTMLElement | undefined;
      for (const [name, messages] of byField) {
        const slot = container.querySelector<HTMLElement>(`#err-${CSS.escape(name)}`);
        if (!slot) continue;
        slot.hidden = false;
        slot.replaceChildren(h('code', {}, code), ` ${messages.join('; ')}`);
        // The field's control; for a source, the input of the chosen mode (not its radio buttons).
        const control = slot
          .closest('[data-field]')
          ?.querySelector<HTMLElement>('input:not([type="radio"]):not([hidden]), select, textarea');
        control?.setAttribute('aria-invalid', 'true');
        first ??= control ?? undefined;
      }
      first?.focus();
    },
    clearIssues() {
      for (const slot of container.querySelectorAll<HTMLElement>('.field-error')) {
        slot.hidden = true;
        slot.textContent = '';
      }
      for (const c of container.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
    },
    onChange: (l) => void listeners.push(l),
  };
  // The size of the chosen files against the request limit, as soon as they are chosen.
  drawn.onChange(() => {
    for (const s of sources) {
      const sizeNote = s.el.querySelector<HTMLElement>(`#src-${s.source.kind}-size`);
      const file = s.file();
      if (!sizeNote || s.mode() !== 'file') continue;
      sizeNote.classList.remove('warn');
      if (!file) {
        sizeNote.textContent = '';
        continue;
      }
      const total = drawn.base64Bytes();
      const mine = base64Size(file.size, file.type || 'application/octet-stream');
      sizeNote.textContent = `${file.name}: ${formatBytes(file.size)}, ${formatBytes(mine)} as base64`;
      if (maxInputBytes !== undefined && file.size > maxInputBytes) {
        sizeNote.textContent += ` — over this worker's ${formatBytes(maxInputBytes)} input limit (MAX_INPUT_BYTES)`;
        sizeNote.classList.add('warn');
      } else if (total > RUN_LIMIT_BYTES) {
        const runLimit = formatBytes(RUN_LIMIT_BYTES);
        sizeNote.textContent += ` — the request would be over the ${runLimit} limit of /run: give a URL, or a path on the volume`;
        sizeNote.classList.add('warn');
      } else if (total > 0.8 * RUN_LIMIT_BYTES) {
        sizeNote.textContent += ` — close to the ${formatBytes(RUN_LIMIT_BYTES)} limit of /run`;
        sizeNote.classList.add('warn');
      }
    }
  });
  return drawn;
}
