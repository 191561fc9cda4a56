/**
 * @module The Foley track made deliverable, whatever engine rendered it: mastered when the engine
 * did not (master-track.ts), checked through AAC when it goes out AAC-encoded as it is, muxed with
 * the source (or left as the WAV that is the result, or encoded alone when there is no source),
 * and, for a `mix`, measured on the delivered file and muxed again a little lower when the sum's
 * AAC reads over the true-peak promise.
 */
import { join } from 'node:path';
import { WorkerError } from '../../errors.js';
import { runBinary } from '../../media/ffmpeg.js';
import { canCopyIntoMp4, mux, type AudioMode, type MuxPlan, type OutputFormat } from '../../media/mux.js';
import type { MediaInfo } from '../../media/probe.js';
import { AAC_DELIVERY_ARGS, keepPeakThroughAac, truePeakOf } from '../../pipelines/foley/dsp/aac-check.js';
import type { EngineJob, FoleyTrack } from '../../pipelines/foley/engines/engine.js';
import { DELIVERED_PEAK_DBTP } from '../../pipelines/foley/master.js';
import { masterTrack } from '../../pipelines/foley/master-track.js';

export interface DeliverTrackOptions {
  track: FoleyTrack;
  /** The source video and its probe; absent for a track without a picture (audio formats only). */
  source?: { file: string; media: MediaInfo } | undefined;
  format: OutputFormat;
  mode: AudioMode;
  /** Speech spans of the source (s, picture clock): ducked under in a `mix`. */
  speech: ReadonlyArray<readonly [number, number]>;
  workDir: string;
  run: { ffmpeg: string; signal: AbortSignal; timeoutMs: number };
  job: EngineJob;
}

export interface DeliveredTrack {
  /** The result file. */
  file: string;
  /** The result's `loudness` fields: the mastering's, then the delivery's checks. */
  loudness: Record<string, unknown>;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** A WAV of the new track alone is the result as it is: no remux through ffmpeg. */
export function wavIsResult(format: OutputFormat, mode: AudioMode): boolean {
  return format === 'wav' && mode === 'replace';
}

/** The track goes out AAC-encoded as it is (nothing mixed in): its true peak is checked as encoded. */
export function aacAsIs(format: OutputFormat, mode: AudioMode): boolean {
  return (format === 'mp4' || format === 'm4a') && mode === 'replace';
}

export async function deliverTrack(o: DeliverTrackOptions): Promise<DeliveredTrack> {
  const { format, run, job } = o;
  const media = o.source?.media;
  // Without a source there is nothing to mix with: the track is alone.
  const mode = media ? o.mode : 'replace';
  if (!media && format === 'mp4')
    throw new WorkerError('INVALID_INPUT', 'output_format: "mp4" needs a video; use "wav", "flac" or "m4a"', {
      details: { field: 'output_format' },
    });
  if (media && format === 'mp4' && !canCopyIntoMp4(media.video.codec)) {
    job.warnings.push(`${media.video.codec} video cannot be stored in MP4 as it is: re-encoded to H.264`);
  }
  if (o.mode === 'mix' && !media?.audio) job.warnings.push('audio_mode "mix": the input has no audio track, so the new track is alone');
  let { wav, encoded } = o.track;
  let loudness: Record<string, unknown> = { ...o.track.loudness };
  if (!o.track.mastered) {
    const t = performance.now();
    wav = join(o.workDir, 'mastered.wav');
    const m = await masterTrack({ ...run, wav: o.track.wav, out: wav, sampleFormat: wavIsResult(format, mode) ? 's16' : 'f32' });
    loudness = { lufs: round2(m.lufs), true_peak_dbtp: round2(m.truePeakDbtp), gain_db: round2(m.gainDb), rule: m.rule };
    // An encoding of the unmastered samples is not the delivered track.
    encoded = undefined;
    job.mark('master', t);
  }
  if (aacAsIs(format, mode) && encoded === undefined) {
    const aac = await keepPeakThroughAac(wav, { ...run, keepEncoded: join(o.workDir, 'track.m4a') });
    encoded = aac.encoded;
    loudness = {
      ...loudness,
      lufs: round2(Number(loudness.lufs) + aac.trimDb),
      true_peak_dbtp: round2(aac.aacTruePeakDbtp),
      ...(aac.trimDb !== 0 ? { aac_trim_db: round2(aac.trimDb) } : {}),
    };
  }
  if (wavIsResult(format, mode)) return { file: wav, loudness };
  const t = performance.now();
  const out = join(o.workDir, `result.${format}`);
  if (!o.source || !media) {
    await encodeAlone({ audio: encoded ?? wav, encoded: encoded !== undefined, out, format }, run);
    job.mark('mux', t);
    return { file: out, loudness };
  }
  const plan: MuxPlan = {
    video: o.source.file,
    // The AAC check's encoding is the delivered track: copied, not encoded again.
    audio: encoded ?? wav,
    audioIsDeliveryAac: encoded !== undefined,
    out,
    format,
    mode,
    videoCodec: media.video.codec,
    sourceHasAudio: media.audio !== undefined,
    speech: o.speech,
    clock: {
      videoAtS: media.video.startTime - media.startTime,
      originalAtS: media.audio ? media.audio.startTime - media.video.startTime : 0,
    },
  };
  await mux(plan, run);
  // A mix is a new track the AAC check has not seen: its limiter holds sample peaks, AAC adds
  // overshoot. Measured on the delivered file; over the promise, muxed again a little lower.
  if (mode === 'mix' && plan.sourceHasAudio && (format === 'mp4' || format === 'm4a')) {
    let mixed = { truePeakDbtp: await truePeakOf(out, run), trimDb: 0 };
    for (let tries = 0; tries < 2 && mixed.truePeakDbtp > DELIVERED_PEAK_DBTP; tries++) {
      const trimDb: number = mixed.trimDb + DELIVERED_PEAK_DBTP - 0.2 - mixed.truePeakDbtp;
      await mux({ ...plan, mixTrimDb: trimDb }, run);
      mixed = { truePeakDbtp: await truePeakOf(out, run), trimDb };
    }
    loudness = {
      ...loudness,
      mix_true_peak_dbtp: round2(mixed.truePeakDbtp),
      ...(mixed.trimDb !== 0 ? { mix_trim_db: round2(mixed.trimDb) } : {}),
    };
  }
  job.mark('mux', t);
  return { file: out, loudness };
}

/** The track alone in an audio format, for a track without a source video to mux with. */
async function encodeAlone(
  o: { audio: string; encoded: boolean; out: string; format: OutputFormat },
  run: DeliverTrackOptions['run'],
): Promise<void> {
  const head = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-i', o.audio, '-map', '0:a:0', '-vn'];
  // The AAC check's encoding is the delivered track: copied, not encoded again.
  const codec =
    o.format === 'flac'
      ? ['-ar', '48000', '-ac', '2', '-c:a', 'flac', '-f', 'flac']
      : o.format === 'wav'
        ? ['-ar', '48000', '-ac', '2', '-c:a', 'pcm_s16le', '-f', 'wav']
        : [...(o.encoded ? ['-c:a', 'copy'] : AAC_DELIVERY_ARGS), '-movflags', '+faststart', '-f', 'ipod'];
  await runBinary(run.ffmpeg, [...head, ...codec, o.out], run);
}
