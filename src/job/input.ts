/**
 * @module The job payload (`input` of a RunPod job), validated once with zod. Unknown fields are
 * rejected by name; every rejection is INVALID_INPUT with the offending fields in `details`.
 * The README's "Payload" table documents every field here.
 */
import { z } from 'zod';
import { WorkerError } from '../errors.js';

export const MAX_SEED = 4294967295;
const MAX_PROMPT = 2000;

export const JobInputSchema = z
  .strictObject({
    task: z.literal('foley', { error: 'must be "foley" (upscale, interpolate and animate come later)' }).default('foley'),
    video_url: z.string().min(1).optional(),
    video_base64: z.string().min(1).optional(),
    video_path: z.string().min(1).max(4096).optional(),
    prompt: z.string().max(MAX_PROMPT, { error: `must be at most ${MAX_PROMPT} characters` }).default(''),
    negative_prompt: z.string().max(MAX_PROMPT, { error: `must be at most ${MAX_PROMPT} characters` }).default(''),
    engine: z.string().min(1).max(200).default('auto'),
    seed: z
      .number({ error: 'must be an integer from 0 to 4294967295' })
      .int({ error: 'must be an integer from 0 to 4294967295' })
      .min(0, { error: 'must be an integer from 0 to 4294967295' })
      .max(MAX_SEED, { error: 'must be an integer from 0 to 4294967295' })
      .optional(),
    duration: z
      .number({ error: 'must be a number of seconds > 0' })
      .positive({ error: 'must be a number of seconds > 0' })
      .max(86_400, { error: 'must be at most 86400 seconds' })
      .optional(),
    audio_mode: z.enum(['replace', 'mix'], { error: 'must be "replace" or "mix"' }).default('replace'),
    output_format: z.enum(['mp4', 'wav', 'flac', 'm4a'], { error: 'must be one of "mp4", "wav", "flac", "m4a"' }).default('mp4'),
    delivery: z.enum(['auto', 'url', 'base64', 'path'], { error: 'must be one of "auto", "url", "base64", "path"' }).default('auto'),
  })
  .superRefine((v, ctx) => {
    const given = (['video_url', 'video_base64', 'video_path'] as const).filter((k) => v[k] !== undefined);
    if (given.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['video_path'], message: 'one of video_url, video_base64 or video_path is required' });
    } else if (given.length > 1) {
      const message = `give exactly one of video_url, video_base64, video_path (got ${given.join(', ')})`;
      for (const field of given) ctx.addIssue({ code: 'custom', path: [field], message });
    }
  });

export type JobInput = z.output<typeof JobInputSchema>;

export interface FieldIssue {
  field: string;
  message: string;
}

function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: key, message: 'unknown field' }));
    }
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'input';
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    return [{ field, message }];
  });
}

/** Validate a raw job input. Throws INVALID_INPUT naming each bad field. */
export function parseJobInput(raw: unknown): JobInput {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new WorkerError('INVALID_INPUT', 'input must be a JSON object', { details: { issues: [{ field: 'input', message: 'must be an object' }] } });
  }
  const r = JobInputSchema.safeParse(raw);
  if (r.success) return r.data;
  const issues = toFieldIssues(r.error);
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  throw new WorkerError('INVALID_INPUT', `invalid input: ${summary}`, { details: { issues } });
}
