/**
 * @module The `sound` task's payload: a prompt in, a sound out — no picture (docs/tasks/sound.md
 * documents every field; its table is generated from this schema by `npm run docs`).
 */
import { z } from 'zod';
import { deliveryField } from '../../job/fields.js';
import { engineField, promptFields, samplingFields, seedField } from '../foley/input.js';

export const SoundInputSchema = z.strictObject({
  task: z.literal('sound'),
  ...promptFields,
  engine: engineField('"auto", '),
  seed: seedField,
  ...samplingFields,
  duration: z
    .number({ error: 'must be a number of seconds > 0' })
    .positive({ error: 'must be a number of seconds > 0' })
    .max(86_400, { error: 'must be at most 86400 seconds' })
    .default(8)
    .describe('seconds of sound (longer than 8 s: windows joined by crossfades), at most MAX_DURATION_S'),
  output_format: z.enum(['wav', 'flac', 'm4a'], { error: 'must be one of "wav", "flac", "m4a"' }).default('wav'),
  delivery: deliveryField,
});

export type SoundInput = z.output<typeof SoundInputSchema>;
