/**
 * The hostile table: malformed and malicious payloads each get their coded error, the same worker
 * keeps serving, and a loopback "victim" server that several of them aim at is never reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestWorker, errorOf, outputOf, type TestWorker } from '../helpers/job.js';
import { startApiProcess } from '../helpers/api-process.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { binaries } from '../helpers/media.js';
import { readStandIn, standIn } from '../helpers/stand-ins.js';

const run = promisify(execFile);
const LIMITS = { MAX_BASE64_BYTES: '200000', MAX_INPUT_BYTES: '5000000', MAX_PIXELS: String(1920 * 1080), MAX_DURATION_S: '20' };
let worker: TestWorker;
let victim: TestServer;

beforeAll(async () => {
  victim = await startServer((_req, res) => res.end('secret'));
  worker = await createTestWorker(LIMITS, 'temp');
  const vol = worker.config.volumeDir;
  const ff = binaries().ffmpeg;
  await writeFile(join(vol, 'notes.mp4'), 'this is not a video at all\n'.repeat(20));
  await writeFile(join(vol, 'empty.mp4'), '');
  await writeFile(join(vol, 'clip.mp4'), await readStandIn('chaplin.mp4'));
  await writeFile(join(vol, 'long.webm'), await readStandIn('big_buck_bunny_0_30.webm'));
  await writeFile(join(vol, 'truncated.mp4'), (await readStandIn('fire2.mp4')).subarray(0, 2000));
  // Playlists and lists disguised as MP4: if ffmpeg followed them it would read the victim or a
  // real video outside the volume.
  await writeFile(join(vol, 'playlist.mp4'), `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n${victim.url}/segment.ts\n#EXT-X-ENDLIST\n`);
  await writeFile(
    join(vol, 'local-playlist.mp4'),
    `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://${await standIn('chaplin.mp4')}\n#EXT-X-ENDLIST\n`,
  );
  await writeFile(join(vol, 'concat.mp4'), `ffconcat version 1.0\nfile '${await standIn('chaplin.mp4')}'\n`);
  await mkdir(join(worker.root, 'secret'));
  await writeFile(join(worker.root, 'secret', 'key.mp4'), await readStandIn('chaplin.mp4'));
  await symlink(join(worker.root, 'secret', 'key.mp4'), join(vol, 'link.mp4'));
  // A playable MPEG-TS segment outside the volume, and a playlist on the volume that names it.
  const outside = join(worker.root, 'secret', 'outside.ts');
  await run(ff, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=s=160x90:d=1:r=10',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-f',
    'mpegts',
    outside,
  ]);
  await writeFile(join(vol, 'local.m3u8'), `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n${outside}\n#EXT-X-ENDLIST\n`);
  await run(ff, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=d=1', '-c:a', 'aac', join(vol, 'tone.m4a')]);
  await run(ff, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=s=64x64:d=0.04',
    '-frames:v',
    '1',
    '-f',
    'image2',
    join(vol, 'image.mp4'),
  ]);
  await run(ff, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'color=s=2048x1152:d=0.2:r=5',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    join(vol, 'huge.mp4'),
  ]);
});
afterAll(async () => {
  await worker.close();
  await victim.close();
});

const P = (): number => victim.port;
// [why, expected code, input]; functions are evaluated once the victim's port is known.
const TABLE: Array<[string, string, () => unknown]> = [
  ['a path that climbs out of the volume', 'INVALID_INPUT', () => ({ video_path: '../secret/key.mp4' })],
  ['an absolute path outside the roots', 'INVALID_INPUT', () => ({ video_path: '/etc/passwd' })],
  ['a symlink that leads out of the volume', 'INVALID_INPUT', () => ({ video_path: 'link.mp4' })],
  ['a NUL byte in the path', 'INVALID_INPUT', () => ({ video_path: 'clip.mp4\u0000.txt' })],
  ['a file that does not exist', 'INPUT_NOT_FOUND', () => ({ video_path: 'missing.mp4' })],
  ['a directory', 'INVALID_INPUT', () => ({ video_path: '.' })],
  ['a text file named .mp4', 'MEDIA_UNREADABLE', () => ({ video_path: 'notes.mp4' })],
  ['an empty file', 'MEDIA_UNREADABLE', () => ({ video_path: 'empty.mp4' })],
  ['a truncated MP4', 'MEDIA_UNREADABLE', () => ({ video_path: 'truncated.mp4' })],
  ['an HLS playlist named .mp4 pointing at the victim', 'MEDIA_UNREADABLE', () => ({ video_path: 'playlist.mp4' })],
  ['an HLS playlist named .mp4 pointing at a local video', 'MEDIA_UNREADABLE', () => ({ video_path: 'local-playlist.mp4' })],
  ['an HLS playlist (.m3u8) that names a video outside the volume', 'MEDIA_UNREADABLE', () => ({ video_path: 'local.m3u8' })],
  ['a concat list named .mp4', 'MEDIA_UNREADABLE', () => ({ video_path: 'concat.mp4' })],
  ['a PNG image named .mp4', 'MEDIA_UNREADABLE', () => ({ video_path: 'image.mp4' })],
  ['an audio-only file', 'NO_VIDEO_STREAM', () => ({ video_path: 'tone.m4a' })],
  ['dimensions over MAX_PIXELS', 'VIDEO_TOO_LARGE', () => ({ video_path: 'huge.mp4' })],
  ['a video over MAX_DURATION_S', 'VIDEO_TOO_LONG', () => ({ video_path: 'long.webm' })],
  ['base64 outside the alphabet', 'INVALID_INPUT', () => ({ video_base64: 'AAAA$$$$' })],
  ['base64 without padding', 'INVALID_INPUT', () => ({ video_base64: 'AAAAA' })],
  ['base64 of text', 'MEDIA_UNREADABLE', () => ({ video_base64: Buffer.from('hello world, not a video').toString('base64') })],
  ['base64 over MAX_INPUT_BYTES', 'INPUT_TOO_LARGE', () => ({ video_base64: 'A'.repeat(7_000_000) })],
  ['loopback URL', 'URL_NOT_ALLOWED', () => ({ video_url: `http://127.0.0.1:${P()}/v.mp4` })],
  ['localhost', 'URL_NOT_ALLOWED', () => ({ video_url: `http://localhost:${P()}/v.mp4` })],
  ['decimal IPv4 spelling', 'URL_NOT_ALLOWED', () => ({ video_url: `http://2130706433:${P()}/v.mp4` })],
  ['hex IPv4 spelling', 'URL_NOT_ALLOWED', () => ({ video_url: `http://0x7f000001:${P()}/v.mp4` })],
  ['octal IPv4 spelling', 'URL_NOT_ALLOWED', () => ({ video_url: `http://0177.0.0.1:${P()}/v.mp4` })],
  ['short IPv4 spelling', 'URL_NOT_ALLOWED', () => ({ video_url: `http://127.1:${P()}/v.mp4` })],
  ['IPv4-mapped IPv6', 'URL_NOT_ALLOWED', () => ({ video_url: `http://[::ffff:127.0.0.1]:${P()}/v.mp4` })],
  ['IPv6 loopback', 'URL_NOT_ALLOWED', () => ({ video_url: `http://[::1]:${P()}/v.mp4` })],
  ['unspecified address', 'URL_NOT_ALLOWED', () => ({ video_url: `http://0.0.0.0:${P()}/v.mp4` })],
  ['the cloud metadata service', 'URL_NOT_ALLOWED', () => ({ video_url: 'http://169.254.169.254/latest/meta-data/' })],
  ['a unique-local IPv6', 'URL_NOT_ALLOWED', () => ({ video_url: 'http://[fd00::1]/v.mp4' })],
  ['a file: URL', 'URL_NOT_ALLOWED', () => ({ video_url: 'file:///etc/passwd' })],
  ['an ftp: URL', 'URL_NOT_ALLOWED', () => ({ video_url: 'ftp://example.com/v.mp4' })],
  ['credentials in the URL', 'URL_NOT_ALLOWED', () => ({ video_url: `http://user:pass@127.0.0.1:${P()}/v.mp4` })],
  ['not a URL', 'INVALID_INPUT', () => ({ video_url: 'not a url' })],
  ['a wrong type', 'INVALID_INPUT', () => ({ video_path: ['clip.mp4'] })],
  ['an unknown field', 'INVALID_INPUT', () => ({ video_path: 'clip.mp4', callback: 'http://127.0.0.1/' })],
  ['two sources at once', 'INVALID_INPUT', () => ({ video_path: 'clip.mp4', video_url: `http://127.0.0.1:${P()}/` })],
  ['input that is not an object', 'INVALID_INPUT', () => 'clip.mp4'],
  ['an engine this build lacks', 'ENGINE_NOT_AVAILABLE', () => ({ video_path: 'clip.mp4', engine: 'mmaudio' })],
  ['delivery url without a bucket', 'INVALID_INPUT', () => ({ video_path: 'clip.mp4', delivery: 'url', duration: 0.5 })],
  ['a base64 result over MAX_BASE64_BYTES', 'OUTPUT_TOO_LARGE', () => ({ video_path: 'clip.mp4', delivery: 'base64' })],
];

describe('the hostile table', () => {
  it.each(TABLE)('%s → %s', async (_why, code, input) => {
    const err = errorOf(await worker.run(input()));
    expect(err.code).toBe(code);
    expect(err.message.length).toBeGreaterThan(10);
  });

  it('never reached the victim, keeps serving, and left no scratch directory behind', async () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(25);
    expect(victim.hits).toEqual([]);
    const out = outputOf(await worker.run({ video_path: 'clip.mp4', output_format: 'wav', duration: 1 }));
    expect(out.mime).toBe('audio/wav');
    expect((await readdir(worker.root)).filter((n) => n.startsWith('foley-job-'))).toEqual([]);
  });

  it('a long video is fine when `duration` asks only for its start', async () => {
    const out = outputOf(await worker.run({ video_path: 'long.webm', duration: 1, output_format: 'wav' }));
    expect(out.duration).toBeCloseTo(1, 1);
  });

  it('accepts a data: URI', async () => {
    const b64 = (await readStandIn('transparent.webm')).toString('base64');
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

describe('the hostile table against one --rp_serve_api worker process', () => {
  it('answers every row with its code over HTTP, then still completes a good job', async () => {
    const api = await startApiProcess(
      { PATH: '', VOLUME_DIR: worker.config.volumeDir, OUTPUT_DIR: join(worker.root, 'api-output'), WORK_DIR: worker.root, ...LIMITS },
      ['--rp_api_concurrency', '2'],
    );
    try {
      const runsync = async (input: unknown): Promise<{ status: string; error?: string; output?: Record<string, unknown> }> =>
        (await api.post('/runsync?wait=60000', { input })) as { status: string; error?: string; output?: Record<string, unknown> };
      const answers = await Promise.all(TABLE.map(async ([why, code, input]) => [why, code, await runsync(input())] as const));
      for (const [why, code, answer] of answers) {
        expect(answer.status, why).toBe('FAILED');
        expect((JSON.parse(answer.error ?? '{}') as { code: string }).code, why).toBe(code);
      }
      const good = await runsync({ video_path: 'clip.mp4', output_format: 'wav', duration: 1 });
      expect(good.status).toBe('COMPLETED');
      expect(good.output?.mime).toBe('audio/wav');
      expect(victim.hits).toEqual([]);
      expect(api.child.exitCode).toBeNull();
      // The warm-up's description of the worker is in /health and in every result; /health adds the limits.
      const health = (await (await fetch(`${api.base}/health`)).json()) as {
        worker?: { tier: string; provider: string; limits?: Record<string, number> };
      };
      expect(health.worker).toMatchObject({ tier: 'cpu', provider: 'cpu', limits: { max_input_bytes: 5_000_000 } });
      const { limits: _limits, ...hardware } = health.worker ?? { tier: '', provider: '' };
      expect(good.output?.metadata).toEqual(hardware);
    } finally {
      await api.stop();
    }
  });
});
