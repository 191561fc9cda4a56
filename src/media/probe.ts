/**
 * @module ffprobe's JSON → validated media facts. Everything downstream trusts these types.
 */
import { z } from 'zod';
import { WorkerError, isWorkerError } from '../errors.js';
import { INPUT_GUARDS, runBinary } from './ffmpeg.js';

/** ffprobe's numbers come as strings, numbers or "N/A": a finite number or undefined. */
export const probeNumber = z
  .union([z.string(), z.number()])
  .optional()
  .transform((v) => {
    const n = typeof v === 'number' ? v : v === undefined || v === 'N/A' ? Number.NaN : Number(v);
    return Number.isFinite(n) ? n : undefined;
  });

const StreamSchema = z
  .object({
    index: z.number().int(),
    codec_type: z.string().optional(),
    codec_name: z.string().optional(),
    width: z.number().int().optional(),
    height: z.number().int().optional(),
    pix_fmt: z.string().optional(),
    r_frame_rate: z.string().optional(),
    avg_frame_rate: z.string().optional(),
    time_base: z.string().optional(),
    start_time: probeNumber,
    duration: probeNumber,
    nb_frames: probeNumber,
    sample_rate: probeNumber,
    channels: z.number().int().optional(),
    disposition: z.object({ attached_pic: z.number().optional() }).loose().optional(),
    tags: z.record(z.string(), z.string()).optional(),
    /** Newer muxers store a phone video's turn as a display matrix here, not as a `rotate` tag. */
    side_data_list: z.array(z.object({ rotation: probeNumber }).loose()).optional(),
  })
  .loose();

/** ffprobe's `-show_format -show_streams` JSON, as far as any caller reads it. */
export const ProbeDocumentSchema = z.object({
  streams: z.array(StreamSchema).default([]),
  format: z
    .object({ format_name: z.string().optional(), duration: probeNumber, start_time: probeNumber, size: probeNumber })
    .loose()
    .optional(),
});

export interface VideoStreamInfo {
  index: number;
  codec: string;
  width: number;
  height: number;
  /** Nominal frame rate (avg, else r_frame_rate); undefined when the container does not say. */
  fps: number | undefined;
  /** The same rate as ffprobe writes it (`30000/1001`), for encoders that need it exactly. */
  rate: string | undefined;
  /** The average rate differs from the base rate: frames are not evenly spaced. */
  variableRate: boolean;
  /** Declared frame count when the container records it. */
  frames: number | undefined;
  duration: number | undefined;
  pixFmt: string | undefined;
  /** Rotation in degrees from the display matrix / rotate tag (0 when none). */
  rotation: number;
  /** When the stream's first frame is shown (seconds, the container's clock). */
  startTime: number;
}

/** The size the picture is shown at: a video turned a quarter is decoded upright by ffmpeg. */
export function displaySize(video: { width: number; height: number; rotation: number }): { width: number; height: number } {
  const quarterTurn = Math.abs(video.rotation) % 180 === 90;
  return quarterTurn ? { width: video.height, height: video.width } : { width: video.width, height: video.height };
}

export interface AudioStreamInfo {
  index: number;
  codec: string;
  sampleRate: number | undefined;
  channels: number | undefined;
  /** When the stream's first sample plays (seconds, the container's clock): not always the video's. */
  startTime: number;
}

export interface MediaInfo {
  formatName: string;
  /** Container duration, else the video stream's; undefined when neither is recorded. */
  duration: number | undefined;
  startTime: number;
  video: VideoStreamInfo;
  audio: AudioStreamInfo | undefined;
}

function rate(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const [n, d] = text.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  const r = d === undefined ? n : n / d;
  return Number.isFinite(r) && r > 0 && r < 1000 ? r : undefined;
}

function isVariable(avg: number | undefined, base: number | undefined): boolean {
  return avg !== undefined && base !== undefined && Math.abs(avg - base) / base > 0.001;
}

/** Parse ffprobe's `-show_format -show_streams` JSON. Pure; exported for tests. */
export function parseProbe(json: unknown): MediaInfo {
  const parsed = ProbeDocumentSchema.safeParse(json);
  if (!parsed.success) {
    throw new WorkerError('MEDIA_UNREADABLE', 'ffprobe returned an unexpected document', {
      details: { issues: parsed.error.issues.slice(0, 5) },
    });
  }
  const { streams, format } = parsed.data;
  const v = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic && s.width && s.height);
  if (!v?.codec_name || !v.width || !v.height) {
    throw new WorkerError('NO_VIDEO_STREAM', 'the input has no video stream', {
      details: { streams: streams.map((s) => s.codec_type ?? 'unknown') },
    });
  }
  const a = streams.find((s) => s.codec_type === 'audio' && s.codec_name);
  const rotateTag = Number(v.tags?.rotate ?? 0);
  // The container's start, else its earliest stream's: ffmpeg counts every stream from there.
  const streamStarts = streams.map((s) => s.start_time).filter((t): t is number => t !== undefined);
  const start = format?.start_time ?? (streamStarts.length > 0 ? Math.min(...streamStarts) : 0);
  const matrix = v.side_data_list?.find((d) => d.rotation !== undefined)?.rotation;
  return {
    formatName: format?.format_name ?? 'unknown',
    duration: format?.duration ?? v.duration,
    startTime: start,
    video: {
      index: v.index,
      codec: v.codec_name,
      width: v.width,
      height: v.height,
      fps: rate(v.avg_frame_rate) ?? rate(v.r_frame_rate),
      rate: rate(v.avg_frame_rate) !== undefined ? v.avg_frame_rate : rate(v.r_frame_rate) !== undefined ? v.r_frame_rate : undefined,
      variableRate: isVariable(rate(v.avg_frame_rate), rate(v.r_frame_rate)),
      frames: v.nb_frames,
      duration: v.duration,
      pixFmt: v.pix_fmt,
      rotation: matrix ?? (Number.isFinite(rotateTag) ? rotateTag : 0),
      startTime: v.start_time ?? start,
    },
    audio: a?.codec_name
      ? { index: a.index, codec: a.codec_name, sampleRate: a.sample_rate, channels: a.channels, startTime: a.start_time ?? start }
      : undefined,
  };
}

export interface ProbeOptions {
  ffprobe: string;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
}

export type ProbeDocument = z.output<typeof ProbeDocumentSchema>;

/**
 * Runs ffprobe on `file` (read through `input`, the guarded `-i …` arguments) and returns its
 * JSON, unparsed. ffprobe refusing the file is the input's fault: MEDIA_UNREADABLE, with the
 * message `unreadable` makes of the last stderr line (paths replaced by `<input>`).
 */
export async function ffprobeJson(
  file: string,
  input: readonly string[],
  o: ProbeOptions & { unreadable: (why: string) => { message: string; details?: unknown } },
): Promise<unknown> {
  let stdout: Buffer;
  try {
    ({ stdout } = await runBinary(o.ffprobe, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...input], {
      signal: o.signal,
      timeoutMs: o.timeoutMs ?? 30_000,
    }));
  } catch (e) {
    if (isWorkerError(e) && e.code === 'FFMPEG_FAILED') {
      const stderr = (e.details as { stderr?: string } | undefined)?.stderr?.trim().split('\n').pop() ?? '';
      const { message, details } = o.unreadable(stderr.replace(file, '<input>'));
      throw new WorkerError('MEDIA_UNREADABLE', message, { cause: e, ...(details === undefined ? {} : { details }) });
    }
    throw e;
  }
  try {
    return JSON.parse(stdout.toString('utf8'));
  } catch (cause) {
    throw new WorkerError('MEDIA_UNREADABLE', 'ffprobe output is not JSON', { cause });
  }
}

export async function probeMedia(file: string, o: ProbeOptions): Promise<MediaInfo> {
  const json = await ffprobeJson(file, [...INPUT_GUARDS, '-i', file], {
    ...o,
    unreadable: (why) => ({ message: `the input is not a readable media file${why ? `: ${why}` : ''}` }),
  });
  return parseProbe(json);
}
