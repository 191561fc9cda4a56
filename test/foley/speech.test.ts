/**
 * Voice activity on the source's audio: real Silero VAD weights in real onnxruntime sessions, real
 * ffmpeg, speech from `espeak-ng`. The truth is measured from the speech track itself (where its
 * samples are not silent), never assumed from where the words were placed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { Session } from '../../src/inference/ort.js';
import { detectSpeech, openVadSession, thinEventsInSpeech } from '../../src/pipelines/foley/speech/index.js';
import { SpeechSpans } from '../../src/pipelines/foley/speech/spans.js';
import { binaries, decodeAudioMono, ffmpegChildren } from '../helpers/media.js';

const run = promisify(execFile);
const log = pino({ level: 'silent' });
let dir: string;
let vad: Session;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'speech-'));
  vad = await openVadSession({ ep: 'cpu', log });
});
afterAll(async () => {
  await vad?.release();
  await rm(dir, { recursive: true, force: true });
});

/** Non-silent stretches of a mono track (RMS of 10 ms hops above −45 dBFS; gaps under 0.3 s joined). */
function loudSpans(x: Float32Array, sr: number): Array<[number, number]> {
  const hop = Math.round(sr * 0.01);
  const spans: Array<[number, number]> = [];
  for (let h = 0; h * hop + hop <= x.length; h++) {
    let s = 0;
    for (let i = h * hop; i < (h + 1) * hop; i++) s += (x[i] as number) ** 2;
    if (Math.sqrt(s / hop) < 10 ** (-45 / 20)) continue;
    const [a, b] = [(h * hop) / sr, ((h + 1) * hop) / sr];
    const last = spans.at(-1);
    if (last && a - last[1] < 0.3) last[1] = b;
    else spans.push([a, b]);
  }
  return spans;
}

/**
 * A 12 s clip: two sentences of espeak-ng speech at 1.5 s and 6 s, digital silence elsewhere, AAC in
 * MP4 beside a plain video. Returns the clip and the truth measured on the speech track.
 */
async function speechClip(): Promise<{ clip: string; truth: Array<[number, number]> }> {
  const { ffmpeg } = binaries();
  const a = join(dir, 'a.wav');
  const b = join(dir, 'b.wav');
  await run('espeak-ng', ['-w', a, 'The quick brown fox jumps over the lazy dog near the river bank.']);
  await run('espeak-ng', ['-w', b, 'Please close the door quietly when you leave the room tonight.']);
  const track = join(dir, 'track.wav');
  await run(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-i',
    a,
    '-i',
    b,
    '-filter_complex',
    '[0:a]aresample=48000,adelay=1500|1500[x];[1:a]aresample=48000,adelay=6000|6000[y];' +
      // amix divides by its input count: ×2 restores the speech's level. The sum runs to 12 s.
      '[x][y]amix=inputs=2:duration=longest:dropout_transition=0,volume=2,apad=whole_len=576000,atrim=end_sample=576000[out]',
    '-map',
    '[out]',
    '-ac',
    '1',
    '-c:a',
    'pcm_f32le',
    track,
  ]);
  const truth = loudSpans(await decodeAudioMono(track, 48_000), 48_000);
  const clip = join(dir, 'speech.mp4');
  await run(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'color=c=gray:s=160x90:r=25:d=12',
    '-i',
    track,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-shortest',
    clip,
  ]);
  return { clip, truth };
}

describe('speech spans', () => {
  it('finds each espeak-ng sentence within 0.2 s of where its samples are, at both ends', async () => {
    const { clip, truth } = await speechClip();
    // The truth is two sentences, as built: the measurement itself is sane.
    expect(truth.length).toBe(2);
    expect(truth[0]![0]).toBeGreaterThan(1.4);
    expect(truth[1]![0]).toBeGreaterThan(5.9);
    const got = await detectSpeech({ ffmpeg: binaries().ffmpeg, file: clip, timeoutMs: 60_000, vad });
    expect(got.audio).toBe(true);
    expect(got.seconds).toBeGreaterThan(11.9);
    expect(got.seconds).toBeLessThan(12.1);
    expect(got.modelMs).toBeGreaterThan(0);
    expect(got.spans.length, JSON.stringify({ got: got.spans, truth })).toBe(truth.length);
    got.spans.forEach(([a, b], i) => {
      const [ta, tb] = truth[i] as [number, number];
      expect(Math.abs(a - ta), `span ${i} start: ${a} vs ${ta}`).toBeLessThanOrEqual(0.2);
      expect(Math.abs(b - tb), `span ${i} end: ${b} vs ${tb}`).toBeLessThanOrEqual(0.2);
    });
  });

  it('on a session thread gives the same spans as on the main thread', async () => {
    const { clip } = await speechClip();
    const main = await detectSpeech({ ffmpeg: binaries().ffmpeg, file: clip, timeoutMs: 60_000, vad });
    const threaded = await detectSpeech({
      ffmpeg: binaries().ffmpeg,
      file: clip,
      timeoutMs: 60_000,
      vad: { ep: 'cpu', log, thread: true },
    });
    expect(threaded.spans).toEqual(main.spans);
  });

  it('`maxSeconds` analyses only the start', async () => {
    const { clip } = await speechClip();
    const got = await detectSpeech({ ffmpeg: binaries().ffmpeg, file: clip, timeoutMs: 60_000, vad, maxSeconds: 4 });
    expect(got.seconds).toBeCloseTo(4, 1);
    expect(got.spans.length).toBe(1);
  });

  it('steady noise without speech gives no span', async () => {
    const clip = join(dir, 'noise.mkv');
    await run(binaries().ffmpeg, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=c=gray:s=160x90:r=25:d=8',
      '-f',
      'lavfi',
      '-i',
      'anoisesrc=a=0.05:c=pink:seed=3:r=44100:d=8',
      '-filter_complex',
      "[1:a]aeval='val(0)*(0.4+0.6*gt(sin(2*PI*0.5*t),0))'[a]",
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
      clip,
    ]);
    const got = await detectSpeech({ ffmpeg: binaries().ffmpeg, file: clip, timeoutMs: 60_000, vad });
    expect(got.audio).toBe(true);
    expect(got.seconds).toBeCloseTo(8, 1);
    expect(got.spans).toEqual([]);
  });

  it('a file without audio gives no spans and says so', async () => {
    const clip = join(dir, 'silent-film.mp4');
    await run(binaries().ffmpeg, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=c=gray:s=160x90:r=25:d=2',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
    expect(await detectSpeech({ ffmpeg: binaries().ffmpeg, file: clip, timeoutMs: 60_000, vad })).toEqual({
      spans: [],
      modelMs: 0,
      seconds: 0,
      audio: false,
    });
  });

  it('a file that is not media fails MEDIA_UNREADABLE, not "no audio"', async () => {
    const bogus = join(dir, 'bogus.mp4');
    await run('sh', ['-c', `head -c 20000 /dev/urandom > ${bogus}`]);
    await expect(detectSpeech({ ffmpeg: binaries().ffmpeg, file: bogus, timeoutMs: 60_000, vad })).rejects.toMatchObject({
      code: 'MEDIA_UNREADABLE',
    });
  });

  it('an abort stops the decode at once and leaves no ffmpeg behind', async () => {
    // 10 minutes of noise: far longer than the abort lets it run.
    const long = join(dir, 'long.mkv');
    await run(binaries().ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'anoisesrc=a=0.1:r=16000:d=600', '-c:a', 'flac', long]);
    const controller = new AbortController();
    const started = performance.now();
    const job = detectSpeech({ ffmpeg: binaries().ffmpeg, file: long, timeoutMs: 60_000, vad, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('test abort')), 300);
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(ffmpegChildren()).toEqual([]);
  });
});

describe('hysteresis (pure)', () => {
  const sr = 16_000;
  const w = 512;
  const feed = (probs: number[], params = {}): Array<[number, number]> => {
    const s = new SpeechSpans(sr, params);
    probs.forEach((p, i) => {
      s.push(p, i * w);
    });
    return s.finish(probs.length * w);
  };
  it('a dip to 0.4 inside speech does not end it; a short burst is dropped; padding is added', () => {
    const probs = [
      ...Array(10).fill(0),
      ...Array(20).fill(0.9),
      0.4,
      0.4,
      ...Array(10).fill(0.9),
      ...Array(20).fill(0),
      0.9,
      0.9,
      ...Array(20).fill(0),
    ];
    const spans = feed(probs, { padMs: 0 });
    expect(spans).toEqual([[(10 * w) / sr, (42 * w) / sr]]);
    const padded = feed(probs, { padMs: 30 });
    expect(padded[0]![0]).toBeCloseTo((10 * w) / sr - 0.03, 6);
  });
  it('speech still open at the end closes at the last sample', () => {
    expect(feed([0, 0, ...Array(30).fill(0.8)], { padMs: 0 })).toEqual([[(2 * w) / sr, (32 * w) / sr]]);
  });
});

describe('thinning events under speech (pure)', () => {
  it('keeps everything outside speech, only strong events inside, at most one per gap', () => {
    const events = [
      { time: 0.5, strength: 0.2 },
      { time: 2.1, strength: 0.3 },
      { time: 2.3, strength: 0.9 },
      { time: 2.5, strength: 0.7 },
      { time: 3.2, strength: 0.65 },
      { time: 5.0, strength: 0.1 },
    ];
    const kept = thinEventsInSpeech(events, [[2, 4]]);
    expect(kept.map((e) => e.time)).toEqual([0.5, 2.3, 3.2, 5.0]);
    expect(kept[1]).toBe(events[2]);
    expect(thinEventsInSpeech(events, [])).toEqual(events);
  });
});
