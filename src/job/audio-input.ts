/**
 * @module The audio track a task starts from (`audio_url` | `audio_base64` | `audio_path`): made a
 * local file under the same guards as a video (source.ts), then probed by its content with only
 * single-file audio demuxers allowed. An image sent as the audio (or a file without an audio
 * stream) is refused naming the field; a track over MAX_DURATION_S is refused like a video.
 */
import { WorkerError } from '../errors.js';
import type { TaskDeps, TaskJob } from '../tasks/task.js';
import { namedSourceField, type NamedSource } from './fields.js';
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
  /** The container's duration, when it records one (the decoded length is what counts). */
  duration: number | undefined;
}

export async function prepareAudio(input: NamedSource<'audio'>, job: TaskJob, deps: TaskDeps): Promise<PreparedAudio> {
  const field = namedSourceField('audio', input);
  const file = await materializeNamedSource('audio', input, jobSourceOptions(deps, job), 'audio.bin');
  const p = await probeWithFormats(file, AUDIO_FORMATS, { ffprobe: deps.binaries().ffprobe, field, what: 'audio file (WAV, MP3, AAC, M4A, FLAC, Ogg, Matroska)', signal: job.ctx.signal });
  const a = p.streams.find((s) => s.codec_type === 'audio' && s.codec_name);
  if (!a?.codec_name) {
    throw new WorkerError('MEDIA_UNREADABLE', `${field}: the file has no audio stream`, { details: { field, streams: p.streams.map((s) => s.codec_type ?? 'unknown') } });
  }
  const duration = p.format?.duration ?? a.duration;
  const { maxDurationS } = deps.config.limits;
  if (duration !== undefined && duration > maxDurationS) {
    throw new WorkerError('VIDEO_TOO_LONG', `${field}: the audio is ${duration.toFixed(1)} s, over the ${maxDurationS}-second limit (MAX_DURATION_S)`, {
      details: { field, duration, limit: maxDurationS },
    });
  }
  return { file, field, codec: a.codec_name, duration };
}
