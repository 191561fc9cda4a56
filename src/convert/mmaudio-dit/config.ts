/**
 * @module What an MMAudio MM-DiT checkpoint does not carry: its variant's sequence lengths. Sizes
 * (hidden, depth, feature widths, MLP widths) are read off the tensors; the sequence lengths are
 * constructor arguments upstream (`mmaudio/model/networks.py`, `small_16k` … `large_44k_v2`) and set the
 * RoPE tables and the sync upsampling, so they come from this table or from {@link mmaudioSequenceLengths}.
 */

/** The five released networks (`weights/mmaudio_<variant>.pth`). */
export type MmaudioVariant = 'small_16k' | 'small_44k' | 'medium_44k' | 'large_44k' | 'large_44k_v2';

/** Token counts of one window: latent frames, CLIP frames, Synchformer frames. */
export interface MmaudioSequenceLengths {
  latent: number;
  clip: number;
  sync: number;
}

/** Each variant's sample rate and whether it is `v2` (SiLU input projections, hidden-size t-embedding with max_period 1). */
export const MMAUDIO_VARIANTS: Readonly<Record<MmaudioVariant, { sampleRate: 16000 | 44100; v2: boolean }>> = {
  small_16k: { sampleRate: 16000, v2: false },
  small_44k: { sampleRate: 44100, v2: false },
  medium_44k: { sampleRate: 44100, v2: false },
  large_44k: { sampleRate: 44100, v2: false },
  large_44k_v2: { sampleRate: 44100, v2: true },
};

/** Mel hop per sample rate (`sequence_config.py`: `spectrogram_frame_rate`). */
const HOP: Readonly<Record<16000 | 44100, number>> = { 16000: 256, 44100: 512 };

/**
 * `SequenceConfig`'s lengths for a window of `duration` seconds (trained at 8 s: 250/345 latent
 * frames at 16k/44k, 64 CLIP frames, 192 sync frames): latent ⌈d·sr/hop/2⌉, clip ⌊8·d⌋, sync
 * ((25·d − 16) // 8 + 1) · 8 (16-frame segments every 8 frames, 8 features each).
 */
export function mmaudioSequenceLengths(o: { sampleRate: 16000 | 44100; duration: number }): MmaudioSequenceLengths {
  const d = o.duration;
  const segments = Math.floor((d * 25 - 16) / 8) + 1;
  return { latent: Math.ceil((d * o.sampleRate) / HOP[o.sampleRate] / 2), clip: Math.trunc(d * 8), sync: Math.trunc((segments * 16) / 2) };
}

/** The 8 s lengths every released variant is built with (250 latent frames at 16k, 345 at 44k). */
export function variantSequenceLengths(variant: MmaudioVariant): MmaudioSequenceLengths {
  return mmaudioSequenceLengths({ sampleRate: MMAUDIO_VARIANTS[variant].sampleRate, duration: 8 });
}

/** Attention head size of every variant (`hidden_dim = 64 · num_heads`). */
export const MMAUDIO_HEAD_SIZE = 64;
/** Frames per Synchformer segment: `sync_pos_emb` is [1, 1, 8, sync_dim]. */
export const SYNC_SEGMENT = 8;
