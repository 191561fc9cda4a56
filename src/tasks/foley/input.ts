/**
 * @module The Foley task's payload (docs/tasks/foley.md documents every field; its table is generated
 * from this schema by `npm run docs`).
 */
import { z } from 'zod';
import { deliveryField, durationField, requireOneVideoSource, videoSource } from '../../job/fields.js';

export const MAX_SEED = 4294967295;
const MAX_PROMPT = 2000;

export const FoleyInputSchema = z
  .strictObject({
    task: z.literal('foley').default('foley'),
    ...videoSource,
    prompt: z
      .string()
      .max(MAX_PROMPT, { error: `must be at most ${MAX_PROMPT} characters` })
      .default('')
      .describe('steers the sound: its keywords pick a preset'),
    negative_prompt: z
      .string()
      .max(MAX_PROMPT, { error: `must be at most ${MAX_PROMPT} characters` })
      .default('')
      .describe('presets whose keywords appear here are never chosen'),
    engine: z.string().min(1).max(200).default('auto').describe('"procedural" or "auto"'),
    seed: z
      .number({ error: 'must be an integer from 0 to 4294967295' })
      .int({ error: 'must be an integer from 0 to 4294967295' })
      .min(0, { error: 'must be an integer from 0 to 4294967295' })
      .max(MAX_SEED, { error: 'must be an integer from 0 to 4294967295' })
      .optional()
      .describe('same seed + same input → byte-identical audio'),
    duration: durationField,
    vision: z
      .boolean({ error: 'must be true or false' })
      .default(true)
      .describe('watch and listen with the trained models (objects, pose, speech); false: motion analysis alone'),
    pose: z
      .union([z.literal('auto'), z.boolean()], { error: 'must be "auto", true or false' })
      .default('auto')
      .describe(
        "follow people's feet and hands with the pose model for steps at heel strikes; " +
          '"auto": on GPU workers (on a CPU it makes a job several times slower)',
      ),
    audio_mode: z
      .enum(['replace', 'mix'], { error: 'must be "replace" or "mix"' })
      .default('replace')
      .describe('"mix" keeps the original track, ducked'),
    output_format: z.enum(['mp4', 'wav', 'flac', 'm4a'], { error: 'must be one of "mp4", "wav", "flac", "m4a"' }).default('mp4'),
    delivery: deliveryField,
  })
  .superRefine(requireOneVideoSource);

export type FoleyInput = z.output<typeof FoleyInputSchema>;
