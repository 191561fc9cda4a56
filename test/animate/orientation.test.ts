/**
 * Animate starts from the picture as a viewer shows it: a JPEG's EXIF orientation is applied
 * (phones store portraits as landscape pixels plus the tag), and transparency is flattened onto
 * black rather than showing the colour transparent pixels happen to store. The stored pixels of
 * each orientation are made here from the EXIF definition (where row 0 and column 0 lie in the
 * upright picture), independently of the filters the worker picks.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegOrientation, type Orientation } from '../../src/media/exif-orientation.js';
import { createTestWorker, outputOf, type TestWorker } from '../helpers/job.js';
import { binaries, readRgbFrames } from '../helpers/media.js';

const run = promisify(execFile);
const W = 96;
const H = 64;
/** The upright picture's quadrants: top-left, top-right, bottom-left, bottom-right. */
const QUADRANTS: Array<[number, number, number]> = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 255],
];

function upright(x: number, y: number): [number, number, number] {
  return QUADRANTS[(y < H / 2 ? 0 : 2) + (x < W / 2 ? 0 : 1)]!;
}

/** Stored pixel (row r, column c) → the upright (x, y) it shows, from where EXIF says row 0 and column 0 lie. */
const STORED: Record<Orientation, { cols: number; rows: number; at: (r: number, c: number) => [number, number] }> = {
  1: { cols: W, rows: H, at: (r, c) => [c, r] }, // row 0 top, column 0 left
  2: { cols: W, rows: H, at: (r, c) => [W - 1 - c, r] }, // top, right
  3: { cols: W, rows: H, at: (r, c) => [W - 1 - c, H - 1 - r] }, // bottom, right
  4: { cols: W, rows: H, at: (r, c) => [c, H - 1 - r] }, // bottom, left
  5: { cols: H, rows: W, at: (r, c) => [r, c] }, // left, top
  6: { cols: H, rows: W, at: (r, c) => [W - 1 - r, c] }, // right, top
  7: { cols: H, rows: W, at: (r, c) => [W - 1 - r, H - 1 - c] }, // right, bottom
  8: { cols: H, rows: W, at: (r, c) => [r, H - 1 - c] }, // left, bottom
};

/** An APP1 EXIF segment holding only the orientation tag, in either byte order. */
function exifSegment(o: number, order: 'II' | 'MM'): Buffer {
  const le = order === 'II';
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write(order, 0, 'latin1');
  const u16 = (v: number, at: number): number => (le ? tiff.writeUInt16LE(v, at) : tiff.writeUInt16BE(v, at));
  const u32 = (v: number, at: number): number => (le ? tiff.writeUInt32LE(v, at) : tiff.writeUInt32BE(v, at));
  u16(42, 2);
  u32(8, 4);
  u16(1, 8);
  u16(0x0112, 10);
  u16(3, 12);
  u32(1, 14);
  u16(o, 18);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/** A JPEG with the segment put after its first segment (JFIF's APP0), as some cameras write it. */
function withExif(jpeg: Buffer, o: number, order: 'II' | 'MM'): Buffer {
  const app0 = 4 + jpeg.readUInt16BE(4);
  return Buffer.concat([jpeg.subarray(0, app0), exifSegment(o, order), jpeg.subarray(app0)]);
}

describe('EXIF orientation', () => {
  it('is read from a JPEG head in either byte order; absent, damaged or not a JPEG reads as 1', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x4a, 0x46, 0xff, 0xda, 0x00, 0x02]);
    expect(jpegOrientation(jpeg)).toBe(1);
    for (const o of [1, 3, 6, 8]) {
      expect(jpegOrientation(withExif(jpeg, o, 'II'))).toBe(o);
      expect(jpegOrientation(withExif(jpeg, o, 'MM'))).toBe(o);
    }
    expect(jpegOrientation(withExif(jpeg, 9, 'II'))).toBe(1);
    expect(jpegOrientation(withExif(jpeg, 6, 'II').subarray(0, 20))).toBe(1);
    expect(jpegOrientation(Buffer.from('\x89PNG\r\n\x1a\n'))).toBe(1);
  });
});

describe('animate: the picture as a viewer shows it', () => {
  let worker: TestWorker;
  beforeAll(async () => {
    worker = await createTestWorker({}, 'temp');
    const ff = binaries().ffmpeg;
    for (const o of [1, 2, 3, 4, 5, 6, 7, 8] as Orientation[]) {
      const { cols, rows, at } = STORED[o];
      const raw = Buffer.alloc(cols * rows * 3);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) raw.set(upright(...at(r, c)), (r * cols + c) * 3);
      const plain = join(worker.root, `plain-${o}.jpg`);
      const encode = run(ff, [
        '-v',
        'error',
        '-y',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-s',
        `${cols}x${rows}`,
        '-i',
        'pipe:0',
        '-q:v',
        '2',
        plain,
      ]);
      encode.child.stdin?.end(raw);
      await encode;
      await writeFile(join(worker.config.volumeDir, `o${o}.jpg`), withExif(await readFile(plain), o, o % 2 === 0 ? 'MM' : 'II'));
    }
    // Left half opaque red; right half transparent, its stored colour white.
    await run(ff, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `color=c=white:s=${W}x${H}`,
      '-frames:v',
      '1',
      '-vf',
      `format=rgba,geq=r='255':g='if(lt(X,${W / 2}),0,255)':b='if(lt(X,${W / 2}),0,255)':a='if(lt(X,${W / 2}),255,0)'`,
      join(worker.config.volumeDir, 'cutout.png'),
    ]);
  }, 60_000);
  afterAll(async () => {
    await worker?.close();
  });

  /** Frame 0 of an animate job (the "auto" path starts on the whole picture), with the result's size. */
  async function firstFrame(image: string): Promise<{ width: number; height: number; pixel: (x: number, y: number) => number[] }> {
    const out = outputOf(
      await worker.run({ task: 'animate', image_path: image, audio_path: 'tone.m4a', fps: 5, width: W, delivery: 'path' }),
    );
    const width = out.width as number;
    const height = out.height as number;
    const [frame] = await readRgbFrames(out.video_path as string, width, height);
    return { width, height, pixel: (x, y) => [...frame!.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)] };
  }

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('orientation %i: upright, with the upright aspect', async (o) => {
    const f = await firstFrame(`o${o}.jpg`);
    expect([f.width, f.height]).toEqual([W, H]);
    // Quadrant centres, a little inward (the camera may start a touch inside the frame).
    const probes: Array<[number, number]> = [
      [W / 4, H / 4],
      [(3 * W) / 4, H / 4],
      [W / 4, (3 * H) / 4],
      [(3 * W) / 4, (3 * H) / 4],
    ];
    probes.forEach(([x, y], q) => {
      const got = f.pixel(x, y);
      const want = QUADRANTS[q]!;
      expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!))), `orientation ${o}, quadrant ${q}: ${got.join(',')}`).toBeLessThan(60);
    });
  });

  it('transparency is flattened onto black, not the colour transparent pixels store', async () => {
    const f = await firstFrame('cutout.png');
    const red = f.pixel(W / 4, H / 2);
    const clear = f.pixel((3 * W) / 4, H / 2);
    expect(red[0]).toBeGreaterThan(200);
    expect(Math.max(...clear), clear.join(',')).toBeLessThan(30);
  });
});
