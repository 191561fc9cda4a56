/**
 * `audio_mode: "mix"` ducks the original under the new track: a steady 440 Hz original dips while
 * the Foley sounds and comes back after. And it ducks the new track under the source's speech: a
 * steady 15 kHz Foley tone (above anything espeak-ng's 22 kHz speech holds, so it is measured
 * apart from the speech) is lower inside the speech spans, with smooth ramps. Real ffmpeg over the
 * exact command `buildMuxArgs` builds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SPEECH_DUCK, buildMuxArgs, duckSpans, mux, speechDuckGain } from '../../src/media/mux.js';
import { binaries, decodeAudioMono } from '../helpers/media.js';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ducking-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Amplitude of the `hz` component over [from, to) seconds (Goertzel). */
function toneLevel({ x, hz, from, to, sr = 48_000 }: { x: Float32Array; hz: number; from: number; to: number; sr?: number }): number {
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
    await run(ffmpeg, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=c=gray:s=160x90:r=25:d=4',
      '-f',
      'lavfi',
      '-i',
      "aevalsrc='0.25*sin(2*PI*440*t)':s=48000:d=4",
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      video,
    ]);
    // Foley: a quiet bed (−46 dBFS) and a 3 kHz event from 1.5 s to 2.5 s at −8 dBFS.
    await run(ffmpeg, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      "aevalsrc='0.005*sin(2*PI*5000*t)+0.4*sin(2*PI*3000*t)*between(t,1.5,2.5)|" +
        "0.005*sin(2*PI*5000*t)+0.4*sin(2*PI*3000*t)*between(t,1.5,2.5)':s=48000:d=4",
      '-c:a',
      'pcm_f32le',
      foley,
    ]);
    const out = join(dir, 'mixed.wav');
    await mux(
      { video, audio: foley, out, format: 'wav', mode: 'mix', videoCodec: 'h264', sourceHasAudio: true },
      { ffmpeg, timeoutMs: 60_000 },
    );
    const x = await decodeAudioMono(out);
    const before = toneLevel({ x, hz: 440, from: 0.5, to: 1.4 });
    const during = toneLevel({ x, hz: 440, from: 1.7, to: 2.4 });
    const after = toneLevel({ x, hz: 440, from: 3.2, to: 3.9 });
    // Undisturbed: the original at −6 dB (0.25 → 0.125).
    expect(before).toBeGreaterThan(0.1);
    expect(before).toBeLessThan(0.15);
    expect(20 * Math.log10(during / before)).toBeLessThan(-6);
    expect(Math.abs(20 * Math.log10(after / before))).toBeLessThan(1);
    expect(x.length / 48_000).toBeCloseTo(4, 1);
  });
});

/** dB of x relative to ref. */
const db = (x: number, ref: number): number => 20 * Math.log10(x / ref);

describe('mix mode ducks the Foley under speech', () => {
  const SPANS: Array<[number, number]> = [
    [1.5, 4.9],
    [6, 8.9],
  ];
  let video: string;
  let foley: string;
  let silent: string;
  beforeAll(async () => {
    const { ffmpeg } = binaries();
    silent = join(dir, 'silent.mkv');
    await run(ffmpeg, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=c=gray:s=160x90:r=25:d=11',
      '-f',
      'lavfi',
      '-i',
      'anullsrc=r=48000:cl=stereo',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'pcm_s16le',
      '-t',
      '11',
      silent,
    ]);
    const a = join(dir, 'a.wav');
    const b = join(dir, 'b.wav');
    await run('espeak-ng', ['-w', a, 'The quick brown fox jumps over the lazy dog near the river bank.']);
    await run('espeak-ng', ['-w', b, 'Please close the door quietly when you leave the room tonight.']);
    video = join(dir, 'speech.mkv');
    await run(ffmpeg, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=c=gray:s=160x90:r=25:d=11',
      '-i',
      a,
      '-i',
      b,
      '-filter_complex',
      '[1:a]aresample=48000,adelay=1500|1500[x];[2:a]aresample=48000,adelay=6000|6000[y];' +
        '[x][y]amix=inputs=2:duration=longest:dropout_transition=0,volume=2,apad[s]',
      '-map',
      '0:v',
      '-map',
      '[s]',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'pcm_s16le',
      '-shortest',
      video,
    ]);
    foley = join(dir, 'tone.wav');
    await run(ffmpeg, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      "aevalsrc='0.2*sin(2*PI*15000*t)|0.2*sin(2*PI*15000*t)':s=48000:d=11",
      '-c:a',
      'pcm_f32le',
      foley,
    ]);
  });

  async function mixed(name: string, speech: Array<[number, number]> | undefined, source = video): Promise<Float32Array> {
    const out = join(dir, `${name}.wav`);
    await mux(
      { video: source, audio: foley, out, format: 'wav', mode: 'mix', videoCodec: 'h264', sourceHasAudio: true, speech },
      { ffmpeg: binaries().ffmpeg, timeoutMs: 60_000 },
    );
    return decodeAudioMono(out);
  }

  it('is 12 dB lower inside speech than outside (≥ 6 dB required), and not without spans', async () => {
    const x = await mixed('ducked', SPANS);
    const outside = [
      toneLevel({ x, hz: 15_000, from: 0.2, to: 1.2 }),
      toneLevel({ x, hz: 15_000, from: 5.2, to: 5.7 }),
      toneLevel({ x, hz: 15_000, from: 9.2, to: 10.8 }),
    ];
    const inside = [toneLevel({ x, hz: 15_000, from: 1.6, to: 4.8 }), toneLevel({ x, hz: 15_000, from: 6.1, to: 8.8 })];
    for (const o of outside) expect(o, 'outside speech the Foley is as it was (mono downmix of 0.2)').toBeGreaterThan(0.12);
    for (const i of inside) {
      for (const o of outside) {
        expect(db(i, o)).toBeLessThan(-6);
        expect(db(i, o)).toBeCloseTo(SPEECH_DUCK.gainDb, 0);
      }
    }
    // The same mix without spans: the tone stays level through the speech (the dip above is the
    // ducking's, not the limiter's or the compressor's).
    const y = await mixed('plain', undefined);
    expect(
      Math.abs(db(toneLevel({ x: y, hz: 15_000, from: 1.6, to: 4.8 }), toneLevel({ x: y, hz: 15_000, from: 0.2, to: 1.2 }))),
    ).toBeLessThan(1);
  });

  it('ramps smoothly: no step over 0.5 dB per millisecond, down before the span, up after it', async () => {
    // A silent original: a 1 ms Goertzel block cannot keep speech's leakage out of the 15 kHz bin.
    const x = await mixed('ramps', SPANS, silent);
    // Tone level per 1 ms block (48 samples = 15 whole cycles of 15 kHz: Goertzel is exact).
    const level = (ms: number): number => toneLevel({ x, hz: 15_000, from: ms / 1000, to: (ms + 1) / 1000 });
    const full = level(500);
    let steepest = 0;
    for (let ms = 1000; ms < 10_000; ms++) steepest = Math.max(steepest, Math.abs(db(level(ms + 1), level(ms))));
    expect(steepest).toBeLessThan(0.5);
    // Fully down at the span's start, still full a ramp before it; back up a ramp after its end.
    const ramp = SPEECH_DUCK.rampS * 1000;
    expect(db(level(1500), full)).toBeCloseTo(SPEECH_DUCK.gainDb, 0);
    expect(db(level(1500 - ramp - 2), full)).toBeCloseTo(0, 0);
    expect(db(level(1500 - ramp / 2), full)).toBeLessThan(-3);
    expect(db(level(4900), full)).toBeCloseTo(SPEECH_DUCK.gainDb, 0);
    expect(db(level(4900 + ramp + 2), full)).toBeCloseTo(0, 0);
  });

  it('the gain expression stays bounded: near spans joined, at most maxSpans terms', () => {
    expect(
      duckSpans([
        [1, 2],
        [2.3, 3],
        [5, 6],
        [-1, 0.5],
        [7, 7],
        [Number.NaN, 9],
      ]),
    ).toEqual([
      [0, 0.5],
      [1, 3],
      [5, 6],
    ]);
    const many: Array<[number, number]> = Array.from({ length: 2000 }, (_, i) => [i * 0.8, i * 0.8 + 0.2]);
    expect(duckSpans(many)).toHaveLength(SPEECH_DUCK.maxSpans);
    const expr = speechDuckGain(many) as string;
    // One argv string stays far under Linux's 128 KiB per-argument limit.
    expect(expr.length).toBeLessThan(20_000);
    expect(speechDuckGain([])).toBeUndefined();
    const args = buildMuxArgs({
      video: 'v.mp4',
      audio: 'a.wav',
      out: 'o.wav',
      format: 'wav',
      mode: 'mix',
      videoCodec: 'h264',
      sourceHasAudio: true,
      speech: [],
    });
    expect(args.join(' ')).not.toContain("volume='");
  });

  it('runs with many spans (the bounded expression) in real ffmpeg', async () => {
    const many: Array<[number, number]> = Array.from({ length: 400 }, (_, i) => [i * 0.026, i * 0.026 + 0.01]);
    const x = await mixed('many', many);
    expect(x.length / 48_000).toBeCloseTo(11, 1);
  });
});
