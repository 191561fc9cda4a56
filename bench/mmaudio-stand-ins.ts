/**
 * @module Random stand-ins for every file an MMAudio variant downloads, at the real Hub paths
 * (`<dir>/<org>/<repo>/<path>`), with shapes that agree across the chain: CLIP's image embedding
 * is the DiT's clip width, CLIP's text width its text width, Synchformer's width its sync width,
 * the VAE's latent the DiT's latent, the VAE's mel bins the vocoder's. `size: 'reduced'` (about
 * 11 MB, 6.3 MB of it CLIP's 49408-row token table in float16, kept whole so the real tokenizer's ids
 * fit) converts and runs an 8 s window in seconds on a CPU (tests, the self-test); `'real'` has
 * upstream's sizes (GBs: the bench). Values are seeded normals × 0.02 with norm scales 1, positive
 * stds, a unit weight-norm gain and BigVGAN's true filters, so every graph's output stays finite.
 * Imported by tests and by the bench; written with `saveTorchStateDict`.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BIGVGAN_V1_16K_CONFIG, type BigVganConfig, type BigVganVariant, resampleFilter } from '../src/convert/bigvgan/index.js';
import { ALIAS_FREE } from '../src/convert/bigvgan/filter.js';
import { bigVganTensorShapes } from '../src/convert/bigvgan/weights.js';
import { clipImageTensorShapes, type ClipImageDims as ConverterClipImageDims } from '../src/convert/clip-image/index.js';
import { type ClipTextDims, clipTextTensorShapes } from '../src/convert/clip-text/weights.js';
import { MMAUDIO_VARIANTS, type MmaudioDitDims, type MmaudioVariant, mmaudioDitTensorShapes } from '../src/convert/mmaudio-dit/index.js';
import { MMAUDIO_VAE_VARIANTS, type MmaudioVaeVariant } from '../src/convert/mmaudio-vae/index.js';
import { mmaudioVaeTensorShapes } from '../src/convert/mmaudio-vae/weights.js';
import { type SynchformerDims, synchformerTensorShapes, VFEAT_PREFIX } from '../src/convert/synchformer/index.js';
import { type SaveTensor, saveTorchStateDict, type WeightDtype } from '../src/models/weights/index.js';
import { writeFileAtomic } from '../src/util/write-atomic.js';

export type StandInSize = 'reduced' | 'real';

/** open_clip's VisionTransformer as DFN5B ViT-H/14-378 has it (real: width 1280, 32 layers, heads of 80), and its side. */
export type ClipImageDims = ConverterClipImageDims & {
  /** grid · patch: the pixels per side the tower takes (378). */
  image: number;
};

export interface MmaudioStandInDims {
  variant: MmaudioVariant;
  size: StandInSize;
  sampleRate: 16000 | 44100;
  dit: MmaudioDitDims;
  clip: { image: ClipImageDims; text: ClipTextDims };
  synchformer: SynchformerDims;
  vae: { variant: MmaudioVaeVariant; latent: number; mels: number; hidden: number };
  /** Pass `config` to convertBigVgan: a reduced 16k vocoder is not MMAudio's table ({@link BIGVGAN_V1_16K_CONFIG}). */
  vocoder: { variant: BigVganVariant; config: BigVganConfig; hop: number };
}

export interface StandInFile {
  repo: string;
  path: string;
  /** `<dir>/<repo>/<path>`. */
  local: string;
  /** Bytes on disk. */
  size: number;
}

export interface WriteMmaudioStandInsOptions {
  dir: string;
  variant: MmaudioVariant;
  size: StandInSize;
  /** @default 0 */
  seed?: number;
  signal?: AbortSignal;
}

export const MMAUDIO_REPO = 'hkchengrex/MMAudio';
export const CLIP_REPO = 'apple/DFN5B-CLIP-ViT-H-14-378';
export const BIGVGAN_V2_REPO = 'nvidia/bigvgan_v2_44khz_128band_512x';

/** BigVGAN-v2 44 kHz's hyperparameters (its config.json on the Hub). */
const BIGVGAN_V2_44K_CONFIG: Readonly<BigVganConfig> = Object.freeze({
  ...BIGVGAN_V1_16K_CONFIG,
  numMels: 128,
  upsampleRates: [8, 4, 2, 2, 2, 2],
  upsampleKernelSizes: [16, 8, 4, 4, 4, 4],
  useBiasAtFinal: false,
  useTanhAtFinal: false,
});

/** MLP width of upstream's `MLP`/`ConvMLP`: int(2 · 4 · hidden / 3) rounded up to 256. */
const ditMlp = (hidden: number) => 256 * Math.ceil(Math.trunc((2 * 4 * hidden) / 3) / 256);

/** The sizes of every component of a variant's set. */
export function mmaudioStandInDims(o: { variant: MmaudioVariant; size: StandInSize }): MmaudioStandInDims {
  const { sampleRate, v2 } = MMAUDIO_VARIANTS[o.variant];
  const real = o.size === 'real';
  const vaeVariant: MmaudioVaeVariant = sampleRate === 16000 ? '16k' : '44k';
  const { latent, mels, hidden: vaeHidden } = MMAUDIO_VAE_VARIANTS[vaeVariant];
  const big = o.variant.startsWith('large') ? 2 : o.variant.startsWith('medium') ? 1 : 0;
  const hidden = real ? (big > 0 ? 896 : 448) : 64;
  const text: ClipTextDims = real
    ? { vocab: 49408, width: 1024, context: 77, layers: 24, mlpWidth: 4096, heads: 16 }
    : { vocab: 49408, width: 64, context: 77, layers: 1, mlpWidth: 256, heads: 1 };
  const image: ClipImageDims = real
    ? { width: 1280, layers: 32, heads: 16, patch: 14, grid: 27, image: 378, mlpWidth: 5120, embed: 1024 }
    : { width: 80, layers: 1, heads: 1, patch: 14, grid: 27, image: 378, mlpWidth: 320, embed: 64 };
  const sync = real ? { width: 768, depth: 12, mlp: 3072 } : { width: 48, depth: 1, mlp: 192 };
  const synchformer: SynchformerDims = {
    width: sync.width,
    channels: 3,
    tubelet: 2,
    patch: 16,
    grid: 14,
    image: 224,
    temporalTokens: 8,
    frames: 16,
    depth: sync.depth,
    mlpWidth: sync.mlp,
    aggMlpWidth: sync.mlp,
    heads: 12,
  };
  const dit: MmaudioDitDims = {
    hidden,
    heads: hidden / 64,
    latentDim: latent,
    clipDim: image.embed,
    syncDim: synchformer.width,
    textDim: text.width,
    textLength: text.context,
    mlpHidden: real ? ditMlp(hidden) : 64,
    joint: real ? [4, 4, 7][big]! : 1,
    fused: real ? [8, 8, 14][big]! : 1,
    frequencies: v2 ? hidden : 256,
    v2,
  };
  const base = sampleRate === 16000 ? BIGVGAN_V1_16K_CONFIG : BIGVGAN_V2_44K_CONFIG;
  const config: BigVganConfig = { ...base, upsampleInitialChannel: real ? 1536 : 64 };
  return {
    variant: o.variant,
    size: o.size,
    sampleRate,
    dit,
    clip: { image, text },
    synchformer,
    vae: { variant: vaeVariant, latent, mels, hidden: real ? vaeHidden : 8 },
    vocoder: {
      variant: sampleRate === 16000 ? 'v1-16k' : 'v2-44k',
      config,
      hop: config.upsampleRates.reduce((a, b) => a * b, 1),
    },
  };
}

/** open_clip's CLIP state dict: both towers as their converters read them, and the CLIP tensors neither reads. */
function clipTensorShapes(clip: MmaudioStandInDims['clip']): Map<string, number[]> {
  const { image: v, text } = clip;
  const s = new Map<string, number[]>([
    ['positional_embedding', [text.context, text.width]],
    ['text_projection', [text.width, v.embed]],
    ['logit_scale', []],
  ]);
  for (const [name, shape] of clipImageTensorShapes(v)) s.set(name, shape);
  for (const [name, shape] of clipTextTensorShapes(text)) s.set(name, shape);
  return s;
}

/** A 32-bit string hash (FNV-1a), to give each tensor its own stream from the seed. */
function hash(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** mulberry32 → standard normals (Box-Muller), in order. */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const th = 2 * Math.PI * uniform();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
}

/** What a tensor holds, by its name: a value per element given the next normal. */
function valueRule(name: string): ((n: number) => number) | Float32Array {
  const norm = /(?:^|\.)(?:ln_\w+|norm\d*|q_norm|k_norm)\.(weight|bias)$/.exec(name);
  if (norm) return norm[1] === 'weight' ? () => 1 : () => 0;
  if (/filter$/.test(name)) return resampleFilter(ALIAS_FREE.ratio, ALIAS_FREE.kernelSize);
  if (/(?:^|\.)(?:latent_std|data_std)$/.test(name)) return (n) => 1 + 0.25 * Math.tanh(n);
  if (name.endsWith('data_mean')) return (n) => -4 + 0.5 * n;
  if (name.endsWith('latent_mean')) return (n) => 0.5 * n;
  if (name.endsWith('logit_scale')) return () => Math.log(100);
  if (name.endsWith('learnable_gain')) return () => 0;
  if (name.endsWith('.weight_g')) return () => 1;
  return (n) => 0.02 * n;
}

/** float32 → IEEE half bits, rounded to nearest (for the reduced CLIP vocabulary table; its values are ~0.02). */
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
function toHalfBits(v: number): number {
  F32[0] = v;
  const x = U32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const e = ((x >>> 23) & 0xff) - 112; // rebias 127 → 15
  if (e <= 0) return sign; // below half's normal range: flushed to ±0
  if (e >= 31) return sign | 0x7c00;
  const bits = (e << 10) | ((x >>> 13) & 0x3ff);
  return sign | Math.min(bits + ((x >>> 12) & 1), 0x7bff);
}

export function standInTensor(o: { name: string; shape: number[]; seed: number; dtype: WeightDtype }): SaveTensor {
  const rule = valueRule(o.name);
  const next = normals(hash(o.name, o.seed));
  return {
    name: o.name,
    shape: o.shape,
    dtype: o.dtype,
    fill(offset, count) {
      if (rule instanceof Float32Array) return rule.subarray(offset, offset + count);
      if (o.dtype === 'float16') {
        const half = new Uint16Array(count);
        for (let i = 0; i < count; i++) half[i] = toHalfBits(rule(next()));
        return half;
      }
      if (o.dtype === 'bfloat16') {
        // bf16 is float32's upper half (rounded to nearest even), as torch's `.to(torch.bfloat16)` does.
        const bf = new Uint16Array(count);
        for (let i = 0; i < count; i++) {
          F32[0] = rule(next());
          const x = U32[0]!;
          bf[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
        }
        return bf;
      }
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = rule(next());
      return out;
    },
  };
}

interface FilePlan {
  repo: string;
  path: string;
  shapes: Map<string, number[]>;
  prefix?: string;
  wrap?: string;
  /** Tensors stored as float16 (the rest float32). */
  half?: ReadonlySet<string>;
}

function plan(dims: MmaudioStandInDims): FilePlan[] {
  const { variant, synchformer, vae, vocoder } = dims;
  const files: FilePlan[] = [
    { repo: MMAUDIO_REPO, path: `weights/mmaudio_${variant}.pth`, shapes: mmaudioDitTensorShapes(dims.dit) },
    {
      repo: MMAUDIO_REPO,
      path: 'ext_weights/synchformer_state_dict.pth',
      shapes: synchformerTensorShapes(synchformer),
      prefix: VFEAT_PREFIX,
    },
    { repo: MMAUDIO_REPO, path: `ext_weights/v1-${vae.variant === '16k' ? 16 : 44}.pth`, shapes: mmaudioVaeTensorShapes(vae) },
    {
      repo: vocoder.variant === 'v1-16k' ? MMAUDIO_REPO : BIGVGAN_V2_REPO,
      path: vocoder.variant === 'v1-16k' ? 'ext_weights/best_netG.pt' : 'bigvgan_generator.pt',
      shapes: bigVganTensorShapes(vocoder.config, { filterTaps: ALIAS_FREE.kernelSize }),
      wrap: 'generator',
    },
    {
      repo: CLIP_REPO,
      path: 'open_clip_pytorch_model.bin',
      shapes: clipTensorShapes(dims.clip),
      // 49408 × width in float32 would be most of a reduced set (12.6 MB at width 64); the real one stays float32.
      ...(dims.size === 'reduced' ? { half: new Set(['token_embedding.weight']) } : {}),
    },
  ];
  return files;
}

/** BigVGAN-v2's config.json as NVIDIA ships it (the keys the converter reads, plus the audio ones). */
function bigVganConfigJson(c: BigVganConfig, hop: number): string {
  const json = {
    resblock: c.resblock,
    upsample_rates: c.upsampleRates,
    upsample_kernel_sizes: c.upsampleKernelSizes,
    upsample_initial_channel: c.upsampleInitialChannel,
    resblock_kernel_sizes: c.resblockKernelSizes,
    resblock_dilation_sizes: c.resblockDilationSizes,
    use_tanh_at_final: c.useTanhAtFinal,
    use_bias_at_final: c.useBiasAtFinal,
    activation: c.activation,
    snake_logscale: c.snakeLogscale,
    num_mels: c.numMels,
    n_fft: 2048,
    hop_size: hop,
    win_size: 2048,
    sampling_rate: 44100,
    fmin: 0,
    fmax: null,
  };
  return `${JSON.stringify(json, null, 4)}\n`;
}

/** Writes every file of the variant's set under `dir`; returns where each went and the sizes used. */
export async function writeMmaudioStandIns(o: WriteMmaudioStandInsOptions): Promise<{ files: StandInFile[]; dims: MmaudioStandInDims }> {
  const dims = mmaudioStandInDims(o);
  const seed = o.seed ?? 0;
  const files: StandInFile[] = [];
  for (const f of plan(dims)) {
    const local = join(o.dir, f.repo, f.path);
    const tensors = [...f.shapes].map(([name, shape]) => {
      const full = (f.prefix ?? '') + name;
      return standInTensor({ name: full, shape, seed: hash(f.path, seed), dtype: f.half?.has(name) ? 'float16' : 'float32' });
    });
    const saved = await saveTorchStateDict({
      path: local,
      tensors,
      ...(f.wrap ? { wrap: f.wrap } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    files.push({ repo: f.repo, path: f.path, local, size: saved.bytes });
  }
  if (dims.vocoder.variant === 'v2-44k') {
    const local = join(o.dir, BIGVGAN_V2_REPO, 'config.json');
    await writeFileAtomic(local, bigVganConfigJson(dims.vocoder.config, dims.vocoder.hop));
    files.push({ repo: BIGVGAN_V2_REPO, path: 'config.json', local, size: (await stat(local)).size });
  }
  return { files, dims };
}
