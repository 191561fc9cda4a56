/**
 * @module The Foley task's payload (docs/tasks/foley.md documents every field; its table is generated
 * from this schema by `npm run docs`).
 */
import { z } from 'zod';
import { deliveryField, durationField, namedSource, requireOneSourceOf, videoSource } from '../../job/fields.js';

export const MAX_SEED = 4294967295;
const MAX_PROMPT = 2000;
export const MAX_STEPS = 100;
export const MAX_CFG = 20;

/** A learned engine's sampler: the same fields for `foley` and `sound`. */
export const samplingFields = {
  steps: z
    .number({ error: `must be an integer from 1 to ${MAX_STEPS}` })
    .int({ error: `must be an integer from 1 to ${MAX_STEPS}` })
    .min(1, { error: `must be an integer from 1 to ${MAX_STEPS}` })
    .max(MAX_STEPS, { error: `must be an integer from 1 to ${MAX_STEPS}` })
    .optional()
    .describe("learned engines: sampler steps (Euler); default the network's own (MMAudio 25, HunyuanVideo-Foley 50)"),
  cfg_strength: z
    .number({ error: `must be a number from 0 to ${MAX_CFG}` })
    .min(0, { error: `must be a number from 0 to ${MAX_CFG}` })
    .max(MAX_CFG, { error: `must be a number from 0 to ${MAX_CFG}` })
    .default(4.5)
    .describe('learned engines: classifier-free guidance; higher follows the prompt and picture more closely, below 1 turns it off'),
};

export const promptFields = {
  prompt: z
    .string()
    .max(MAX_PROMPT, { error: `must be at most ${MAX_PROMPT} characters` })
    .default('')
    .describe('steers the sound: its keywords pick a preset; a learned engine reads it whole'),
  negative_prompt: z
    .string()
    .max(MAX_PROMPT, { error: `must be at most ${MAX_PROMPT} characters` })
    .default('')
    .describe('what the sound should not have: presets whose keywords appear here are never chosen'),
};

/** `engine`: which one runs; `builtIn` names the built-in choices the task has before the learned ones. */
export function engineField(builtIn: string) {
  const learned =
    '"mmaudio" or "hunyuan-foley" (the worker\'s network of that family) or a network: "mmaudio-small-16k" … "mmaudio-large-44k-v2", ' +
    '"hunyuan-foley-xl", "hunyuan-foley-xxl"';
  return z.string().min(1).max(200).default('auto').describe(`${builtIn}${learned}`);
}

export const seedField = z
  .number({ error: 'must be an integer from 0 to 4294967295' })
  .int({ error: 'must be an integer from 0 to 4294967295' })
  .min(0, { error: 'must be an integer from 0 to 4294967295' })
  .max(MAX_SEED, { error: 'must be an integer from 0 to 4294967295' })
  .optional()
  .describe('same seed + same input → the same audio (on the same provider, for learned engines)');

export const FoleyInputSchema = z
  .strictObject({
    task: z.literal('foley').default('foley'),
    ...videoSource,
    ...namedSource('image', 'still picture (learned engines: a sound for the still)'),
    ...promptFields,
    engine: engineField('"auto", "procedural", '),
    seed: seedField,
    ...samplingFields,
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
          '"auto": on GPU workers; on a CPU no pose model, steps at heel strikes from the feet\'s motion instead; ' +
          'true on a CPU poses only people who walk',
      ),
    audio_mode: z
      .enum(['replace', 'mix'], { error: 'must be "replace" or "mix"' })
      .default('replace')
      .describe('"mix" keeps the original track, ducked'),
    output_format: z.enum(['mp4', 'wav', 'flac', 'm4a'], { error: 'must be one of "mp4", "wav", "flac", "m4a"' }).default('mp4'),
    delivery: deliveryField,
  })
  .superRefine(requireOneSourceOf(['video', 'image']));

export type FoleyInput = z.output<typeof FoleyInputSchema>;
