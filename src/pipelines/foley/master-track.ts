/**
 * @module Mastering for a track an engine did not master itself (a learned engine's raw output):
 * one gain that brings it to the delivery loudness (−16 LUFS) without its true peak passing the
 * limiter's ceiling, measured and applied by ffmpeg (ebur128, then `volume`). No limiter: a track
 * whose peaks stand far above its loudness comes out quieter than −16 rather than squashed. The
 * procedural engine masters its own stems (master.ts); this sees only a finished WAV.
 */
import { runBinary } from '../../media/ffmpeg.js';
import type { WavSampleFormat } from '../../media/wav.js';
import { LIMITER_CEILING_DBTP, TARGET_LUFS } from './master.js';

export interface TrackLevels {
  /** Integrated loudness (LUFS; −Infinity for silence). */
  lufs: number;
  /** True peak (dBTP; −Infinity for silence). */
  truePeakDbtp: number;
}

export interface MasterTrackOptions {
  ffmpeg: string;
  /** The engine's WAV. */
  wav: string;
  /** Where the mastered WAV goes. */
  out: string;
  sampleFormat: WavSampleFormat;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

export interface MasteredTrack extends TrackLevels {
  /** The gain applied (dB). */
  gainDb: number;
  /** What set it: the loudness target, the true-peak ceiling, or nothing to lift (silence). */
  rule: 'target' | 'peak' | 'silence';
}

/** The delivery's rate (48 kHz stereo, as the procedural engine writes). */
const DELIVERY_RATE = 48_000;

const num = (v: string | undefined): number => (v === undefined || v === '-inf' ? Number.NEGATIVE_INFINITY : Number(v));

/** Integrated loudness and true peak of a file's first audio stream, by ffmpeg's ebur128. */
export async function measureLevels(
  file: string,
  o: { ffmpeg: string; signal?: AbortSignal | undefined; timeoutMs: number },
): Promise<TrackLevels> {
  const { stderrTail } = await runBinary(
    o.ffmpeg,
    ['-hide_banner', '-nostdin', '-nostats', '-i', file, '-map', '0:a:0', '-af', 'ebur128=peak=true', '-f', 'null', '-'],
    o,
  );
  const summary = stderrTail.slice(stderrTail.lastIndexOf('Summary:'));
  const lufs = /I:\s+(-?[\d.]+|-inf) LUFS/.exec(summary)?.[1];
  const peak = /True peak:\s+Peak:\s+(-?[\d.]+|-inf)/.exec(summary)?.[1];
  if (lufs === undefined || peak === undefined) throw new Error(`no ebur128 summary in: ${summary.slice(0, 300)}`);
  // ebur128 reads −70 (its gate) for silence.
  const i = num(lufs);
  return { lufs: i <= -70 ? Number.NEGATIVE_INFINITY : i, truePeakDbtp: num(peak) };
}

/** Writes `out`: `wav` at the gain that masters it. */
export async function masterTrack(o: MasterTrackOptions): Promise<MasteredTrack> {
  const run = { ffmpeg: o.ffmpeg, signal: o.signal, timeoutMs: o.timeoutMs };
  const before = await measureLevels(o.wav, run);
  const toTarget = TARGET_LUFS - before.lufs;
  const toCeiling = LIMITER_CEILING_DBTP - before.truePeakDbtp;
  const silent = !Number.isFinite(toTarget) || !Number.isFinite(toCeiling);
  const gainDb = silent ? 0 : Math.min(toTarget, toCeiling);
  const rule: MasteredTrack['rule'] = silent ? 'silence' : toTarget <= toCeiling ? 'target' : 'peak';
  const codec = o.sampleFormat === 's16' ? 'pcm_s16le' : 'pcm_f32le';
  await runBinary(
    o.ffmpeg,
    [
      '-hide_banner',
      '-nostdin',
      '-y',
      '-loglevel',
      'error',
      '-i',
      o.wav,
      '-map',
      '0:a:0',
      '-af',
      // Delivered as every Foley track is, whatever rate the engine made (MMAudio: 16 or 44.1 kHz mono).
      `volume=${gainDb.toFixed(4)}dB,aresample=${DELIVERY_RATE},aformat=channel_layouts=stereo`,
      '-c:a',
      codec,
      '-f',
      'wav',
      o.out,
    ],
    run,
  );
  return { lufs: before.lufs + gainDb, truePeakDbtp: before.truePeakDbtp + gainDb, gainDb, rule };
}
