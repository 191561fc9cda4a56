/**
 * @module The still image a task starts from (`image_url` | `image_base64` | `image_path`): made a
 * local file under the same guards as a video (source.ts), then probed by its content, not its
 * name, with only the PNG, JPEG and WebP demuxers allowed. An SVG, an HTML page, a playlist or an
 * audio file sent as the image is refused naming the field; so is an image over MAX_PIXELS.
 */
import { open } from 'node:fs/promises';
import { WorkerError } from '../errors.js';
import { EXIF_HEAD_BYTES, jpegOrientation, swapsSides, type Orientation } from '../media/exif-orientation.js';
import type { TaskDeps, TaskJob } from './task.js';
import { namedSourceField, type NamedSource } from './fields.js';
import { probeWithFormats } from './format-probe.js';
import { materializeNamedSource } from './source.js';
import { jobSourceOptions } from './source-options.js';

/**
 * The image demuxers allowed: each reads one picture from one file (the `_pipe` demuxers probe
 * content; `image2`, which expands file-name patterns into sequences, is not among them).
 */
export const IMAGE_FORMATS = ['png_pipe', 'jpeg_pipe', 'webp_pipe'] as const;
const IMAGE_CODECS = new Set(['png', 'mjpeg', 'webp']);

/** The demuxer for a file's first bytes: PNG's signature, JPEG's SOI marker, a RIFF WEBP header. */
export function sniffImageFormat(head: Uint8Array): (typeof IMAGE_FORMATS)[number] | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png_pipe';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg_pipe';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'webp_pipe';
  return undefined;
}

async function head(file: string, bytes: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export interface PreparedImage {
  file: string;
  /** The picture upright (after its EXIF orientation): what the result's aspect follows. */
  width: number;
  height: number;
  /** The pixels as stored. */
  storedWidth: number;
  storedHeight: number;
  /** A JPEG's EXIF orientation (1 for upright, and for PNG and WebP). */
  orientation: Orientation;
  /** The pixels carry transparency (an alpha channel, or a palette with transparent entries). */
  alpha: boolean;
  /** The demuxer that reads it (forced, with the whitelist): png_pipe, jpeg_pipe or webp_pipe. */
  format: string;
  field: string;
}

export async function prepareImage(input: NamedSource<'image'>, job: TaskJob, deps: TaskDeps): Promise<PreparedImage> {
  const field = namedSourceField('image', input);
  const file = await materializeNamedSource('image', input, jobSourceOptions(deps, job), 'image.bin');
  // The format from the content, then forced (`-f`): ffmpeg's own probe would pick the list
  // demuxer image2 for a file named .jpg, and the name is the sender's to choose.
  const start = await head(file, EXIF_HEAD_BYTES);
  const sniffed = sniffImageFormat(start);
  if (!sniffed) throw new WorkerError('MEDIA_UNREADABLE', `${field}: not a PNG, JPEG or WebP image`, { details: { field } });
  const p = await probeWithFormats(file, [sniffed], {
    ffprobe: deps.binaries().ffprobe,
    field,
    what: 'PNG, JPEG or WebP image',
    signal: job.ctx.signal,
  });
  const format = p.format?.format_name ?? '';
  const v = p.streams.find((s) => s.codec_type === 'video' && s.width && s.height);
  if (!(IMAGE_FORMATS as readonly string[]).includes(format) || !v?.width || !v.height || !IMAGE_CODECS.has(v.codec_name ?? '')) {
    throw new WorkerError('MEDIA_UNREADABLE', `${field}: not a PNG, JPEG or WebP image`, { details: { field, format } });
  }
  const maxPixels = deps.config.limits.maxPixels;
  if (v.width * v.height > maxPixels) {
    throw new WorkerError(
      'VIDEO_TOO_LARGE',
      `${field}: the image is ${v.width}×${v.height}, over the ${maxPixels}-pixel limit (MAX_PIXELS)`,
      {
        details: { field, width: v.width, height: v.height, limit: maxPixels },
      },
    );
  }
  const orientation = sniffed === 'jpeg_pipe' ? jpegOrientation(start) : 1;
  const [width, height] = swapsSides(orientation) ? [v.height, v.width] : [v.width, v.height];
  // pal8: a PNG palette may hold transparent entries (tRNS), which ffmpeg decodes as alpha.
  const alpha = /^(rgba|bgra|argb|abgr|ya|yuva|gbrap|pal8)/.test(v.pix_fmt ?? '');
  return { file, width, height, storedWidth: v.width, storedHeight: v.height, orientation, alpha, format: sniffed, field };
}
