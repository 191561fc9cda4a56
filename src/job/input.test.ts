import { describe, expect, it } from 'vitest';
import { isWorkerError } from '../errors.js';
import { parseJobInput } from './input.js';

function rejection(raw: unknown): { code: string; message: string; fields: string[] } {
  try {
    parseJobInput(raw);
  } catch (e) {
    if (!isWorkerError(e)) throw e;
    const issues = (e.details as { issues: Array<{ field: string }> }).issues;
    return { code: e.code, message: e.message, fields: issues.map((i) => i.field) };
  }
  throw new Error(`accepted: ${JSON.stringify(raw)}`);
}

const ok = { video_path: 'clip.mp4' };

describe('job payload', () => {
  it('fills the documented defaults', () => {
    expect(parseJobInput(ok)).toEqual({
      task: 'foley',
      video_path: 'clip.mp4',
      prompt: '',
      negative_prompt: '',
      engine: 'auto',
      vision: true,
      pose: 'auto',
      audio_mode: 'replace',
      output_format: 'mp4',
      delivery: 'auto',
    });
  });

  it('accepts every field at a valid value', () => {
    const full = {
      task: 'foley', video_base64: 'AAAA', prompt: 'rain', negative_prompt: 'engine', engine: 'procedural',
      seed: 4294967295, duration: 2.5, vision: false, pose: true, audio_mode: 'mix', output_format: 'flac', delivery: 'base64',
    };
    expect(parseJobInput(full)).toEqual(full);
  });

  it.each([
    ['task', { ...ok, task: 'paint' }],
    ['task', { ...ok, task: 7 }],
    ['video_path', {}],
    ['video_base64', { video_path: 'a.mp4', video_base64: 'AAAA' }],
    ['video_path', { video_path: '' }],
    ['video_path', { video_path: 42 }],
    ['video_url', { video_url: ['http://x'] }],
    ['prompt', { ...ok, prompt: 'x'.repeat(2001) }],
    ['prompt', { ...ok, prompt: null }],
    ['negative_prompt', { ...ok, negative_prompt: 'x'.repeat(2001) }],
    ['engine', { ...ok, engine: '' }],
    ['engine', { ...ok, engine: 3 }],
    ['seed', { ...ok, seed: -1 }],
    ['seed', { ...ok, seed: 4294967296 }],
    ['seed', { ...ok, seed: 1.5 }],
    ['seed', { ...ok, seed: '42' }],
    ['duration', { ...ok, duration: 0 }],
    ['duration', { ...ok, duration: -3 }],
    ['duration', { ...ok, duration: 'long' }],
    ['duration', { ...ok, duration: 1e9 }],
    ['audio_mode', { ...ok, audio_mode: 'overlay' }],
    ['output_format', { ...ok, output_format: 'mov' }],
    ['delivery', { ...ok, delivery: 's3' }],
    ['colour', { ...ok, colour: 'red' }],
  ])('rejects a bad %s with INVALID_INPUT naming it', (field, raw) => {
    const r = rejection(raw);
    expect(r.code).toBe('INVALID_INPUT');
    expect(r.fields).toContain(field);
    expect(r.message).toContain(field);
  });

  it.each([null, 'video.mp4', [ok], 3])('rejects a non-object input %j', (raw) => {
    expect(rejection(raw)).toMatchObject({ code: 'INVALID_INPUT', fields: ['input'] });
  });

  it('names every unknown field', () => {
    expect(rejection({ ...ok, foo: 1, bar: 2 }).fields).toEqual(['foo', 'bar']);
  });
});
