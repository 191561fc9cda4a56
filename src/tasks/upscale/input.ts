/**
 * @module The upscale task's payload (docs/tasks/upscale.md): a video, the scale, the model, and how
 * the frames are cut into tiles and encoded.
 */
import { z } from 'zod';
import { deliveryField, durationField, requireOneVideoSource, videoSource } from '../../job/fields.js';

export const UPSCALE_SCALES = [2, 3, 4, 8] as const;

/** x264's CRF for the upscaled picture: 18 is visually lossless for most footage. */
export const DEFAULT_QUALITY = 18;

export const UpscaleInputSchema = z
  .strictObject({
    task: z.literal('upscale'),
    ...videoSource,
    scale: z
      .union(UPSCALE_SCALES.map((s) => z.literal(s)) as [z.ZodLiteral<2>, z.ZodLiteral<3>, z.ZodLiteral<4>, z.ZodLiteral<8>], {
        error: 'must be 2, 3, 4 or 8',
      })
      .default(2)
      .describe('output size over input size, per side'),
    model: z
      .string()
      .min(1)
      .max(200)
      .default('auto')
      .describe('"auto", an embedded model ("esrgan-slim", "esrgan-medium", "esrgan-thick") or a Hub repo listed in MODELS'),
    tile: z
      .number({ error: 'must be an integer from 32 to 2048 (input pixels)' })
      .int({ error: 'must be an integer from 32 to 2048 (input pixels)' })
      .min(32, { error: 'must be an integer from 32 to 2048 (input pixels)' })
      .max(2048, { error: 'must be an integer from 32 to 2048 (input pixels)' })
      .optional()
      .describe('tile side in input pixels; default from the hardware tier'),
    denoise: z
      .number({ error: 'must be a number from 0 to 1' })
      .min(0)
      .max(1)
      .optional()
      .describe('denoising strength, for models that have it'),
    color_fix: z
      .boolean({ error: 'must be true or false' })
      .default(true)
      .describe("keep the input's colours: the model's luma on the input's chroma (false: the model's own colours)"),
    quality: z
      .number({ error: 'must be an integer from 0 (lossless) to 51' })
      .int({ error: 'must be an integer from 0 (lossless) to 51' })
      .min(0, { error: 'must be an integer from 0 (lossless) to 51' })
      .max(51, { error: 'must be an integer from 0 (lossless) to 51' })
      .default(DEFAULT_QUALITY)
      .describe('H.264 CRF of the result: lower is better and larger'),
    duration: durationField,
    output_format: z.literal('mp4', { error: 'must be "mp4"' }).default('mp4'),
    delivery: deliveryField,
  })
  .superRefine(requireOneVideoSource);

export type UpscaleInput = z.output<typeof UpscaleInputSchema>;
