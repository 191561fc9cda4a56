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
      cfg_strength: 4.5,
      vision: true,
      pose: 'auto',
      audio_mode: 'replace',
      output_format: 'mp4',
      delivery: 'auto',
    });
  });

  it('accepts every field at a valid value', () => {
    const full = {
      task: 'foley',
      video_base64: 'AAAA',
      prompt: 'rain',
      negative_prompt: 'engine',
      engine: 'procedural',
      seed: 4294967295,
      steps: 100,
      cfg_strength: 0,
      duration: 2.5,
      vision: false,
      pose: true,
      audio_mode: 'mix',
      output_format: 'flac',
      delivery: 'base64',
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
  // A present field of the wrong type says what it wants; only a missing one "is required".
  const foley = ok;
  const upscale = { task: 'upscale', video_path: 'clip.mp4' };
  const interpolate = { task: 'interpolate', video_path: 'clip.mp4', factor: 2 };
  const animate = { task: 'animate', image_path: 'still.png', audio_path: 'tone.m4a' };
  it.each([
    [foley, 'duration', '5', 'must be a number of seconds > 0'],
    [foley, 'seed', 1.5, 'must be an integer from 0 to 4294967295'],
    [foley, 'seed', '42', 'must be an integer from 0 to 4294967295'],
    [foley, 'prompt', null, 'must be a string (got null)'],
    [foley, 'negative_prompt', 3, 'must be a string (got a number)'],
    [foley, 'video_path', null, 'must be a string (got null)'],
    [foley, 'vision', 'yes', 'must be true or false'],
    [upscale, 'duration', '5', 'must be a number of seconds > 0'],
    [upscale, 'scale', '2', 'must be 2, 3, 4 or 8'],
    [upscale, 'tile', 64.5, 'must be an integer from 32 to 2048'],
    [upscale, 'model', null, 'must be a string (got null)'],
    [upscale, 'color_fix', 1, 'must be true or false'],
    [interpolate, 'factor', 2.5, 'must be an integer from 2 to 8'],
    [interpolate, 'factor', '2', 'must be an integer from 2 to 8'],
    [interpolate, 'model', ['auto'], 'must be a string (got an array)'],
    [interpolate, 'duration', null, 'must be a number of seconds > 0'],
    [animate, 'fps', '3', 'must be an integer from 1 to'],
    [animate, 'seed', 1.5, 'must be an integer from 0 to 4294967295'],
    [animate, 'width', '640', 'must be an even integer from 16 to 4096'],
    [animate, 'image_path', {}, 'must be a string (got an object)'],
  ] as const)('%j: %s = %j says "%s", not "is required"', (base, field, value, message) => {
    const raw = { ...base, [field]: value };
    let issues: Array<{ field: string; message: string }> = [];
    try {
      parseJobInput(raw);
    } catch (e) {
      if (!isWorkerError(e)) throw e;
      issues = (e.details as { issues: typeof issues }).issues;
    }
    const issue = issues.find((i) => i.field === field);
    expect(issue?.message).toContain(message);
    expect(issue?.message).not.toContain('is required');
  });

  it('still calls a missing source "required"', () => {
    expect(rejection({ task: 'upscale' }).message).toContain('is required');
  });
});
