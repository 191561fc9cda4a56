/** Bad inputs get a coded error, and the same worker keeps serving good jobs afterwards. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestWorker, errorOf, outputOf, type TestWorker } from '../helpers/job.js';
import { SHARED_MEDIA } from '../helpers/media.js';

let worker: TestWorker;
beforeAll(async () => {
  worker = await createTestWorker({ MAX_BASE64_BYTES: '200000', MAX_INPUT_BYTES: '5000000' }, 'temp');
  const vol = worker.config.volumeDir;
  await writeFile(join(vol, 'notes.mp4'), 'this is not a video at all\n'.repeat(20));
  await writeFile(join(vol, 'empty.mp4'), '');
  await writeFile(join(vol, 'clip.mp4'), await readFile(join(SHARED_MEDIA, 'chaplin.mp4')));
  const full = await readFile(join(SHARED_MEDIA, 'fire2.mp4'));
  await writeFile(join(vol, 'truncated.mp4'), full.subarray(0, 2000));
  await mkdir(join(worker.root, 'secret'));
  await writeFile(join(worker.root, 'secret', 'key.mp4'), 'top secret');
  await symlink(join(worker.root, 'secret', 'key.mp4'), join(vol, 'link.mp4'));
});
afterAll(() => worker.close());

const tone = async (): Promise<string> => {
  // An audio-only file: ffprobe reads it fine, but there is no picture to score.
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { binaries } = await import('../helpers/media.js');
  const file = join(worker.config.volumeDir, 'tone.m4a');
  await promisify(execFile)(binaries().ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=d=1', '-c:a', 'aac', file]);
  return 'tone.m4a';
};

describe('inputs that cannot be used', () => {
  it.each([
    ['a path that climbs out of the volume', 'INVALID_INPUT', { video_path: '../secret/key.mp4' }],
    ['an absolute path outside the roots', 'INVALID_INPUT', { video_path: '/etc/passwd' }],
    ['a symlink that leads out of the volume', 'INVALID_INPUT', { video_path: 'link.mp4' }],
    ['a file that does not exist', 'INPUT_NOT_FOUND', { video_path: 'missing.mp4' }],
    ['a directory', 'INVALID_INPUT', { video_path: '.' }],
    ['a text file named .mp4', 'MEDIA_UNREADABLE', { video_path: 'notes.mp4' }],
    ['an empty file', 'MEDIA_UNREADABLE', { video_path: 'empty.mp4' }],
    ['a truncated MP4', 'MEDIA_UNREADABLE', { video_path: 'truncated.mp4' }],
    ['base64 with characters outside the alphabet', 'INVALID_INPUT', { video_base64: 'AAAA$$$$' }],
    ['base64 of text', 'MEDIA_UNREADABLE', { video_base64: Buffer.from('hello world, not a video').toString('base64') }],
    ['base64 over MAX_INPUT_BYTES', 'INVALID_INPUT', { video_base64: 'A'.repeat(7_000_000) }],
    ['a URL (not supported yet)', 'INVALID_INPUT', { video_url: 'http://127.0.0.1:9/x.mp4' }],
    ['an engine this build lacks', 'ENGINE_NOT_AVAILABLE', { video_path: 'clip.mp4', engine: 'mmaudio' }],
    ['delivery url without a bucket', 'INVALID_INPUT', { video_path: 'clip.mp4', delivery: 'url', duration: 0.5 }],
    ['a base64 result over MAX_BASE64_BYTES', 'OUTPUT_TOO_LARGE', { video_path: 'clip.mp4', delivery: 'base64' }],
  ])('%s → %s', async (_why, code, input) => {
    expect(errorOf(await worker.run(input)).code).toBe(code);
  });

  it('an audio-only file → NO_VIDEO_STREAM', async () => {
    expect(errorOf(await worker.run({ video_path: await tone() })).code).toBe('NO_VIDEO_STREAM');
  });

  it('keeps serving after all of them, and leaves no scratch directory behind', async () => {
    const out = outputOf(await worker.run({ video_path: 'clip.mp4', output_format: 'wav', duration: 1 }));
    expect(out.mime).toBe('audio/wav');
    const left = (await readdir(worker.root)).filter((n) => n.startsWith('foley-job-'));
    expect(left).toEqual([]);
  });

  it('accepts a data: URI', async () => {
    const b64 = (await readFile(join(SHARED_MEDIA, 'transparent.webm'))).toString('base64');
    const out = outputOf(await worker.run({ video_base64: `data:video/webm;base64,${b64}`, output_format: 'wav' }));
    expect(out.duration).toBeCloseTo(5, 1);
  });

  it('a cancelled job fails with CANCELLED and cleans up', async () => {
    const controller = new AbortController();
    const pending = worker.run({ video_path: 'clip.mp4' }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancel')), 30);
    expect(errorOf(await pending).code).toBe('CANCELLED');
    expect((await readdir(worker.root)).filter((n) => n.startsWith('foley-job-'))).toEqual([]);
  });
});
