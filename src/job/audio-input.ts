/**
 * @module The audio track a task starts from (`audio_url` | `audio_base64` | `audio_path`): made a
 * local file under the same guards as a video (source.ts), then probed by its content with only
 * single-file audio demuxers allowed. An image sent as the audio (or a file without an audio
 * stream) is refused naming the field; a track over MAX_DURATION_S is refused like a video.
 */
import { WorkerError } from '../errors.js';
import type { TaskDeps, TaskJob } from './task.js';
import { namedSourceField, type NamedSource } from './fields.js';
import { measureStreamLength } from '../media/measure.js';
import { guardedInputArgs } from '../media/ffmpeg.js';
import { probeWithFormats } from './format-probe.js';
import { materializeNamedSource } from './source.js';
import { jobSourceOptions } from './source-options.js';

/**
 * The audio demuxers allowed. Each reads one file's own packets: raw streams (mp3, aac ADTS,
 * flac), RIFF WAV, and the containers a video may also come in (Ogg, MP4/M4A, Matroska/WebM;
 * `mov` opens external data references only when `enable_drefs` is set, which we never set). No
 * playlist or list format (hls, concat, image2) is among them.
 */
export const AUDIO_FORMATS = ['wav', 'mp3', 'flac', 'aac', 'ogg', 'mov', 'matroska'] as const;

export interface PreparedAudio {
  file: string;
  field: string;
  codec: string;
  /** The container's duration, or the measured one when it records none (the decoded length is what counts). */
  duration: number;
}

export async function prepareAudio(input: NamedSource<'audio'>, job: TaskJob, deps: TaskDeps): Promise<PreparedAudio> {
  const field = namedSourceField('audio', input);
  const file = await materializeNamedSource('audio', input, jobSourceOptions(deps, job), 'audio.bin');
  const p = await probeWithFormats(file, AUDIO_FORMATS, {
    ffprobe: deps.binaries().ffprobe,
    field,
    what: 'audio file (WAV, MP3, AAC, M4A, FLAC, Ogg, Matroska)',
    signal: job.ctx.signal,
  });
  const a = p.streams.find((s) => s.codec_type === 'audio' && s.codec_name);
  if (!a?.codec_name) {
    throw new WorkerError('MEDIA_UNREADABLE', `${field}: the file has no audio stream`, {
      details: { field, streams: p.streams.map((s) => s.codec_type ?? 'unknown') },
    });
  }
  const { maxDurationS } = deps.config.limits;
  let duration = p.format?.duration ?? a.duration;
  let stoppedAtLimit = false;
  if (duration === undefined) {
    // Raw FLAC or Ogg written to a pipe says nothing of its length: its packets are counted up to
    // the limit (no decode), so a day of audio is refused in a fraction of a second.
    const measured = await measureStreamLength({
      ffmpeg: deps.binaries().ffmpeg,
      input: guardedInputArgs(file, AUDIO_FORMATS),
      stream: 'a',
      capS: maxDurationS + 1,
      signal: job.ctx.signal,
      timeoutMs: deps.config.ffmpegTimeoutMs,
    });
    duration = measured.seconds;
    stoppedAtLimit = measured.longer;
  }
  if (duration > maxDurationS) {
    const length = stoppedAtLimit ? 'does not declare its length and runs past' : `is ${duration.toFixed(1)} s, over`;
    throw new WorkerError('VIDEO_TOO_LONG', `${field}: the audio ${length} the ${maxDurationS}-second limit (MAX_DURATION_S)`, {
      details: { field, duration, limit: maxDurationS, ...(stoppedAtLimit ? { stopped_at_limit: true } : {}) },
    });
  }
  return { file, field, codec: a.codec_name, duration };
}
