/**
 * @module The interpolate task's payload (docs/tasks/interpolate.md): a video, how much faster its
 * new frame rate is (`factor`, or a target `fps`: exactly one), and the engine.
 */
import { z } from 'zod';
import { deliveryField, durationField, requireOneVideoSource, videoSource } from '../../job/fields.js';

/** The highest output rate a job may ask for. */
export const MAX_FPS = 240;

export const InterpolateInputSchema = z
  .strictObject({
    task: z.literal('interpolate'),
    ...videoSource,
    factor: z
      .number({ error: 'must be an integer from 2 to 8' })
      .int({ error: 'must be an integer from 2 to 8' })
      .min(2, { error: 'must be an integer from 2 to 8' })
      .max(8, { error: 'must be an integer from 2 to 8' })
      .optional()
      .describe("output frame rate over the source's (give this or fps)"),
    fps: z
      .number({ error: `must be a frame rate above the source's, at most ${MAX_FPS}` })
      .positive({ error: `must be a frame rate above the source's, at most ${MAX_FPS}` })
      .max(MAX_FPS, { error: `must be a frame rate above the source's, at most ${MAX_FPS}` })
      .optional()
      .describe('target frame rate (give this or factor)'),
    model: z
      .string()
      .min(1)
      .max(200)
      .default('auto')
      .describe('"auto", "ffmpeg" (motion-compensated interpolation) or a RIFE ONNX repo listed in MODELS'),
    duration: durationField,
    output_format: z.literal('mp4', { error: 'must be "mp4"' }).default('mp4'),
    delivery: deliveryField,
  })
  .superRefine(requireOneVideoSource)
  .superRefine((v, ctx) => {
    if ((v.factor === undefined) === (v.fps === undefined)) {
      const message = v.factor === undefined ? 'one of factor or fps is required' : 'give factor or fps, not both';
      ctx.addIssue({ code: 'custom', path: [v.factor === undefined ? 'factor' : 'fps'], message });
    }
  });

export type InterpolateInput = z.output<typeof InterpolateInputSchema>;
