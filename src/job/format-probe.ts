/**
 * @module ffprobe under a format whitelist of the caller's choosing, for the still-image and audio
 * sources (the video whitelist in media/ffmpeg.ts is for videos). The protocols are the same
 * (`file,pipe`); the demuxers are named one by one and none of them is a list or playlist format
 * (no hls, concat, image2): a file cannot make ffmpeg open another file or a URL.
 */
import { WorkerError } from '../errors.js';
import { guardedInputArgs } from '../media/ffmpeg.js';
import { ffprobeJson, ProbeDocumentSchema, type ProbeDocument } from '../media/probe.js';

/**
 * Probe `file`, reading it only with the demuxers in `formats`. A file of any other format (an
 * SVG, a playlist, a WAV sent as an image) fails here: MEDIA_UNREADABLE naming `field`.
 */
export async function probeWithFormats(
  file: string,
  formats: readonly string[],
  o: { ffprobe: string; field: string; what: string; signal?: AbortSignal | undefined },
): Promise<ProbeDocument> {
  const json = await ffprobeJson(file, guardedInputArgs(file, formats), {
    ffprobe: o.ffprobe,
    signal: o.signal,
    unreadable: (why) => ({ message: `${o.field}: not a readable ${o.what}${why ? ` (${why})` : ''}`, details: { field: o.field } }),
  });
  const parsed = ProbeDocumentSchema.safeParse(json);
  if (!parsed.success)
    throw new WorkerError('MEDIA_UNREADABLE', `${o.field}: ffprobe returned an unexpected document`, { details: { field: o.field } });
  return parsed.data;
}
