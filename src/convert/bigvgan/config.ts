/**
 * @module The BigVGAN hyperparameters the weights do not carry: upsample rates, kernel sizes,
 * resblock kind, kernel sizes and dilations, the activation and whether its parameters are
 * log-scale, and v2's two final-layer switches. v2 ships them in `config.json` beside the weights
 * (parsed here); MMAudio's 16 kHz v1 vocoder hard-codes them in
 * `mmaudio/ext/bigvgan/bigvgan_vocoder.yml`, copied into {@link BIGVGAN_V1_16K_CONFIG}.
 */
import { z } from 'zod';
import { WorkerError } from '../../errors.js';

/** What the converter reads of a BigVGAN config (the training-only keys are ignored). */
export interface BigVganConfig {
  /** `'1'`: AMPBlock1 (dilated conv + conv per dilation); `'2'`: AMPBlock2 (one dilated conv per dilation). */
  resblock: '1' | '2';
  numMels: number;
  upsampleRates: readonly number[];
  upsampleKernelSizes: readonly number[];
  upsampleInitialChannel: number;
  resblockKernelSizes: readonly number[];
  resblockDilationSizes: readonly (readonly number[])[];
  activation: 'snake' | 'snakebeta';
  /** The stored alpha (and beta) are logs: the activation uses exp(alpha). */
  snakeLogscale: boolean;
  /** v2 only (v1 always has it): conv_post has a bias. */
  useBiasAtFinal: boolean;
  /** v2 only (v1 always tanh): tanh at the end, else clamp to [-1, 1]. */
  useTanhAtFinal: boolean;
}

const count = z.number().int().positive();

/** The keys of upstream's config.json / bigvgan_vocoder.yml we use; v2's two switches default to true as upstream's `h.get`. */
const configSchema = z
  .object({
    resblock: z.union([z.literal('1'), z.literal('2'), z.literal(1), z.literal(2)]).transform((v) => String(v) as '1' | '2'),
    num_mels: count,
    upsample_rates: z.array(count).min(1),
    upsample_kernel_sizes: z.array(count).min(1),
    upsample_initial_channel: count,
    resblock_kernel_sizes: z.array(count).min(1),
    resblock_dilation_sizes: z.array(z.array(count).min(1)).min(1),
    activation: z.enum(['snake', 'snakebeta']),
    snake_logscale: z.boolean(),
    use_bias_at_final: z.boolean().default(true),
    use_tanh_at_final: z.boolean().default(true),
  })
  .superRefine((c, ctx) => {
    if (c.upsample_kernel_sizes.length !== c.upsample_rates.length) {
      ctx.addIssue({ code: 'custom', path: ['upsample_kernel_sizes'], message: 'must have one size per upsample rate' });
    }
    if (c.resblock_dilation_sizes.length !== c.resblock_kernel_sizes.length) {
      ctx.addIssue({ code: 'custom', path: ['resblock_dilation_sizes'], message: 'must have one list per resblock kernel size' });
    }
  });

/**
 * A config.json (or the YAML's values) as the converter's config. MODEL_LOAD_FAILED naming the
 * key when one it needs is missing or malformed.
 */
export function parseBigVganConfig(json: unknown): BigVganConfig {
  const r = configSchema.safeParse(json);
  if (!r.success) {
    throw new WorkerError('MODEL_LOAD_FAILED', `BigVGAN config: ${z.prettifyError(r.error)}`, {
      details: { issues: r.error.issues.map((i) => i.path.join('.')) },
    });
  }
  const c = r.data;
  return {
    resblock: c.resblock,
    numMels: c.num_mels,
    upsampleRates: c.upsample_rates,
    upsampleKernelSizes: c.upsample_kernel_sizes,
    upsampleInitialChannel: c.upsample_initial_channel,
    resblockKernelSizes: c.resblock_kernel_sizes,
    resblockDilationSizes: c.resblock_dilation_sizes,
    activation: c.activation,
    snakeLogscale: c.snake_logscale,
    useBiasAtFinal: c.use_bias_at_final,
    useTanhAtFinal: c.use_tanh_at_final,
  };
}

/**
 * MMAudio's 16 kHz vocoder (Make-An-Audio 2's BigVGAN, `ext_weights/best_netG.pt`): the values of
 * `mmaudio/ext/bigvgan/bigvgan_vocoder.yml` (MMAudio 974010a). Hop 4·4·2·2·2·2 = 256. v1's model
 * has no final-layer switches: conv_post always has a bias and the output is always tanh.
 */
export const BIGVGAN_V1_16K_CONFIG: Readonly<BigVganConfig> = Object.freeze({
  resblock: '1',
  numMels: 80,
  upsampleRates: [4, 4, 2, 2, 2, 2],
  upsampleKernelSizes: [8, 8, 4, 4, 4, 4],
  upsampleInitialChannel: 1536,
  resblockKernelSizes: [3, 7, 11],
  resblockDilationSizes: [
    [1, 3, 5],
    [1, 3, 5],
    [1, 3, 5],
  ],
  activation: 'snakebeta',
  snakeLogscale: true,
  useBiasAtFinal: true,
  useTanhAtFinal: true,
});
