/**
 * The generated stand-ins for ../shared/media (test/helpers/stand-ins.ts) have what their
 * namesakes are in the tests for: codecs, sizes, frame rates, the 90 kHz time base, no container
 * duration, an alpha plane, audio that fails to decode part-way. If ffmpeg's encoders change, this
 * says which stand-in lost its point, instead of a distant test passing for the wrong reason.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { binaries, probeStreams } from '../helpers/media.js';
import { standIn, type StandInName } from '../helpers/stand-ins.js';

const run = promisify(execFile);

async function probe(file: string, entries: string): Promise<Record<string, string>> {
  const { stdout } = await run(binaries().ffprobe, [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    entries,
    '-of',
    'default=nw=1',
    file,
  ]);
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((l) => l.split('=') as [string, string]),
  );
}

describe('stand-ins for ../shared/media', () => {
  it.each([
    ['chaplin.mp4', ['h264', 'mp3'], 640, 360],
    ['fire2.mp4', ['h264', 'aac'], 1280, 720],
    ['no_duration.webm', ['vp9', 'opus'], 320, 240],
    ['transparent.webm', ['vp9'], 200, 200],
    ['smpte-2997.mp4', ['h264', 'aac'], 1920, 1080],
    ['big_buck_bunny_0_30.webm', ['vp8', 'vorbis'], 1280, 720],
    ['video_with_failing_audio.mp4', ['h264', 'mp3'], 640, 360],
  ] as const)(
    '%s: %j at %i×%i',
    async (name, codecs, width, height) => {
      const streams = await probeStreams(await standIn(name as StandInName));
      expect(streams.map((s) => s.codec_name)).toEqual(codecs);
      expect(streams[0]).toMatchObject({ width, height });
    },
    120_000,
  );

  it('fire2.mp4: a 90 kHz time base, variable frame times, 2.38 s', async () => {
    const file = await standIn('fire2.mp4');
    const v = await probe(file, 'stream=time_base,duration');
    expect(v.time_base).toBe('1/90000');
    expect(Number(v.duration)).toBeCloseTo(2.38, 1);
    const { stdout } = await run(binaries().ffprobe, [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'packet=pts',
      '-of',
      'csv=p=0',
      file,
    ]);
    const pts = stdout
      .trim()
      .split('\n')
      .map(Number)
      .sort((a, b) => a - b);
    expect(new Set(pts.slice(1).map((p, i) => p - (pts[i] as number))).size).toBeGreaterThan(1);
  });

  it('no_duration.webm: 15000/1001 fps and no container duration', async () => {
    const file = await standIn('no_duration.webm');
    expect((await probe(file, 'stream=r_frame_rate')).r_frame_rate).toBe('15000/1001');
    const { stdout } = await run(binaries().ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', file]);
    expect(stdout.trim()).toBe('N/A');
  });

  it('transparent.webm: VP9 with an alpha plane, 30 fps, 5 s', async () => {
    const file = await standIn('transparent.webm');
    const { stdout } = await run(binaries().ffprobe, [
      '-v',
      'error',
      '-show_entries',
      'stream_tags=alpha_mode:format=duration',
      '-of',
      'default=nw=1',
      file,
    ]);
    expect(stdout).toContain('alpha_mode=1');
    expect(Number(/duration=([\d.]+)/.exec(stdout)?.[1])).toBeCloseTo(5, 1);
  });

  it('big_buck_bunny_0_30.webm: 30 s at 24 fps (over the tests\u2019 20 s limit)', async () => {
    const v = await probe(await standIn('big_buck_bunny_0_30.webm'), 'stream=r_frame_rate');
    expect(v.r_frame_rate).toBe('24/1');
    const { stdout } = await run(binaries().ffprobe, [
      '-v',
      'error',
      '-show_entries',
      'format=duration',
      '-of',
      'default=nw=1:nk=1',
      await standIn('big_buck_bunny_0_30.webm'),
    ]);
    expect(Number(stdout)).toBeCloseTo(30, 0);
  });

  it('video_with_failing_audio.mp4: 280 video frames, and the audio decoder reports errors part-way', async () => {
    const file = await standIn('video_with_failing_audio.mp4');
    const streams = await probeStreams(file);
    expect(Number(streams[0]?.nb_read_packets)).toBe(280);
    const { stderr } = await run(binaries().ffmpeg, ['-v', 'error', '-i', file, '-map', '0:a', '-f', 'null', '-']);
    expect(stderr.length).toBeGreaterThan(0);
  });
});
