/**
 * @module Real footage for super-resolution quality, shared by the quality test and the bench:
 * frames from real videos and photos are cropped (the "original"), shrunk by the scale with
 * bicubic (the "low-res" input), and grown back with bicubic (the baseline); a model's upscale of
 * the low-res frame is then scored against the original next to the baseline's — the standard
 * ×s bicubic-degradation protocol of SR papers, on our own footage.
 *
 * The footage: Debian's `opencv-doc` (videos of pedestrians, an animated film, a tree; photos
 * including Set14's baboon) and, where it is beside the repo, ../shared/media. Nothing here is
 * generated: a test image from lavfi would say nothing about real pictures.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../src/config.js';
import { FrameUpscaler, type SrModel } from '../src/pipelines/upscale/frame-upscaler.js';
import { psnr, sharpness, ssim, type RgbImage } from '../src/pipelines/upscale/quality.js';

const run = promisify(execFile);

export const OPENCV_DATA = '/usr/share/doc/opencv-doc/examples/data';
/** ../shared/media beside the repository (this file runs from bench/ and from dist/bench/). */
export const SHARED_MEDIA = join(dirname(packageRoot()), 'shared', 'media');

export interface FootageSource {
  name: string;
  file: string;
  /** Frames to take: a video gives several, spread out (from `start`, every `every`); a photo one. */
  frames: number;
  start: number;
  every: number;
}

// Starts skip the black or faded openings (Megamind, Big Buck Bunny).
const CANDIDATES: ReadonlyArray<{ dir: 'opencv' | 'shared'; file: string; frames: number; start: number; every: number }> = [
  { dir: 'opencv', file: 'vtest.avi', frames: 3, start: 100, every: 250 },
  { dir: 'opencv', file: 'Megamind.avi', frames: 3, start: 30, every: 100 },
  { dir: 'opencv', file: 'tree.avi', frames: 2, start: 10, every: 40 },
  { dir: 'opencv', file: 'baboon.jpg', frames: 1, start: 0, every: 1 },
  { dir: 'opencv', file: 'fruits.jpg', frames: 1, start: 0, every: 1 },
  { dir: 'opencv', file: 'butterfly.jpg', frames: 1, start: 0, every: 1 },
  { dir: 'shared', file: 'chaplin.mp4', frames: 3, start: 20, every: 100 },
  { dir: 'shared', file: 'big_buck_bunny_0_30.webm', frames: 3, start: 150, every: 250 },
  { dir: 'shared', file: 'fire2.mp4', frames: 2, start: 0, every: 12 },
];

/** The footage this machine has (install `opencv-doc` for the Debian half). */
export function realFootage(dirs: { opencv?: string; shared?: string } = {}): FootageSource[] {
  const roots = { opencv: dirs.opencv ?? OPENCV_DATA, shared: dirs.shared ?? SHARED_MEDIA };
  return CANDIDATES.map((c) => ({
    name: c.file,
    file: join(roots[c.dir], c.file),
    frames: c.frames,
    start: c.start,
    every: c.every,
  })).filter((s) => existsSync(s.file));
}

/** One sample: the original crop, its bicubic shrink, and that shrink grown back with bicubic. */
export interface SrSample {
  original: RgbImage;
  lowRes: RgbImage;
  bicubic: RgbImage;
}

async function rawFrames({
  ffmpeg,
  file,
  filter,
  count,
  width,
  height,
}: {
  ffmpeg: string;
  file: string;
  filter: string;
  count: number;
  width: number;
  height: number;
}): Promise<RgbImage[]> {
  const { stdout } = await run(
    ffmpeg,
    ['-v', 'error', '-i', file, '-vf', filter, '-vsync', '0', '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    {
      encoding: 'buffer',
      maxBuffer: 1 << 30,
    },
  );
  const size = width * height * 3;
  const frames: RgbImage[] = [];
  for (let o = 0; o + size <= stdout.byteLength; o += size)
    frames.push({ data: new Uint8Array(stdout.subarray(o, o + size)), width, height });
  return frames;
}

/**
 * Samples of `source`: centred crops of `width`×`height` (multiples of `scale`) of its chosen frames. Every step is in RGB,
 * so the low-res frame is exactly what bicubic grows back.
 */
export async function srSamples(
  ffmpeg: string,
  source: FootageSource,
  o: { scale: number; width: number; height: number },
): Promise<SrSample[]> {
  const { scale, width, height } = o;
  if (width % scale !== 0 || height % scale !== 0) throw new RangeError(`the crop ${width}×${height} is not a multiple of ${scale}`);
  const lw = width / scale;
  const lh = height / scale;
  const pick = `select='gte(n\\,${source.start})*not(mod(n-${source.start}\\,${source.every}))',crop=${width}:${height},format=rgb24`;
  const down = `scale=${lw}:${lh}:flags=bicubic`;
  const [original, lowRes, bicubic] = await Promise.all([
    rawFrames({ ffmpeg, file: source.file, filter: pick, count: source.frames, width, height }),
    rawFrames({ ffmpeg, file: source.file, filter: `${pick},${down}`, count: source.frames, width: lw, height: lh }),
    rawFrames({
      ffmpeg,
      file: source.file,
      filter: `${pick},${down},scale=${width}:${height}:flags=bicubic`,
      count: source.frames,
      width,
      height,
    }),
  ]);
  return original.map((img, i) => ({ original: img, lowRes: lowRes[i]!, bicubic: bicubic[i]! }));
}

export interface SrScore {
  /** dB against the original, RGB. */
  psnrModel: number;
  psnrBicubic: number;
  ssimModel: number;
  ssimBicubic: number;
  /** Laplacian variance of luma: the original's is the target; bicubic's is lower (blur). */
  sharpModel: number;
  sharpBicubic: number;
  sharpOriginal: number;
}

/**
 * Scores `model` on `samples` (means over the samples), upscaling in tiles as a job does; also
 * the total time spent inside `model.run`.
 */
export async function scoreSr(
  model: SrModel,
  samples: readonly SrSample[],
  tiles: { tile: number; overlap: number; colorFix?: boolean; pad?: number },
): Promise<SrScore & { modelMs: number }> {
  let modelMs = 0;
  const sum: SrScore = { psnrModel: 0, psnrBicubic: 0, ssimModel: 0, ssimBicubic: 0, sharpModel: 0, sharpBicubic: 0, sharpOriginal: 0 };
  for (const s of samples) {
    const upscaler = new FrameUpscaler({
      model,
      width: s.lowRes.width,
      height: s.lowRes.height,
      tile: Math.max(tiles.overlap + 1, tiles.tile),
      overlap: tiles.overlap,
      colorFix: tiles.colorFix,
      pad: tiles.pad,
    });
    const up: RgbImage = { data: await upscaler.upscaleFrame(s.lowRes.data), width: upscaler.outWidth, height: upscaler.outHeight };
    modelMs += upscaler.modelMs;
    sum.psnrModel += psnr(up, s.original);
    sum.psnrBicubic += psnr(s.bicubic, s.original);
    sum.ssimModel += ssim(up, s.original);
    sum.ssimBicubic += ssim(s.bicubic, s.original);
    sum.sharpModel += sharpness(up);
    sum.sharpBicubic += sharpness(s.bicubic);
    sum.sharpOriginal += sharpness(s.original);
  }
  const n = samples.length;
  return { ...(Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, v / n])) as unknown as SrScore), modelMs };
}
