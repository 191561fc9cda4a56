/**
 * `audio_mode: "mix"` ducks the original under the new track: a steady 440 Hz original dips while
 * the Foley sounds and comes back after. Real ffmpeg over the exact command `buildMuxArgs` builds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mux } from '../../src/media/mux.js';
import { binaries, decodeAudioMono } from '../helpers/media.js';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ducking-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Amplitude of the `hz` component over [from, to) seconds (Goertzel). */
function toneLevel(x: Float32Array, hz: number, from: number, to: number, sr = 48_000): number {
  const a = Math.round(from * sr);
  const b = Math.round(to * sr);
  const w = (2 * Math.PI * hz) / sr;
  let s1 = 0;
  let s2 = 0;
  for (let i = a; i < b; i++) {
    const s = (x[i] as number) + 2 * Math.cos(w) * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (2 * Math.sqrt(s1 * s1 + s2 * s2 - 2 * Math.cos(w) * s1 * s2)) / (b - a);
}

describe('mix mode ducking', () => {
  it('the original dips under a Foley event and recovers after it', async () => {
    const video = join(dir, 'with-tone.mp4');
    const foley = join(dir, 'foley.wav');
    const { ffmpeg } = binaries();
    await run(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=160x90:r=25:d=4', '-f', 'lavfi', '-i', "aevalsrc='0.25*sin(2*PI*440*t)':s=48000:d=4",
      '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', video]);
    // Foley: a quiet bed (−46 dBFS) and a 3 kHz event from 1.5 s to 2.5 s at −8 dBFS.
    await run(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', "aevalsrc='0.005*sin(2*PI*5000*t)+0.4*sin(2*PI*3000*t)*between(t,1.5,2.5)|0.005*sin(2*PI*5000*t)+0.4*sin(2*PI*3000*t)*between(t,1.5,2.5)':s=48000:d=4",
      '-c:a', 'pcm_f32le', foley]);
    const out = join(dir, 'mixed.wav');
    await mux({ video, audio: foley, out, format: 'wav', mode: 'mix', videoCodec: 'h264', sourceHasAudio: true }, { ffmpeg, timeoutMs: 60_000 });
    const x = await decodeAudioMono(out);
    const before = toneLevel(x, 440, 0.5, 1.4);
    const during = toneLevel(x, 440, 1.7, 2.4);
    const after = toneLevel(x, 440, 3.2, 3.9);
    // Undisturbed: the original at −6 dB (0.25 → 0.125).
    expect(before).toBeGreaterThan(0.1);
    expect(before).toBeLessThan(0.15);
    expect(20 * Math.log10(during / before)).toBeLessThan(-6);
    expect(Math.abs(20 * Math.log10(after / before))).toBeLessThan(1);
    expect(x.length / 48_000).toBeCloseTo(4, 1);
  });
});
