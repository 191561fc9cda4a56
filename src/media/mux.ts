/**
 * @module Puts the new audio with the video (or writes it alone). `buildMuxArgs` is pure so the
 * exact ffmpeg command is testable; `mux` runs it.
 */
import { inputArgs, runBinary } from './ffmpeg.js';

export type OutputFormat = 'mp4' | 'wav' | 'flac' | 'm4a';
export type AudioMode = 'replace' | 'mix';

/** Video codecs MP4 can carry as they are; anything else (VP8, Theora, …) is re-encoded to H.264. */
const MP4_VIDEO_CODECS = new Set(['h264', 'hevc', 'av1', 'vp9', 'mpeg4', 'mpeg2video', 'mpeg1video']);

export function canCopyIntoMp4(codec: string): boolean {
  return MP4_VIDEO_CODECS.has(codec);
}

/** Audio codecs MP4 can carry as they are; others (Vorbis, PCM, …) are re-encoded to AAC. */
const MP4_AUDIO_CODECS = new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac']);

export function canCopyAudioIntoMp4(codec: string): boolean {
  return MP4_AUDIO_CODECS.has(codec);
}

export interface MuxPlan {
  video: string;
  audio: string;
  out: string;
  format: OutputFormat;
  mode: AudioMode;
  /** The source's video codec (decides copy vs re-encode for mp4). */
  videoCodec: string;
  /** True when the source has an audio stream to mix under the new one. */
  sourceHasAudio: boolean;
}

/** Level of the original track under the new one in `mix` mode (−6 dB), before ducking. */
export const MIX_ORIGINAL_GAIN = 0.5;

/**
 * Ducking of the original under the new track in `mix` mode: a sidechain compressor keyed by the
 * Foley. The threshold (−26 dBFS RMS) sits above the engine's bed (≤ −30 LUFS after mastering) and
 * under its events, so the original dips (up to ~12 dB) when a sound hits and comes back over a
 * quarter second, instead of the two fighting.
 */
export const DUCKING = { threshold: 0.05, ratio: 4, attackMs: 5, releaseMs: 250 } as const;

/** Sample-peak limit of the `mix` sum (−2 dBFS: room for inter-sample peaks and the AAC encoder). */
export const MIX_LIMIT = 0.79;

export function buildMuxArgs(p: MuxPlan): string[] {
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];
  args.push(...inputArgs(p.video), ...inputArgs(p.audio));
  const mixing = p.mode === 'mix' && p.sourceHasAudio;
  if (mixing) {
    // The Foley keys a compressor on the original (ducking). apad: an original shorter than the
    // video (or one that fails to decode part-way) must not end the mix early. amix divides by
    // its input count; the gain after it restores unity for the new track, and the limiter keeps
    // the sum from clipping.
    const d = DUCKING;
    args.push(
      '-filter_complex',
      `[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,volume=${MIX_ORIGINAL_GAIN},apad[orig];` +
        `[1:a:0]aformat=sample_fmts=fltp:channel_layouts=stereo,asplit=2[fx][key];` +
        `[orig][key]sidechaincompress=threshold=${d.threshold}:ratio=${d.ratio}:attack=${d.attackMs}:release=${d.releaseMs}[ducked];` +
        `[fx][ducked]amix=inputs=2:duration=first:dropout_transition=0,volume=2,alimiter=limit=${MIX_LIMIT}:level=false[aout]`,
    );
  }
  const audioMap = mixing ? '[aout]' : '1:a:0';
  if (p.format === 'mp4') {
    args.push('-map', '0:v:0', '-map', audioMap);
    if (canCopyIntoMp4(p.videoCodec)) {
      args.push('-c:v', 'copy');
      // Apple players want the hvc1 tag for HEVC in MP4.
      if (p.videoCodec === 'hevc') args.push('-tag:v', 'hvc1');
    } else {
      args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p', '-vsync', 'passthrough');
    }
    args.push('-c:a', 'aac', '-b:a', '192k', '-ar', '48000', '-ac', '2', '-movflags', '+faststart', '-f', 'mp4', p.out);
    return args;
  }
  args.push('-map', audioMap, '-vn', '-ar', '48000', '-ac', '2');
  switch (p.format) {
    case 'wav':
      args.push('-c:a', 'pcm_s16le', '-f', 'wav', p.out);
      break;
    case 'flac':
      args.push('-c:a', 'flac', '-f', 'flac', p.out);
      break;
    case 'm4a':
      args.push('-c:a', 'aac', '-b:a', '192k', '-movflags', '+faststart', '-f', 'ipod', p.out);
      break;
  }
  return args;
}

export interface MuxOptions {
  ffmpeg: string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

export async function mux(plan: MuxPlan, opts: MuxOptions): Promise<void> {
  await runBinary(opts.ffmpeg, buildMuxArgs(plan), { signal: opts.signal, timeoutMs: opts.timeoutMs });
}

/**
 * Copy the first `durationS` seconds of every stream into a Matroska file (which holds any codec).
 * Stream copy cannot cut between B-frames, so the result may run a frame or two past `durationS`;
 * the engine then analyses this file, so the new audio matches the frames that are really there.
 */
export async function trimCopy(input: string, out: string, durationS: number, opts: MuxOptions): Promise<void> {
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...inputArgs(input), '-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', '-t', String(durationS), '-f', 'matroska', out];
  await runBinary(opts.ffmpeg, args, { signal: opts.signal, timeoutMs: opts.timeoutMs });
}
