/**
 * A source whose audio track starts after its picture (a camera that starts recording sound late,
 * an edit with a silent head): the speech spans and the `mix` are on the picture's clock, where
 * the words are heard when the video plays. The speech is espeak-ng's, placed 1.2 s into the
 * picture by its timestamps alone (the track itself starts with the words).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorker, outputOf, type TestWorker } from '../helpers/job.js';
import { binaries, decodeAudioMono, probeStreams } from '../helpers/media.js';

const run = promisify(execFile);
const LATE_S = 1.2;
/** The second source: the picture starts 0.5 s after the sound, whose words start at 1.7 s (1.2 s into the picture). */
const EARLY_PICTURE_S = 0.5;
const SPEECH_AT_S = 1.7;
const SR = 8000;
let worker: TestWorker;
let speech: Float32Array;

beforeAll(async () => {
  worker = await createTestWorker({}, 'temp');
  const { ffmpeg } = binaries();
  const say = join(worker.root, 'say.wav');
  await run('espeak-ng', ['-w', say, 'Please close the door quietly when you leave the room tonight.']);
  speech = await decodeAudioMono(say, SR);
  // Picture from 0 s, sound from 1.2 s (its timestamps say so; Matroska keeps them).
  await run(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'color=c=gray:s=160x90:r=25:d=6',
    '-itsoffset',
    String(LATE_S),
    '-i',
    say,
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'pcm_s16le',
    join(worker.config.volumeDir, 'late.mkv'),
  ]);
  // The other way round: sound from 0 s (1.7 s of silence, then the words), picture from 0.5 s.
  await run(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-itsoffset',
    String(EARLY_PICTURE_S),
    '-f',
    'lavfi',
    '-i',
    'color=c=gray:s=160x90:r=25:d=6',
    '-i',
    say,
    '-filter_complex',
    `[1:a]adelay=${SPEECH_AT_S * 1000}[a]`,
    '-map',
    '0:v',
    '-map',
    '[a]',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'pcm_s16le',
    join(worker.config.volumeDir, 'late-picture.mkv'),
  ]);
}, 60_000);
afterAll(async () => {
  await worker?.close();
});

/** When each stream starts (ffprobe's start_time, seconds). */
async function starts(file: string): Promise<{ video: number; audio: number }> {
  const streams = (await probeStreams(file)) as Array<{ codec_type: string; start_time?: string }>;
  const at = (t: string): number => Number(streams.find((x) => x.codec_type === t)?.start_time);
  return { video: at('video'), audio: at('audio') };
}

/** Where `ref` sits in `x` (seconds), searched every 2 ms up to `maxS`. */
function bestLagS(x: Float32Array, ref: Float32Array, maxS: number): number {
  let best = -Infinity;
  let at = 0;
  for (let l = 0; l <= maxS; l += 0.002) {
    const v = scoreAt(x, ref, l);
    if (v > best) [best, at] = [v, l];
  }
  return at;
}

/** Correlation of `x` with `ref` placed at `lagS` seconds, normalised by the reference's energy. */
function scoreAt(x: Float32Array, ref: Float32Array, lagS: number): number {
  const lag = Math.round(lagS * SR);
  let s = 0;
  let e = 0;
  for (let i = 0; i < ref.length && i + lag < x.length; i++) {
    s += (x[i + lag] as number) * (ref[i] as number);
    e += (ref[i] as number) ** 2;
  }
  return s / e;
}

describe('audio that starts after the picture', () => {
  it('the source is what the test says: the audio stream starts 1.2 s after the video', async () => {
    const source = await starts(join(worker.config.volumeDir, 'late.mkv'));
    expect(source.audio - source.video).toBeCloseTo(LATE_S, 2);
  });

  it("speech spans are on the picture's clock", async () => {
    const out = outputOf(await worker.run({ video_path: 'late.mkv', output_format: 'wav', delivery: 'path' }));
    const spans = out.speech as Array<[number, number]>;
    expect(spans.length).toBeGreaterThanOrEqual(1);
    // espeak-ng starts speaking within ~0.1 s of its file's start.
    expect(spans[0]![0], JSON.stringify(spans)).toBeGreaterThan(LATE_S - 0.1);
    expect(spans[0]![0]).toBeLessThan(LATE_S + 0.3);
  });

  it('`mix` keeps the original where it plays: 1.2 s in', async () => {
    const out = outputOf(await worker.run({ video_path: 'late.mkv', audio_mode: 'mix', output_format: 'wav', delivery: 'path' }));
    const mixed = await decodeAudioMono(out.audio_path as string, SR);
    const found = bestLagS(mixed, speech, 3);
    expect(Math.abs(found - LATE_S), `the words at ${found.toFixed(3)} s`).toBeLessThan(0.01);
    expect(scoreAt(mixed, speech, found)).toBeGreaterThan(0.2);
  });

  it("a picture that starts after the sound: speech, the new track and the mix all on the picture's clock", async () => {
    // Where the words are in the picture, from the source's own stream starts (x264 adds a frame's delay of its own).
    const source = await starts(join(worker.config.volumeDir, 'late-picture.mkv'));
    expect(source.video - source.audio).toBeGreaterThan(EARLY_PICTURE_S - 0.01);
    const wordsInPicture = SPEECH_AT_S - (source.video - source.audio);
    const spans = outputOf(await worker.run({ video_path: 'late-picture.mkv', output_format: 'wav', delivery: 'path' })).speech as Array<
      [number, number]
    >;
    expect(spans[0]![0], JSON.stringify(spans)).toBeGreaterThan(wordsInPicture - 0.1);
    expect(spans[0]![0]).toBeLessThan(wordsInPicture + 0.3);

    for (const mode of ['replace', 'mix'] as const) {
      const out = outputOf(await worker.run({ video_path: 'late-picture.mkv', audio_mode: mode, delivery: 'path' }));
      const made = await starts(out.video_path as string);
      // The new track starts with the first frame (within AAC's priming, which the edit list hides).
      expect(Math.abs(made.audio - made.video), `${mode}: audio at ${made.audio} s, video at ${made.video} s`).toBeLessThan(0.03);
      if (mode === 'mix') {
        // The words play as far into the picture as in the source, to within a frame.
        const found = bestLagS(await decodeAudioMono(out.video_path as string, SR), speech, 3);
        const expected = wordsInPicture + made.video - made.audio;
        expect(
          Math.abs(found - expected),
          `words at ${found.toFixed(3)} s of the decoded track, expected ${expected.toFixed(3)} s`,
        ).toBeLessThan(0.04);
      }
    }
  });
});
