/**
 * @module The picture as MMAudio's two visual encoders take it, from one decode of the source:
 * CLIP's frames at 8 fps, squashed to a square (384² for DFN5B, whose stride-14 patches use the
 * top-left 378²: the crop is done here), and Synchformer's at 25 fps, the short side scaled to 224
 * and centre-cropped — both bicubic, as upstream's torchvision transforms are, whatever the
 * source's own rate. Both streams go to raw rgb24 files in the job's folder (a 40 s clip is about
 * 150 MB of each), read back a window at a time by offset, so memory holds one window's frames.
 * A still gives one CLIP frame and no sync frames (MMAudio's image mode).
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkerError } from '../../../../errors.js';
import { uprightFilter, type Orientation } from '../../../../media/exif-orientation.js';
import { ffmpegNumber, guardedInputArgs, inputArgs, runBinary } from '../../../../media/ffmpeg.js';

export const CLIP_FPS = 8;
export const SYNC_FPS = 25;

/** How the 8 fps picture stream is made for an image encoder: squashed to a square, then cropped top-left. */
export interface PictureStream {
  /** The encoder's input side: what is kept. */
  side: number;
  /** The square the frame is squashed to first (≥ side). */
  squashTo: number;
  flags: 'bicubic' | 'bilinear';
}

/** MMAudio resizes CLIP's input to 384 for a 378-pixel network: squashed to the network's side · 384/378, bicubic. */
export function clipPictureStream(side: number): PictureStream {
  return { side, squashTo: Math.round((side * 384) / 378), flags: 'bicubic' };
}

/** A raw rgb24 frame file of square frames. */
export interface FrameFile {
  file: string;
  /** Pixels per side. */
  side: number;
  count: number;
}

export interface DecodedFrames {
  clip: FrameFile;
  /** Absent for a still. */
  sync?: FrameFile | undefined;
}

export interface DecodeOptions {
  ffmpeg: string;
  workDir: string;
  /** The image encoder's stream (CLIP: 378 of 384², bicubic) and Synchformer's side (224). */
  picture: PictureStream;
  syncSide: number;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

/** ffmpeg says nothing but errors, reads no stdin. */
const QUIET = ['-hide_banner', '-nostdin', '-loglevel', 'error'];

async function frameCount(file: string, side: number): Promise<number> {
  const handle = await open(file, 'r');
  try {
    return Math.floor((await handle.stat()).size / (side * side * 3));
  } finally {
    await handle.close();
  }
}

function pictureChain(p: PictureStream): string {
  return `scale=${p.squashTo}:${p.squashTo}:flags=${p.flags},crop=${p.side}:${p.side}:0:0,format=rgb24`;
}

/** Decodes the first `durationS` seconds of a video into both frame files. */
export async function decodeVideoFrames(o: DecodeOptions & { file: string; durationS: number }): Promise<DecodedFrames> {
  const clip = join(o.workDir, 'mmaudio-clip.rgb');
  const sync = join(o.workDir, 'mmaudio-sync.rgb');
  const s = o.syncSide;
  const filter =
    `[0:v:0]split=2[c][s];[c]fps=${CLIP_FPS},${pictureChain(o.picture)}[co];` +
    `[s]fps=${SYNC_FPS},scale=${s}:${s}:force_original_aspect_ratio=increase:flags=bicubic,crop=${s}:${s},format=rgb24[so]`;
  const raw = (label: string, file: string) => ['-map', label, '-an', '-sn', '-dn', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-y', file];
  await runBinary(
    o.ffmpeg,
    [
      ...QUIET,
      ...inputArgs(o.file),
      '-t',
      ffmpegNumber(o.durationS),
      '-filter_complex',
      filter,
      ...raw('[co]', clip),
      ...raw('[so]', sync),
    ],
    { signal: o.signal, timeoutMs: o.timeoutMs },
  );
  const out: DecodedFrames = {
    clip: { file: clip, side: o.picture.side, count: await frameCount(clip, o.picture.side) },
    sync: { file: sync, side: s, count: await frameCount(sync, s) },
  };
  if (out.clip.count === 0) throw new WorkerError('MEDIA_UNREADABLE', 'no video frame could be decoded');
  return out;
}

/** One CLIP frame of a still image (upright, as its EXIF orientation says). */
export async function decodeStillFrame(
  o: DecodeOptions & { file: string; format: string; orientation: Orientation },
): Promise<DecodedFrames> {
  const clip = join(o.workDir, 'mmaudio-still.rgb');
  const upright = uprightFilter(o.orientation);
  const chain = [upright, pictureChain(o.picture)].filter((f) => f !== '').join(',');
  await runBinary(
    o.ffmpeg,
    [
      ...QUIET,
      '-noautorotate',
      ...guardedInputArgs(o.file, [o.format]),
      '-frames:v',
      '1',
      '-vf',
      chain,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-y',
      clip,
    ],
    { signal: o.signal, timeoutMs: o.timeoutMs },
  );
  const count = await frameCount(clip, o.picture.side);
  if (count === 0) throw new WorkerError('MEDIA_UNREADABLE', 'the image could not be decoded');
  return { clip: { file: clip, side: o.picture.side, count } };
}

/** Frames [from, from + count) of a frame file (fewer at its end), rgb24, concatenated. */
export async function readFrames(f: FrameFile, from: number, count: number): Promise<Uint8Array> {
  const frameBytes = f.side * f.side * 3;
  const n = Math.max(0, Math.min(count, f.count - from));
  const out = new Uint8Array(n * frameBytes);
  if (n === 0) return out;
  const handle = await open(f.file, 'r');
  try {
    await handle.read(out, 0, out.length, from * frameBytes);
  } finally {
    await handle.close();
  }
  return out;
}
