/**
 * `task: "animate"` through the real handler, real ffmpeg, a real photo (Debian's opencv-doc) and a
 * real synthesized voice (espeak-ng): the video lasts as long as the audio (± one frame) with its
 * packets untouched, the camera moves more where the voice is loud, and the guards refuse what
 * they refuse for videos (playlists and SVG/HTML posing as images, MAX_PIXELS, private URLs).
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorker, errorOf, outputOf, type TestWorker } from '../helpers/job.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { audioPacketsMd5, binaries, decodeAudioMono, ffmpegChildren, probeStreams, readRgbFrames, videoTiming } from '../helpers/media.js';

const run = promisify(execFile);
const OPENCV = '/usr/share/doc/opencv-doc/examples/data';
const FPS = 25;
let worker: TestWorker;
let victim: TestServer;
let voiceSeconds = 0;

beforeAll(async () => {
  victim = await startServer((_req, res) => res.end('secret'));
  worker = await createTestWorker({ MAX_PIXELS: String(1280 * 900), MAX_INPUT_BYTES: '20000000' }, 'temp');
  const vol = worker.config.volumeDir;
  const ff = binaries().ffmpeg;
  const ffq = (...args: string[]): Promise<unknown> => run(ff, ['-v', 'error', '-y', ...args]);
  await writeFile(join(vol, 'fruits.jpg'), await readFile(join(OPENCV, 'fruits.jpg')));
  await ffq('-i', join(OPENCV, 'building.jpg'), join(vol, 'building.webp'));
  await ffq('-i', join(OPENCV, 'baboon.jpg'), join(vol, 'baboon.png'));
  // Voice, 1.6 s of silence, voice: loud and quiet stretches to compare the motion over.
  const say = join(worker.root, 'say.wav');
  await run('espeak-ng', ['-w', say, 'The quick brown fox jumps over the lazy dog, and then it runs away.']);
  await ffq(
    '-i',
    say,
    '-f',
    'lavfi',
    '-t',
    '1.6',
    '-i',
    'anullsrc=r=22050:cl=mono',
    '-i',
    say,
    '-filter_complex',
    '[0:a][1:a][2:a]concat=n=3:v=0:a=1[a]',
    '-map',
    '[a]',
    '-c:a',
    'pcm_s16le',
    join(vol, 'voice.wav'),
  );
  await ffq('-i', join(vol, 'voice.wav'), '-c:a', 'aac', '-b:a', '96k', '-ar', '48000', join(vol, 'voice.m4a'));
  await ffq('-i', join(vol, 'voice.wav'), '-c:a', 'libmp3lame', '-b:a', '96k', join(vol, 'voice.mp3'));
  voiceSeconds = (await decodeAudioMono(join(vol, 'voice.wav'), 8000)).length / 8000;
  await ffq('-f', 'lavfi', '-t', '1.5', '-i', 'anullsrc=r=48000:cl=stereo', '-c:a', 'pcm_s16le', join(vol, 'silent.wav'));
  // Things posing as images: an HLS playlist aimed at the victim, an SVG, an HTML page; a photo over MAX_PIXELS.
  await writeFile(join(vol, 'playlist.png'), `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n${victim.url}/segment.ts\n#EXT-X-ENDLIST\n`);
  await writeFile(
    join(vol, 'drawing.png'),
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>\n',
  );
  await writeFile(join(vol, 'page.png'), '<!DOCTYPE html><html><body><img src="http://127.0.0.1/x.png"></body></html>\n');
  await ffq('-f', 'lavfi', '-i', 'testsrc=s=1600x1000', '-frames:v', '1', '-f', 'image2', '-c:v', 'png', join(vol, 'huge.png'));
  // A flat canvas with the baboon (all detail) in its lower right: the salient region is known.
  await ffq(
    '-f',
    'lavfi',
    '-i',
    'color=c=gray:s=1280x720',
    '-i',
    join(OPENCV, 'baboon.jpg'),
    '-filter_complex',
    '[1:v]scale=320:320[b];[0:v][b]overlay=900:350',
    '-frames:v',
    '1',
    join(vol, 'corner.png'),
  );
  await writeFile(join(vol, 'truncated.png'), (await readFile(join(vol, 'baboon.png'))).subarray(0, 3000));
  await ffq(
    '-f',
    'lavfi',
    '-i',
    'testsrc=s=64x48:r=10',
    '-t',
    '0.5',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    join(vol, 'silent-video.mkv'),
  );
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await victim?.close();
});

const job = (input: Record<string, unknown>): Record<string, unknown> => ({
  task: 'animate',
  image_path: 'fruits.jpg',
  audio_path: 'voice.m4a',
  delivery: 'path',
  ...input,
});

/** Mean absolute difference between consecutive frames (gray, 0…255), per frame (index 0: 0). */
function frameChange(frames: Uint8Array[]): number[] {
  return frames.map((f, i) => {
    if (i === 0) return 0;
    const prev = frames[i - 1] as Uint8Array;
    let s = 0;
    for (let k = 0; k < f.length; k++) s += Math.abs((f[k] as number) - (prev[k] as number));
    return s / f.length;
  });
}

describe('animate', () => {
  it('a photo and a voice: the video lasts as long as the audio, whose packets are copied; motion follows the loudness', async () => {
    const res = await worker.run(job({ width: 320, height: 240, motion: 'auto' }));
    const out = outputOf(res);
    expect(out).toMatchObject({ mime: 'video/mp4', width: 320, height: 240, fps: FPS, motion: 'zoom_in' });
    expect(out.warnings).toEqual([]);
    const file = out.video_path as string;
    const { end } = await videoTiming(file);
    expect(Math.abs(end - voiceSeconds)).toBeLessThanOrEqual(1 / FPS + 1e-3);
    expect(out.frames).toBe(Math.round(voiceSeconds * FPS));
    expect(await audioPacketsMd5(file)).toBe(await audioPacketsMd5(join(worker.config.volumeDir, 'voice.m4a')));
    expect(res.progress.length).toBeGreaterThan(2);

    // The motion: frame-to-frame change against the audio's RMS over each frame.
    const frames = await readRgbFrames(file, 160, 120);
    const change = frameChange(frames);
    const audio = await decodeAudioMono(join(worker.config.volumeDir, 'voice.wav'), 8000);
    const hop = 8000 / FPS;
    const rms = change.map((_, f) => {
      let s = 0;
      for (let i = Math.floor(f * hop); i < Math.min(audio.length, Math.floor((f + 1) * hop)); i++) s += (audio[i] as number) ** 2;
      return Math.sqrt(s / hop);
    });
    const loudAt = Math.max(...rms) * 0.1;
    const loud = change.filter((_, f) => f > 0 && (rms[f] as number) > loudAt);
    const quiet = change.filter((_, f) => f > 0 && (rms[f] as number) < 1e-3);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(quiet.length).toBeGreaterThan(20);
    expect(loud.length).toBeGreaterThan(20);
    expect(mean(loud)).toBeGreaterThan(2 * mean(quiet));
    // And across the whole clip, change correlates with loudness.
    const n = change.length - 1;
    const c = change.slice(1);
    const r = rms.slice(1);
    const mc = mean(c);
    const mr = mean(r);
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
      sxy += ((c[i] as number) - mc) * ((r[i] as number) - mr);
      sxx += ((c[i] as number) - mc) ** 2;
      syy += ((r[i] as number) - mr) ** 2;
    }
    expect(sxy / Math.sqrt(sxx * syy)).toBeGreaterThan(0.4);
  }, 120_000);

  it('WebP and PNG stills, an MP3 track (copied), default size from the aspect, a named pan; ' +
    'the same seed gives the same video', async () => {
    const a = outputOf(
      await worker.run(job({ image_path: 'building.webp', audio_path: 'voice.mp3', motion: 'pan_left', seed: 7, fps: 12 })),
    );
    expect(a).toMatchObject({ width: 1280, height: 884, fps: 12, motion: 'pan_left' });
    const streams = await probeStreams(a.video_path as string);
    expect(streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('mp3');
    expect(await audioPacketsMd5(a.video_path as string)).toBe(await audioPacketsMd5(join(worker.config.volumeDir, 'voice.mp3')));
    const p1 = outputOf(await worker.run(job({ image_path: 'baboon.png', audio_path: 'voice.wav', width: 128, height: 128, seed: 3 })));
    const p2 = outputOf(await worker.run(job({ image_path: 'baboon.png', audio_path: 'voice.wav', width: 128, height: 128, seed: 3 })));
    expect(p1.warnings).toEqual(['pcm_s16le audio cannot be stored in MP4 as it is: re-encoded to AAC']);
    const f1 = await readRgbFrames(p1.video_path as string, 128, 128);
    const f2 = await readRgbFrames(p2.video_path as string, 128, 128);
    expect(Buffer.from(f1[40] as Uint8Array).equals(Buffer.from(f2[40] as Uint8Array))).toBe(true);
  }, 180_000);

  it('auto: starts wide and ends on the most detailed region', async () => {
    const out = outputOf(
      await worker.run(job({ image_path: 'corner.png', audio_path: 'voice.wav', width: 320, height: 180, motion: 'auto' })),
    );
    expect(out.motion).toBe('zoom_in');
    const frames = await readRgbFrames(out.video_path as string, 320, 180);
    // Where the detail is in a frame: the centroid of the horizontal gradient, as a fraction of the width/height.
    const centroid = (f: Uint8Array): { x: number; y: number } => {
      let sx = 0;
      let sy = 0;
      let s = 0;
      for (let y = 0; y < 180; y++) {
        for (let x = 1; x < 320; x++) {
          const g = Math.abs((f[(y * 320 + x) * 3 + 1] as number) - (f[(y * 320 + x - 1) * 3 + 1] as number));
          sx += g * x;
          sy += g * y;
          s += g;
        }
      }
      return { x: sx / s / 320, y: sy / s / 180 };
    };
    const first = centroid(frames[0] as Uint8Array);
    const last = centroid(frames.at(-1) as Uint8Array);
    expect(first.x).toBeGreaterThan(0.75);
    // The camera went towards the baboon: it sits nearer the centre of the last frame (and larger).
    expect(Math.hypot(last.x - 0.5, last.y - 0.5)).toBeLessThan(Math.hypot(first.x - 0.5, first.y - 0.5) - 0.05);
  }, 60_000);

  it('base64 sources (a data: URI image, plain base64 audio)', async () => {
    const vol = worker.config.volumeDir;
    const image = `data:image/png;base64,${(await readFile(join(vol, 'baboon.png'))).toString('base64')}`;
    const audio = (await readFile(join(vol, 'voice.mp3'))).toString('base64');
    const out = outputOf(
      await worker.run(
        job({ image_path: undefined, audio_path: undefined, image_base64: image, audio_base64: audio, width: 96, height: 96, fps: 10 }),
      ),
    );
    expect(out).toMatchObject({ width: 96, height: 96, fps: 10, frames: Math.round(voiceSeconds * 10) });
  }, 60_000);

  it('a silent track still gives a video, with a warning', async () => {
    const out = outputOf(await worker.run(job({ audio_path: 'silent.wav', width: 160, height: 120 })));
    expect(out.frames).toBe(Math.round(1.5 * FPS));
    expect(out.warnings).toEqual(expect.arrayContaining([expect.stringContaining('the audio is silent')]));
  }, 60_000);

  it('cancellation stops ffmpeg', async () => {
    const ac = new AbortController();
    const pending = worker.run(job({ width: 1280, height: 720, fps: 60 }), { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 1200));
    ac.abort(new Error('cancelled by the test'));
    expect(errorOf(await pending).code).toBe('CANCELLED');
    expect(ffmpegChildren()).toEqual([]);
  }, 60_000);
});

describe('animate, refused', () => {
  const refused = async (input: Record<string, unknown>): Promise<{ code: string; message: string; details?: unknown }> =>
    errorOf(await worker.run(job(input)));

  it.each([
    ['an HLS playlist named .png', { image_path: 'playlist.png' }, 'MEDIA_UNREADABLE', 'image_path'],
    ['an SVG named .png', { image_path: 'drawing.png' }, 'MEDIA_UNREADABLE', 'image_path'],
    ['an HTML page named .png', { image_path: 'page.png' }, 'MEDIA_UNREADABLE', 'image_path'],
    ['a WAV given as the image', { image_path: 'voice.wav' }, 'MEDIA_UNREADABLE', 'image_path'],
    ['an image over MAX_PIXELS', { image_path: 'huge.png' }, 'VIDEO_TOO_LARGE', 'image_path'],
    ['a PNG given as the audio', { audio_path: 'baboon.png' }, 'MEDIA_UNREADABLE', 'audio_path'],
    ['a video without audio given as the audio', { audio_path: 'silent-video.mkv' }, 'MEDIA_UNREADABLE', 'audio_path'],
    ['a truncated PNG', { image_path: 'truncated.png' }, 'MEDIA_UNREADABLE', 'image_path'],
    ['an image path outside the volume', { image_path: '/etc/passwd' }, 'INVALID_INPUT', 'image_path'],
    ['an audio file that does not exist', { audio_path: 'missing.wav' }, 'INPUT_NOT_FOUND', 'audio_path'],
  ])('%s → %s', async (_why, input, code, field) => {
    const err = await refused(input);
    expect(err.code).toBe(code);
    expect(err.message).toContain(field);
    expect(err.details).toMatchObject({ field });
  });

  it('an audio URL to a private address: URL_NOT_ALLOWED, as for videos; the victim is never reached', async () => {
    expect((await refused({ audio_path: undefined, audio_url: `${victim.url}/a.mp3` })).code).toBe('URL_NOT_ALLOWED');
    expect((await refused({ image_path: undefined, image_url: `http://127.0.0.1:${victim.port}/i.png` })).code).toBe('URL_NOT_ALLOWED');
    expect(victim.hits).toEqual([]);
  });

  it('payload: exactly one of each source, strict fields, even sides, fps ≤ 60', async () => {
    const issues = async (input: Record<string, unknown>): Promise<string[]> =>
      ((await refused(input)).details as { issues: { field: string }[] }).issues.map((i) => i.field);
    expect(await issues({ image_url: 'https://example.com/a.png' })).toEqual(['image_url', 'image_path']);
    expect(await issues({ audio_path: undefined })).toEqual(['audio_path']);
    expect(await issues({ width: 321, fps: 61, motion: 'spin', colour: 1 })).toEqual(
      expect.arrayContaining(['width', 'fps', 'motion', 'colour']),
    );
  });
});
