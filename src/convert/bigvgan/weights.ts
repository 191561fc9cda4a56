/**
 * @module A BigVGAN state dict read through {@link WeightsFile}: the shared weight-norm reader of
 * src/convert/snake-conv.ts (tensors as float32 with their shapes checked before a byte is read,
 * conv weights with weight norm folded in any of its three stored forms, a record of what was used
 * so that anything left over is refused, as upstream's strict `load_state_dict` would), found under
 * `generator.` when the file wraps it there; and the tensor table of a generator, for stand-ins.
 */
import type { WeightsFile } from '../../models/weights/index.js';
import { WeightNormStateDict, weightsError } from '../snake-conv.js';
import type { BigVganConfig } from './config.js';

export { foldWeightNorm, type ShapeSpec, type Tensor32 } from '../snake-conv.js';

export function checkpointError(message: string, tensor?: string) {
  return weightsError('BigVGAN checkpoint', message, tensor);
}

export class StateDict extends WeightNormStateDict {
  /** Keys under `generator.` when the file has them there (torch.save({'generator': …})), else at the top. */
  constructor(file: WeightsFile) {
    const prefix = [...file.tensors.keys()].some((k) => k.startsWith('generator.')) ? 'generator.' : '';
    super(file, { what: 'BigVGAN checkpoint', prefix });
  }
}

/**
 * Every tensor of a BigVGAN generator state dict for `config`, with its shape, as upstream's
 * `BigVGAN` builds it (stage i: `upsample_initial_channel / 2^(i+1)` channels): weight norm stored
 * as `weight_g` / `weight_v` (NVIDIA's files), the filter buffers included (`filterTaps` each). For
 * writing stand-in checkpoints (bench/mmaudio-stand-ins.ts); keys without the `generator.` wrapper.
 */
export function bigVganTensorShapes(config: BigVganConfig, o: { filterTaps: number }): Map<string, number[]> {
  const s = new Map<string, number[]>();
  const conv = (m: string, shape: [number, number, number], bias = true) => {
    s.set(`${m}.weight_g`, [shape[0], 1, 1]);
    s.set(`${m}.weight_v`, shape);
    if (bias) s.set(`${m}.bias`, [m.startsWith('ups.') ? shape[1] : shape[0]]);
  };
  const act = (m: string, channels: number) => {
    s.set(`${m}.act.alpha`, [channels]);
    if (config.activation === 'snakebeta') s.set(`${m}.act.beta`, [channels]);
    s.set(`${m}.upsample.filter`, [1, 1, o.filterTaps]);
    s.set(`${m}.downsample.lowpass.filter`, [1, 1, o.filterTaps]);
  };
  const initial = config.upsampleInitialChannel;
  conv('conv_pre', [initial, config.numMels, 7]);
  let channels = initial;
  const kernels = config.resblockKernelSizes;
  for (const [i, k] of config.upsampleKernelSizes.entries()) {
    const out = Math.floor(initial / 2 ** (i + 1));
    conv(`ups.${i}.0`, [channels, out, k]);
    channels = out;
  }
  for (const i of config.upsampleRates.keys()) {
    const c = Math.floor(initial / 2 ** (i + 1));
    for (const [j, k] of kernels.entries()) {
      const m = `resblocks.${i * kernels.length + j}`;
      const dilations = config.resblockDilationSizes[j]!;
      for (const l of dilations.keys()) {
        if (config.resblock === '1') {
          conv(`${m}.convs1.${l}`, [c, c, k]);
          conv(`${m}.convs2.${l}`, [c, c, k]);
        } else {
          conv(`${m}.convs.${l}`, [c, c, k]);
        }
      }
      const acts = config.resblock === '1' ? 2 * dilations.length : dilations.length;
      for (let a = 0; a < acts; a++) act(`${m}.activations.${a}`, c);
    }
  }
  act('activation_post', channels);
  conv('conv_post', [1, channels, 7], config.useBiasAtFinal);
  return s;
}
