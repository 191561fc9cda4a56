/**
 * The pieces that keep reads of untrusted media bounded, each against ffmpeg itself: numbers in
 * the form ffmpeg parses, collected output cut at its bound, a stream's length measured without a
 * decode, and animate's streamed loudness equal to the whole-track computation it replaced.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIO_FORMATS } from '../../src/job/audio-input.js';
import { ffmpegNumber, guardedInputArgs, runBinary } from '../../src/media/ffmpeg.js';
import { measureStreamLength } from '../../src/media/measure.js';
import { frameRms } from '../../src/pipelines/animate/envelope.js';
import { decodeFrameRms, ENVELOPE_RATE } from '../../src/pipelines/animate/media.js';
import { flacSilence } from '../helpers/flac-silence.js';
import { binaries, decodeAudioMono } from '../helpers/media.js';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bounded-reads-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('ffmpegNumber', () => {
  it.each([
    [1e-9, '0'],
    [1e-7, '0'],
    [0.0000015, '0.000002'],
    [2.5, '2.5'],
    [3, '3'],
    [-0.25, '-0.25'],
    [-1e-9, '0'],
    [86_400, '86400'],
  ])('%s → %s', (x, text) => {
    expect(ffmpegNumber(x)).toBe(text);
    expect(ffmpegNumber(x)).not.toMatch(/e/i);
  });

  it('ffmpeg accepts what it writes as a duration', async () => {
    const out = join(dir, 'tiny.wav');
    await runBinary(binaries().ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine', '-t', ffmpegNumber(0.0000015), out], {
      timeoutMs: 10_000,
    });
    await expect(
      runBinary(binaries().ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine', '-t', String(1e-7), out], { timeoutMs: 10_000 }),
    ).rejects.toMatchObject({ code: 'FFMPEG_FAILED' });
  });
});

describe('runBinary collects at most maxStdoutBytes', () => {
  it('an endless output is stopped at the bound with FFMPEG_FAILED naming it', async () => {
    const t0 = performance.now();
    const endless = runBinary(binaries().ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'anoisesrc', '-f', 'f32le', 'pipe:1'], {
      timeoutMs: 30_000,
      maxStdoutBytes: 4 << 20,
    });
    await expect(endless).rejects.toMatchObject({ code: 'FFMPEG_FAILED', details: { maxStdoutBytes: 4 << 20 } });
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});

describe('measureStreamLength', () => {
  it('measures a FLAC that declares no length, and stops at the cap on one that runs past it', async () => {
    const short = join(dir, 'short.flac');
    const day = join(dir, 'day.flac');
    await writeFile(short, flacSilence(12));
    await writeFile(day, flacSilence(86_400));
    const o = { ffmpeg: binaries().ffmpeg, stream: 'a' as const, capS: 601, timeoutMs: 30_000 };
    const a = await measureStreamLength({ ...o, input: guardedInputArgs(short, AUDIO_FORMATS) });
    expect(a.longer).toBe(false);
    expect(a.seconds).toBeGreaterThan(11.9);
    expect(a.seconds).toBeLessThan(12.2);
    const t0 = performance.now();
    const b = await measureStreamLength({ ...o, input: guardedInputArgs(day, AUDIO_FORMATS) });
    expect(b.longer).toBe(true);
    expect(b.seconds).toBeLessThan(602);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});

describe('decodeFrameRms', () => {
  it('equals frameRms over the whole decoded track, with one number per frame kept', async () => {
    const wav = join(dir, 'bursts.wav');
    // Bursts of a tone in noise, at a rate that does not divide the envelope's.
    await run(binaries().ffmpeg, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      "aevalsrc='0.6*sin(2*PI*330*t)*gt(sin(2*PI*1.3*t),0.2)+0.05*random(0)':s=44100:d=7.3",
      wav,
    ]);
    for (const fps of [25, 29.97, 7]) {
      const got = await decodeFrameRms(wav, AUDIO_FORMATS, {
        ffmpeg: binaries().ffmpeg,
        timeoutMs: 30_000,
        field: 'audio_path',
        fps,
        stopAfterS: 100,
      });
      const samples = await decodeAudioMono(wav, ENVELOPE_RATE);
      const frames = Math.max(1, Math.round((samples.length / ENVELOPE_RATE) * fps));
      const want = frameRms(samples, ENVELOPE_RATE, fps, frames);
      expect(got.longer).toBe(false);
      expect(got.rms.length).toBe(want.length);
      for (let f = 0; f < want.length; f++) expect(got.rms[f]).toBeCloseTo(want[f] as number, 5);
    }
  });

  it('stops at stopAfterS and says the track is longer', async () => {
    const day = join(dir, 'day-rms.flac');
    await writeFile(day, flacSilence(86_400));
    const t0 = performance.now();
    const got = await decodeFrameRms(day, AUDIO_FORMATS, {
      ffmpeg: binaries().ffmpeg,
      timeoutMs: 30_000,
      field: 'audio_path',
      fps: 25,
      stopAfterS: 120,
    });
    expect(got.longer).toBe(true);
    expect(got.seconds).toBeCloseTo(120, 2);
    expect(got.rms.length).toBe(3000);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});
