/**
 * The playground's form as data, from the real `/schema.json` document: every task gets its
 * sources and fields, and whatever the form builds from a user's entries is a payload the
 * handler's own zod schema accepts (so the page cannot drift from the API).
 */
import { describe, expect, it } from 'vitest';
import { payloadJsonSchema } from '../../src/dispatch/schema.js';
import { TASKS, TASK_NAMES, type TaskName } from '../../src/tasks/registry.js';
import {
  base64Size,
  buildPayload,
  elideBase64,
  parseWorkerError,
  placeIssues,
  taskForms,
  type Field,
  type PayloadSchema,
  type TaskForm,
} from '../../web/playground/form-model.js';

const forms = taskForms(payloadJsonSchema() as PayloadSchema);
const form = (name: string): TaskForm => {
  const f = forms.find((x) => x.name === name);
  if (!f) throw new Error(`no form for ${name}`);
  return f;
};
const field = (f: TaskForm, name: string): Field => {
  const x = f.fields.find((y) => y.name === name);
  if (!x) throw new Error(`no field ${name} on ${f.name}`);
  return x;
};

/** A value the user could enter for a field, as the form holds it (raw text or a choice index). */
function entry(f: Field): string {
  if (f.control === 'choice' || f.control === 'boolean') return String(f.choices.length - 1);
  if (f.control === 'integer') return String(Math.min(f.max ?? Infinity, (f.min ?? 0) + 2));
  if (f.control === 'number') return String(Math.min(f.max ?? 1, Math.max(f.min ?? 0, 0) + 0.5));
  if (f.name === 'engine') return 'auto';
  if (f.name === 'model') return 'auto';
  return 'rain on a tin roof';
}

describe('playground form model', () => {
  it('has one form per task, with its sources', () => {
    expect(forms.map((f) => f.name)).toEqual([...TASK_NAMES]);
    expect(form('foley').sources.map((s) => s.kind)).toEqual(['video', 'image']);
    // A still instead of the video: one of the two is sent.
    expect(form('foley').sources[1]?.insteadOf).toBe('video');
    expect(form('sound').sources).toEqual([]);
    expect(form('animate').sources.map((s) => s.kind)).toEqual(['image', 'audio']);
    expect(form('foley').sources[0]?.fields).toEqual({ file: 'video_base64', url: 'video_url', path: 'video_path' });
    for (const f of forms) expect(f.fields.map((x) => x.name)).not.toContain('task');
  });

  it('draws each field by what the schema says it takes', () => {
    const foley = form('foley');
    expect(field(foley, 'prompt').control).toBe('textarea');
    expect(field(foley, 'seed')).toMatchObject({ control: 'integer', min: 0, max: 4294967295 });
    expect(field(foley, 'pose').choices.map((c) => c.value)).toEqual(['auto', true, false]);
    expect(field(foley, 'vision')).toMatchObject({ control: 'boolean', default: true });
    expect(field(foley, 'output_format').choices.map((c) => c.value)).toEqual(['mp4', 'wav', 'flac', 'm4a']);
    expect(field(form('upscale'), 'scale').choices.map((c) => c.value)).toEqual([2, 3, 4, 8]);
    expect(field(form('upscale'), 'output_format').choices.map((c) => c.value)).toEqual(['mp4']);
    expect(field(form('upscale'), 'denoise')).toMatchObject({ control: 'number', min: 0, max: 1 });
  });

  it('sends only what the user set, typed as the schema says', () => {
    const foley = form('foley');
    const pose = field(foley, 'pose');
    const payload = buildPayload(
      foley,
      { prompt: 'gravel steps', seed: '42', pose: String(pose.choices.findIndex((c) => c.value === true)), duration: '' },
      { video: { mode: 'path', value: 'footsteps.mp4' } },
    );
    expect(payload).toEqual({ task: 'foley', video_path: 'footsteps.mp4', prompt: 'gravel steps', seed: 42, pose: true });
    // What does not read as a number goes as typed, for the worker to refuse with its coded error.
    expect(buildPayload(foley, { seed: '4e' }, {}).seed).toBe('4e');
  });

  it.each(TASK_NAMES.map((t) => [t]))("%s: a payload with every field entered passes the handler's schema", (name) => {
    const f = form(name);
    const values = Object.fromEntries(f.fields.map((x) => [x.name, entry(x)]));
    const sources = Object.fromEntries(f.sources.map((s) => [s.kind, { mode: 'path' as const, value: `sample.${s.kind}` }]));
    const payload = buildPayload(f, values, sources);
    // interpolate takes a factor or an fps, not both (a refinement the schema cannot say): the user picks one.
    if (name === 'interpolate') delete payload.fps;
    const parsed = TASKS[name as TaskName].schema.safeParse(payload);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    const sent = f.sources.filter((s) => s.insteadOf === undefined).length;
    expect(Object.keys(payload).length).toBe(1 + sent + f.fields.length - (name === 'interpolate' ? 1 : 0));
  });

  it('places each issue at its field, a source field at its picker, the rest with the form', () => {
    const error = parseWorkerError(
      JSON.stringify({
        code: 'INVALID_INPUT',
        message: 'invalid input',
        details: {
          issues: [
            { field: 'seed', message: 'must be an integer' },
            { field: 'video_url', message: 'give exactly one' },
            { field: 'video_path', message: 'give exactly one' },
            { field: 'colour', message: 'unknown field' },
          ],
        },
      }),
    );
    const placed = placeIssues(form('foley'), error);
    expect(placed.byField.get('seed')).toEqual(['must be an integer']);
    expect(placed.byField.get('video')).toEqual(['give exactly one', 'give exactly one']);
    expect(placed.general).toEqual(['colour: unknown field']);
    const notFound = placeIssues(form('foley'), {
      code: 'INPUT_NOT_FOUND',
      message: 'video_path: no such file',
      details: { field: 'video_path' },
    });
    expect([...notFound.byField]).toEqual([['video', ['video_path: no such file']]]);
    expect(
      placeIssues(form('upscale'), { code: 'VIDEO_TOO_LARGE', message: 'too large', details: { field: 'scale', limit: 1 } }).byField.get(
        'scale',
      ),
    ).toEqual(['too large']);
    expect(parseWorkerError('missing or wrong Authorization')).toEqual({ code: 'ERROR', message: 'missing or wrong Authorization' });
  });

  it('sizes a file as base64 and elides base64 in shown JSON', () => {
    expect(base64Size(3, 'video/mp4')).toBe('data:video/mp4;base64,'.length + 4);
    expect(base64Size(10, 'video/mp4')).toBe('data:video/mp4;base64,'.length + 16);
    const b64 = Buffer.alloc(3000, 7).toString('base64');
    expect(elideBase64({ output: { video_base64: b64, preset: 'rain', events_at: [1, 2] } })).toEqual({
      output: { video_base64: `<base64, ${b64.length} characters>`, preset: 'rain', events_at: [1, 2] },
    });
  });
});
