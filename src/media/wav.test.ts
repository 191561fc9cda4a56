import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { binaries } from '../../test/helpers/media.js';
import { encodeWavFloat32, int16LeBytes, wavHeader } from './wav.js';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wav-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('writes the same 16-bit WAV as ffmpeg converting the float one (rounding and clipping included)', async () => {
  const n = 4801;
  // Exact ties (k + ½)/32768 among them: ffmpeg rounds those to even.
  const left = Float32Array.from({ length: n }, (_, i) => (i % 9 === 0 ? ((i % 5) - 2 + 0.5) / 32768 : 1.3 * Math.sin(i / 5) + (i % 7) / 70_000));
  const right = Float32Array.from({ length: n }, (_, i) => (i % 11 === 0 ? -1.2 : 0.4 * Math.cos(i / 3)));
  const floatWav = join(dir, 'f32.wav');
  await writeFile(floatWav, encodeWavFloat32([left, right], 48_000));
  const ffmpegWav = join(dir, 's16.wav');
  await run(binaries().ffmpeg, ['-v', 'error', '-y', '-i', floatWav, '-c:a', 'pcm_s16le', '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:a', '+bitexact', ffmpegWav]);

  const interleaved = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    interleaved[2 * i] = left[i] as number;
    interleaved[2 * i + 1] = right[i] as number;
  }
  const ours = Buffer.concat([wavHeader(n, 2, 48_000, 's16'), int16LeBytes(interleaved, 2 * n, new Uint8Array(4 * n))]);
  const theirs = await readFile(ffmpegWav);
  // ffmpeg's header may carry extra chunks; the samples (the data chunk's tail) must be identical.
  expect(ours.subarray(44).equals(theirs.subarray(theirs.length - 4 * n))).toBe(true);
  expect(ours.readUInt16LE(20)).toBe(1);
  expect(ours.readUInt16LE(34)).toBe(16);
});
