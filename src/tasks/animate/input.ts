/**
 * @module The animate task's payload (docs/tasks/animate.md): a still image, an audio track, the output
 * size and rate, and the camera path.
 */
import { z } from 'zod';
import { deliveryField, namedSource, requireOneSource } from '../../job/fields.js';
import { MOTIONS } from '../../pipelines/animate/path.js';

/** Long side of the result when neither `width` nor `height` is given. */
export const DEFAULT_LONG_SIDE = 1280;
export const DEFAULT_FPS = 25;
export const MAX_FPS = 60;

const side = z
  .number({ error: 'must be an even integer from 16 to 4096' })
  .int({ error: 'must be an even integer from 16 to 4096' })
  .min(16, { error: 'must be an even integer from 16 to 4096' })
  .max(4096, { error: 'must be an even integer from 16 to 4096' })
  .refine((v) => v % 2 === 0, { error: 'must be an even integer from 16 to 4096 (H.264 4:2:0 needs even sides)' })
  .optional();

export const AnimateInputSchema = z
  .strictObject({
    task: z.literal('animate'),
    ...namedSource('image', 'image (PNG, JPEG or WebP)'),
    ...namedSource('audio', 'audio track'),
    width: side.describe("result width; default: the image's aspect with the long side 1280"),
    height: side.describe("result height; default: the image's aspect with the long side 1280"),
    fps: z
      .number({ error: `must be an integer from 1 to ${MAX_FPS}` })
      .int({ error: `must be an integer from 1 to ${MAX_FPS}` })
      .min(1, { error: `must be an integer from 1 to ${MAX_FPS}` })
      .max(MAX_FPS, { error: `must be an integer from 1 to ${MAX_FPS}` })
      .default(DEFAULT_FPS)
      .describe('frames per second of the result'),
    motion: z
      .enum(MOTIONS, { error: `must be one of ${MOTIONS.map((m) => `"${m}"`).join(', ')}` })
      .default('auto')
      .describe('the camera path: "auto" (wide, then in on the most detailed region) or a named one'),
    seed: z
      .number({ error: 'must be an integer from 0 to 4294967295' })
      .int({ error: 'must be an integer from 0 to 4294967295' })
      .min(0, { error: 'must be an integer from 0 to 4294967295' })
      .max(0xffffffff, { error: 'must be an integer from 0 to 4294967295' })
      .default(0)
      .describe('varies the zoom depth and the punches; the same seed gives the same video'),
    output_format: z.literal('mp4', { error: 'must be "mp4"' }).default('mp4'),
    delivery: deliveryField,
  })
  .superRefine(requireOneSource('image'))
  .superRefine(requireOneSource('audio'));

export type AnimateInput = z.output<typeof AnimateInputSchema>;
