/**
 * @module Puts the new audio with the video (or writes it alone). `buildMuxArgs` is pure so the
 * exact ffmpeg command is testable; `mux` runs it. In `mix` mode the new track is ducked under the
 * source's speech (`speech` spans, a gain envelope built here) and the original under the new track
 * (a sidechain compressor), and the sum is limited with its look-ahead delay taken back out, so
 * the mix stays sample-aligned with the video and the original.
 */
import { ffmpegNumber, inputArgs, runBinary } from './ffmpeg.js';

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
  /**
   * `audio` is already the delivered AAC track (48 kHz stereo, 192 kb/s, as below): MP4 and M4A
   * outputs copy it instead of encoding it again. Not with `mix`, which makes a new track.
   */
  audioIsDeliveryAac?: boolean | undefined;
  /**
   * `mix` only: gain (dB, ≤ 0) on the limited sum, for a second mux when the first one's AAC read
   * over the true-peak promise (the limiter holds sample peaks; AAC adds its own overshoot).
   */
  mixTrimDb?: number | undefined;
  /**
   * Speech in the source (seconds, from voice activity detection). In `mix` mode the new track is
   * lowered by `SPEECH_DUCK.gainDb` inside these spans (see `speechDuckGain`); ignored otherwise.
   */
  speech?: ReadonlyArray<readonly [number, number]> | undefined;
  /**
   * Where the source's streams start, for sources whose picture and sound do not start together
   * (a late audio track, a video delayed by B-frames without an edit list). The new track's t = 0
   * is the first video frame. `videoAtS`: when that frame shows in the output's clock (ffmpeg
   * starts the source's earliest stream at 0), so an MP4's new track starts there too.
   * `originalAtS`: when the original track starts after the first frame (negative: before it),
   * so that `mix` lays it where it was heard. Both 0 when absent.
   */
  clock?: { videoAtS: number; originalAtS: number } | undefined;
}

/** Offsets below this (seconds, a twentieth of a sample at 48 kHz) are rounding, not a gap. */
const CLOCK_EPSILON_S = 1e-6;

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

/**
 * How far `alimiter` (attack 5 ms, its default) delays its output, in samples at 48 kHz: its
 * look-ahead buffer, floor(48000 × 0.005) − 1 = 239 — measured (a click in, the click out) on
 * both the npm-shipped ffmpeg (2018 static build) and Debian's 5.1. The 2018 build has no
 * `latency` option, so the graph pads the sum by this much before the limiter and trims it off
 * after: the mix then starts with the video and keeps its last samples. `sidechaincompress`,
 * `amix`, `volume` and `aresample` add no delay (test/foley/mix-alignment.test.ts checks all of
 * it by cross-correlation, to the sample).
 */
export const LIMITER_DELAY_SAMPLES = 239;

/**
 * Ducking of the new track under the source's speech in `mix` mode, so dialogue stays
 * intelligible: −12 dB inside speech, reached by a raised-cosine ramp (shaped in dB) over the
 * 150 ms before each span starts, released over the 150 ms after it ends. Spans less than
 * `joinGapS` apart are joined (the track stays down between phrases rather than pumping), and at
 * most `maxSpans` are kept (the closest joined first) so the gain expression stays short. The
 * gain is evaluated every `stepSamples` (1 ms): at most 0.13 dB per step, no audible zipper.
 */
export const SPEECH_DUCK = { gainDb: -12, rampS: 0.15, joinGapS: 0.5, maxSpans: 128, stepSamples: 48 } as const;

/**
 * Spans as the ducking applies them: finite, start ≥ 0, sorted, overlapping or near ones joined
 * (gap < `joinGapS`, never less than two ramps so ramps cannot overlap), then the closest joined
 * until at most `maxSpans` remain.
 */
export function duckSpans(
  spans: ReadonlyArray<readonly [number, number]>,
  o: { joinGapS?: number; rampS?: number; maxSpans?: number } = {},
): Array<[number, number]> {
  const rampS = o.rampS ?? SPEECH_DUCK.rampS;
  const joinGapS = Math.max(o.joinGapS ?? SPEECH_DUCK.joinGapS, 2 * rampS);
  const maxSpans = Math.max(1, o.maxSpans ?? SPEECH_DUCK.maxSpans);
  const sorted = spans
    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && b > 0 && b > a)
    .map(([a, b]): [number, number] => [Math.max(0, a), b])
    .sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a - last[1] < joinGapS) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  while (out.length > maxSpans) {
    let k = 0;
    for (let i = 1; i < out.length - 1; i++)
      if (
        (out[i + 1] as [number, number])[0] - (out[i] as [number, number])[1] <
        (out[k + 1] as [number, number])[0] - (out[k] as [number, number])[1]
      )
        k = i;
    (out[k] as [number, number])[1] = (out[k + 1] as [number, number])[1];
    out.splice(k + 1, 1);
  }
  return out;
}

const fmt = ffmpegNumber;

/**
 * The `volume` expression (of `t`, seconds) that ducks the new track under `spans`, or undefined
 * when there is nothing to duck. Each span contributes a term that is 1 inside it and falls to 0
 * over a raised cosine on each side; joined spans never overlap within two ramps, so the sum of
 * the terms stays in [0, 1] and the gain is 10^(gainDb/20 · sum).
 */
export function speechDuckGain(spans: ReadonlyArray<readonly [number, number]>): string | undefined {
  const d = SPEECH_DUCK;
  const joined = duckSpans(spans);
  if (joined.length === 0) return undefined;
  const r = fmt(d.rampS);
  const terms = joined.map(([a, b]) => {
    const rise = `clip((t-${fmt(a - d.rampS)})/${r},0,1)`;
    const fall = `clip((${fmt(b + d.rampS)}-t)/${r},0,1)`;
    return `(0.5-0.5*cos(PI*${rise}))*(0.5-0.5*cos(PI*${fall}))`;
  });
  return `pow(10,${fmt(d.gainDb / 20)}*(${terms.join('+')}))`;
}

/** The AAC of the delivered MP4/M4A (dsp/aac-check.ts encodes its trials the same way), or a copy of it. */
/** `adelay` for both channels, in ms (fractions kept: the filter takes them). */
const delayBy = (s: number): string => `adelay=${fmt(s * 1000)}|${fmt(s * 1000)}`;

/**
 * The original track on the picture's clock: delayed when it starts after the first frame,
 * its head cut when it starts before (amix takes samples in order, whatever their timestamps).
 */
function originalOnPictureClock(originalAtS: number): string {
  if (originalAtS > CLOCK_EPSILON_S) return `,${delayBy(originalAtS)}`;
  if (originalAtS < -CLOCK_EPSILON_S) return `,asetpts=PTS-STARTPTS,atrim=start=${fmt(-originalAtS)},asetpts=PTS-STARTPTS`;
  return '';
}

function aacArgs(p: MuxPlan, mixing: boolean): string[] {
  if (p.audioIsDeliveryAac && !mixing) return ['-c:a', 'copy'];
  return ['-c:a', 'aac', '-b:a', '192k', '-ar', '48000', '-ac', '2'];
}

export function buildMuxArgs(p: MuxPlan): string[] {
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];
  const mixing = p.mode === 'mix' && p.sourceHasAudio;
  // With the video (MP4), the new track starts where the first frame shows; alone, it starts at 0.
  const videoAtS = p.format === 'mp4' ? (p.clock?.videoAtS ?? 0) : 0;
  const shiftNew = videoAtS > CLOCK_EPSILON_S;
  // Moved by timestamps (the copied track at its input, the mix at its end), like the video.
  args.push(...inputArgs(p.video), ...(shiftNew && !mixing ? ['-itsoffset', fmt(videoAtS)] : []), ...inputArgs(p.audio));
  if (mixing) {
    // The Foley keys a compressor on the original (ducking). apad: an original shorter than the
    // video (or one that fails to decode part-way) must not end the mix early. amix divides by
    // its input count; the gain after it restores unity for the new track, and the limiter keeps
    // the sum from clipping. Under speech the Foley is lowered first (short frames so the gain
    // moves smoothly), and it is this lowered Foley that keys the original's ducking.
    const d = DUCKING;
    const gain = p.speech ? speechDuckGain(p.speech) : undefined;
    const duck = gain ? `,asetnsamples=n=${SPEECH_DUCK.stepSamples}:p=0,volume='${gain}':eval=frame` : '';
    const delay = LIMITER_DELAY_SAMPLES;
    args.push(
      '-filter_complex',
      '[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo' +
        `${originalOnPictureClock(p.clock?.originalAtS ?? 0)},volume=${MIX_ORIGINAL_GAIN},apad[orig];` +
        `[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo${duck},asplit=2[fx][key];` +
        `[orig][key]sidechaincompress=threshold=${d.threshold}:ratio=${d.ratio}:attack=${d.attackMs}:release=${d.releaseMs}[ducked];` +
        `[fx][ducked]amix=inputs=2:duration=first:dropout_transition=0,volume=2,` +
        `apad=pad_len=${delay},alimiter=limit=${MIX_LIMIT}:level=false,atrim=start_sample=${delay},asetpts=PTS-STARTPTS` +
        `${p.mixTrimDb ? `,volume=${p.mixTrimDb.toFixed(2)}dB` : ''}${shiftNew ? `,asetpts=PTS+${fmt(videoAtS)}/TB` : ''}[aout]`,
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
    args.push(...aacArgs(p, mixing), '-movflags', '+faststart', '-f', 'mp4', p.out);
    return args;
  }
  args.push('-map', audioMap, '-vn');
  switch (p.format) {
    case 'wav':
      args.push('-ar', '48000', '-ac', '2', '-c:a', 'pcm_s16le', '-f', 'wav', p.out);
      break;
    case 'flac':
      args.push('-ar', '48000', '-ac', '2', '-c:a', 'flac', '-f', 'flac', p.out);
      break;
    case 'm4a':
      args.push(...aacArgs(p, mixing), '-movflags', '+faststart', '-f', 'ipod', p.out);
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
  // +genpts: AVI (and other raw streams) carry packets without timestamps, which Matroska refuses.
  const args = [
    '-hide_banner',
    '-nostdin',
    '-y',
    '-loglevel',
    'error',
    '-fflags',
    '+genpts',
    ...inputArgs(input),
    '-map',
    '0:v:0',
    '-map',
    '0:a:0?',
    '-c',
    'copy',
    '-t',
    ffmpegNumber(durationS),
    '-f',
    'matroska',
    out,
  ];
  await runBinary(opts.ffmpeg, args, { signal: opts.signal, timeoutMs: opts.timeoutMs });
}
