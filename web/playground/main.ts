/**
 * @module The playground page: pick a task, fill the form the worker's schema describes, run the
 * job through `/run`, follow it through `/status`, and show the result beside the original.
 */
import { api, KeyNeeded, RequestRefused, storeKey, TERMINAL, type JobStatus, type WorkerLimits } from './api.js';
import { byId, h } from './dom.js';
import { buildPayload, parseWorkerError, placeIssues, taskForms, type TaskForm, type WorkerErrorBody } from './form-model.js';
import { drawForm, type DrawnForm } from './form-view.js';
import { drawResult } from './result-view.js';

const POLL_MS = 400;
/**
 * The page plays what it gets back, so it asks for the bytes unless the user picks otherwise
 * ("auto" on a local worker means a path on its disk).
 */
const PAGE_DEFAULTS: Record<string, unknown> = { delivery: 'base64' };

const jobForm = byId<HTMLFormElement>('job-form');
const taskPicker = byId('task-picker');
const taskDescription = byId('task-description');
const fieldsBox = byId('fields');
const payloadPreview = byId('payload-json');
const submit = byId<HTMLButtonElement>('submit');
const cancel = byId<HTMLButtonElement>('cancel');
const job = byId('job');
const jobStatus = byId('job-status');
const progress = byId<HTMLProgressElement>('job-progress');
const jobError = byId('job-error');
const result = byId('result');
const keyForm = byId<HTMLFormElement>('key-form');
const keyInput = byId<HTMLInputElement>('key');
const keyNote = byId('key-note');

let forms: TaskForm[] = [];
let drawn: DrawnForm | undefined;
let running: string | undefined;
let limits: WorkerLimits | undefined;

function setStatus(status: string, text: string): void {
  job.dataset.status = status;
  jobStatus.textContent = text;
}

function showError(e: WorkerErrorBody): void {
  const placed = drawn ? placeIssues(drawn.form, e) : { byField: new Map<string, string[]>(), general: [] };
  drawn?.showIssues(placed.byField, e.code);
  jobError.hidden = false;
  // Details other than the fields (already shown at them): ffmpeg's last lines, a limit, a status code.
  const rest = Object.fromEntries(Object.entries(e.details ?? {}).filter(([k]) => k !== 'issues' && k !== 'field'));
  const more = Object.keys(rest).length > 0 ? h('pre', { class: 'details' }, JSON.stringify(rest, null, 2)) : null;
  jobError.replaceChildren(
    h('code', { id: 'error-code' }, e.code),
    ` ${e.message}`,
    e.retryable ? h('span', { class: 'issue' }, 'Sending the same job again may work.') : '',
    ...placed.general.map((g) => h('span', { class: 'issue' }, g)),
    more ?? '',
  );
}

function askForKey(note: string): void {
  keyForm.hidden = false;
  keyNote.textContent = note;
  keyInput.focus();
}

function chooseTask(name: string): void {
  const form = forms.find((f) => f.name === name);
  if (!form) return;
  taskDescription.textContent = form.description;
  drawn = drawForm(fieldsBox, form, PAGE_DEFAULTS, limits?.max_input_bytes);
  drawn.onChange(preview);
  preview();
}

/** The payload as it will be sent (files shown by name: they are read only on submit). */
function preview(): void {
  if (!drawn) return;
  payloadPreview.textContent = JSON.stringify({ input: buildPayload(drawn.form, drawn.values(), drawn.previewSources()) }, null, 2);
}

async function follow(id: string): Promise<JobStatus> {
  for (;;) {
    const s = await api.status(id);
    const p = (s.status === 'IN_PROGRESS' && typeof s.output === 'object' && s.output !== null ? s.output : {}) as {
      stage?: string;
      percent?: number;
    };
    const where = [p.stage, typeof p.percent === 'number' ? `${p.percent} %` : undefined].filter(Boolean).join(' ');
    const secs = ((s.status === 'IN_QUEUE' ? s.delayTime : s.executionTime) / 1000).toFixed(1);
    setStatus(s.status, `${s.status}${where ? ` · ${where}` : ''} · ${secs} s`);
    progress.hidden = typeof p.percent !== 'number';
    if (typeof p.percent === 'number') progress.value = p.percent;
    if (TERMINAL.has(s.status)) return s;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function run(): Promise<void> {
  if (!drawn || running !== undefined) return;
  const form = drawn;
  form.clearIssues();
  jobError.hidden = true;
  result.hidden = true;
  submit.disabled = true;
  progress.hidden = true;
  try {
    setStatus('READING', 'reading the files…');
    const input = buildPayload(form.form, form.values(), await form.sources());
    setStatus('SUBMITTING', 'sending the job…');
    const originals = form.originals();
    const { id } = await api.run(input);
    running = id;
    // On a phone the status sits below the form: bring it into view.
    if (window.matchMedia('(max-width: 50rem)').matches) job.scrollIntoView({ block: 'start' });
    cancel.hidden = false;
    const final = await follow(id);
    setStatus(
      final.status,
      `${final.status} · ${(final.executionTime / 1000).toFixed(1)} s ` +
        `(queued ${(final.delayTime / 1000).toFixed(1)} s) · job ${final.id}`,
    );
    if (final.status === 'COMPLETED') {
      result.hidden = false;
      drawResult(result, final, originals);
    } else {
      showError(
        final.error !== undefined ? parseWorkerError(final.error) : { code: final.status, message: 'the job ended without a result' },
      );
    }
  } catch (e) {
    if (e instanceof KeyNeeded) {
      setStatus('KEY', 'waiting for the API key');
      askForKey('The key was refused: enter this worker’s LOCAL_API_KEY.');
    } else if (e instanceof RequestRefused) {
      setStatus('REFUSED', `refused (HTTP ${e.status})`);
      showError(e.body);
    } else {
      setStatus('ERROR', 'the worker could not be reached');
      showError({ code: 'NETWORK', message: e instanceof Error ? e.message : String(e) });
    }
  } finally {
    running = undefined;
    submit.disabled = false;
    cancel.hidden = true;
  }
}

async function load(): Promise<void> {
  try {
    // The schema draws the form; /health tells the hardware and the limits to warn against.
    const [schema, health] = await Promise.all([
      api.schema(),
      api.health().catch((e: unknown) => (e instanceof KeyNeeded ? Promise.reject(e) : undefined)),
    ]);
    forms = taskForms(schema);
    limits = health?.worker?.limits;
    if (health?.worker) byId('worker').textContent = [health.worker.tier, health.worker.provider].filter(Boolean).join(' · ');
    keyForm.hidden = true;
    jobForm.hidden = false;
    taskPicker.replaceChildren(
      h('legend', {}, 'Task'),
      ...forms.map((f, i) =>
        h('label', { class: 'task' }, h('input', { type: 'radio', name: 'task', value: f.name, checked: i === 0 }), ` ${f.name}`),
      ),
    );
    chooseTask(forms[0]?.name ?? '');
  } catch (e) {
    if (e instanceof KeyNeeded) return askForKey('This worker asks for its LOCAL_API_KEY.');
    setStatus('ERROR', 'the schema could not be loaded');
    showError(e instanceof RequestRefused ? e.body : { code: 'NETWORK', message: e instanceof Error ? e.message : String(e) });
  }
}

taskPicker.addEventListener('change', (ev) => {
  const t = ev.target as HTMLInputElement;
  if (t.name === 'task') chooseTask(t.value);
});
jobForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void run();
});
cancel.addEventListener('click', () => {
  if (running !== undefined) void api.cancel(running).catch(() => undefined);
});
keyForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  storeKey(keyInput.value);
  keyInput.value = '';
  void load();
});
byId('copy-payload').addEventListener('click', () => void navigator.clipboard?.writeText(payloadPreview.textContent ?? ''));
void load();
