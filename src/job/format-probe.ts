/**
 * @module ffprobe under a format whitelist of the caller's choosing, for the still-image and audio
 * sources (the video whitelist in media/ffmpeg.ts is for videos). The protocols are the same
 * (`file,pipe`); the demuxers are named one by one and none of them is a list or playlist format
 * (no hls, concat, image2): a file cannot make ffmpeg open another file or a URL.
 */
import { z } from 'zod';
import { WorkerError, isWorkerError } from '../errors.js';
import { PROTOCOL_WHITELIST, runBinary } from '../media/ffmpeg.js';
import { probeNumber } from '../media/probe.js';

/**
 * The options that must precede an input read with `formats` only. A single format is also forced
 * (`-f`), so ffmpeg does not first pick a demuxer by the file's name.
 */
export function guardedInputArgs(file: string, formats: readonly string[]): string[] {
  return ['-protocol_whitelist', PROTOCOL_WHITELIST, '-format_whitelist', formats.join(','), ...(formats.length === 1 ? ['-f', formats[0] as string] : []), '-i', file];
}

const num = probeNumber;

const ProbeSchema = z.object({
  streams: z
    .array(
      z
        .object({
          index: z.number().int(),
          codec_type: z.string().optional(),
          codec_name: z.string().optional(),
          width: z.number().int().optional(),
          height: z.number().int().optional(),
          sample_rate: num,
          channels: z.number().int().optional(),
          duration: num,
        })
        .loose(),
    )
    .default([]),
  format: z.object({ format_name: z.string().optional(), duration: num }).loose().optional(),
});

export type GuardedProbe = z.output<typeof ProbeSchema>;

/**
 * Probe `file`, reading it only with the demuxers in `formats`. A file of any other format (an
 * SVG, a playlist, a WAV sent as an image) fails here: MEDIA_UNREADABLE naming `field`.
 */
export async function probeWithFormats(file: string, formats: readonly string[], o: { ffprobe: string; field: string; what: string; signal?: AbortSignal | undefined }): Promise<GuardedProbe> {
  let stdout: Buffer;
  try {
    ({ stdout } = await runBinary(o.ffprobe, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...guardedInputArgs(file, formats)], { signal: o.signal, timeoutMs: 30_000 }));
  } catch (e) {
    if (isWorkerError(e) && e.code === 'FFMPEG_FAILED') {
      const stderr = (e.details as { stderr?: string } | undefined)?.stderr?.trim().split('\n').pop() ?? '';
      throw new WorkerError('MEDIA_UNREADABLE', `${o.field}: not a readable ${o.what}${stderr ? ` (${stderr.replace(file, '<input>')})` : ''}`, { cause: e, details: { field: o.field } });
    }
    throw e;
  }
  const parsed = ProbeSchema.safeParse(JSON.parse(stdout.toString('utf8') || '{}'));
  if (!parsed.success) throw new WorkerError('MEDIA_UNREADABLE', `${o.field}: ffprobe returned an unexpected document`, { details: { field: o.field } });
  return parsed.data;
}
