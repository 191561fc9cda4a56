/**
 * @module What a HunyuanVideo-Foley DiT checkpoint does not carry, per variant, from upstream's
 * `configs/hunyuanvideo-foley-xl.yaml` and `-xxl.yaml` (`model_config.model_kwargs`) and
 * `hunyuanvideo_foley/constants.py`: the RoPE theta, the feature rates that set a window's sequence
 * lengths, the text length, the trained span. Sizes (hidden, head size, depths, feature widths, MLP
 * widths) are read off the tensors (weights.ts); the hidden size, heads and depths here are the
 * released networks' own, for documentation and for {@link hvfVariantDims} (random stand-ins).
 */

/** The two released networks: `hunyuanvideo_foley_xl.pth` and `hunyuanvideo_foley.pth` (XXL, bf16). */
export type HvfVariant = 'xl' | 'xxl';

export interface HvfVariantConfig {
  /** The checkpoint's file name upstream (`utils/model_utils.py` `model_file_mapping`). */
  file: string;
  hidden: number;
  heads: number;
  triple: number;
  single: number;
}

/** `model_kwargs` per yaml; both use head size 128, mlp_ratio 4, gelu_tanh, qk RMS norm, interleaved audio-visual RoPE. */
export const HVF_VARIANTS: Readonly<Record<HvfVariant, HvfVariantConfig>> = {
  xl: { file: 'hunyuanvideo_foley_xl.pth', hidden: 1408, heads: 11, triple: 12, single: 24 },
  xxl: { file: 'hunyuanvideo_foley.pth', hidden: 1536, heads: 12, triple: 18, single: 36 },
};

/** Shared by both yamls and constants.py. */
export const HVF_CONFIG = {
  /** `rope_theta` (the blocks hard-code 10000 too). */
  ropeTheta: 10000,
  /** `text_length`: CLAP's last hidden state is cut to at most 77 tokens (`feature_utils.feature_process`). */
  textLength: 77,
  /** `audio_frame_rate`: DAC-VAE latent frames per second (constants.py's AUDIO_FRAME_RATE = 75 is unused). */
  audioFrameRate: 50,
  /** `FPS_VISUAL`: SigLIP2 frames and Synchformer frames per second. */
  clipFps: 8,
  syncFps: 25,
  /** `MAX_VIDEO_DURATION_SECONDS`: the longest window upstream feeds the model. */
  maxDuration: 15,
  /** `clip_length` 64 / `sync_length` 192 are the 8 s lengths (upstream's default empty sequences). */
  defaultDuration: 8,
  /** Synchformer features per 16-frame segment; `sync_pos_emb` is [1, 1, 8, D]. */
  syncSegment: 8,
  /** `TimestepEmbedder(frequency_embedding_size=256, max_period=10000)`. */
  timestepMaxPeriod: 10000,
} as const;

/** Token counts of one window: latent frames, SigLIP2 frames, Synchformer frames. Text stays dynamic (≤ 77). */
export interface HvfSequenceLengths {
  latent: number;
  clip: number;
  sync: number;
}

/**
 * A window of `duration` seconds as upstream feeds it (`feature_utils.encode_video_features`,
 * `model_utils.denoise_process`): Synchformer 25 fps frames n = 25·d, sync features
 * ((n − 16) // 8 + 1)·8 (16-frame segments every 8 frames, 8 features each), the latent
 * int(n/25 · 50) = 2n frames, SigLIP2 8·d frames. 8 s → latent 400, clip 64, sync 192; 15 s →
 * 750, 120, 360. (SigLIP2 frames: `get_frames_av` keeps one per 1/8 s of the window, 8·d for d in whole eighths.)
 */
export function hvfSequenceLengths(o: { duration: number }): HvfSequenceLengths {
  const frames = Math.round(o.duration * HVF_CONFIG.syncFps);
  if (frames < 16) throw new RangeError(`a window must hold one Synchformer segment (16 frames at 25 fps): ${o.duration} s`);
  const segments = Math.floor((frames - 16) / 8) + 1;
  return {
    latent: Math.trunc((frames / HVF_CONFIG.syncFps) * HVF_CONFIG.audioFrameRate),
    clip: Math.round(o.duration * HVF_CONFIG.clipFps),
    sync: segments * HVF_CONFIG.syncSegment,
  };
}

/**
 * The lengths a conversion uses unless told otherwise: 8 s, not the trained maximum of 15 s. The
 * graphs' lengths are fixed and upstream attends without a mask, so a window must be fed at exactly
 * its graph's length; 8 s is the length the yamls' clip/sync lengths describe, the MMAudio engine's
 * window (one windowing scheme for both), and keeps the per-step attention (latent + clip tokens)
 * under half of a 15 s graph's. Convert with `hvfSequenceLengths({ duration: 15 })` for longer windows.
 */
export function defaultSequenceLengths(): HvfSequenceLengths {
  return hvfSequenceLengths({ duration: HVF_CONFIG.defaultDuration });
}
