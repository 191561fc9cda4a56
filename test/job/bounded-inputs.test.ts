/**
 * What a held-out hostile set found, each as a test that failed before the fix:
 * - inputs that do not declare their length (a day of raw FLAC as animate's audio, Matroska
 *   written to a pipe as a video) are refused at the limit in seconds and in bounded memory, and
 *   a job reading one stays cancellable within a second (the FLAC was decoded whole: 94 s, 8.4 GB);
 * - `duration` values too small for a frame are INVALID_INPUT, not an ffmpeg failure;
 * - refused `image_url` / `audio_url` name their own field, and a `data:` URL is not echoed;
 * - zod's own wording does not reach the client (`task: null`).
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiProcess, type ApiProcess } from '../helpers/api-process.js';
import { flacSilence } from '../helpers/flac-silence.js';
import { createTestWorker, errorOf, outputOf, type TestWorker } from '../helpers/job.js';
import { binaries } from '../helpers/media.js';
import { readStandIn } from '../helpers/stand-ins.js';

const run = promisify(execFile);
let worker: TestWorker;

/** A 32×32 H.264 video of `seconds` at 25 fps, as Matroska written to a pipe: no duration anywhere. */
async function lengthlessMkv(seconds: number): Promise<Buffer> {
  const { stdout } = await run(
    binaries().ffmpeg,
    [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `color=s=32x32:r=25:d=${seconds}`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-f',
      'matroska',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 64 << 20 },
  );
  return stdout;
}

beforeAll(async () => {
  worker = await createTestWorker({}, 'temp');
  const vol = worker.config.volumeDir;
  await writeFile(join(vol, 'day.flac'), flacSilence(86_400));
  await writeFile(join(vol, 'minute.flac'), flacSilence(60));
  await writeFile(join(vol, 'two-hours.mkv'), await lengthlessMkv(7300));
  await writeFile(join(vol, 'three-seconds.mkv'), await lengthlessMkv(3));
  await writeFile(join(vol, 'clip.mp4'), await readStandIn('chaplin.mp4'));
  await run(binaries().ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=96x64', '-frames:v', '1', join(vol, 'still.png')]);
}, 120_000);
afterAll(() => worker.close());

/** Peak resident memory of a process so far (Linux: VmHWM), MiB. */
async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

async function statusOf(api: ApiProcess, id: string): Promise<{ status: string; error?: string; output?: unknown }> {
  return (await (await fetch(`${api.base}/status/${id}`)).json()) as { status: string; error?: string };
}

async function untilDone(api: ApiProcess, id: string, limitMs: number): Promise<{ status: string; error?: string }> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const s = await statusOf(api, id);
    if (!['IN_QUEUE', 'IN_PROGRESS'].includes(s.status)) return s;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${s.status} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('inputs that do not declare their length, through one worker process', () => {
  const jobs: Array<[string, Record<string, unknown>, string]> = [
    ['a day of raw FLAC as the audio', { task: 'animate', image_path: 'still.png', audio_path: 'day.flac' }, 'audio_path'],
    ['two hours of Matroska written to a pipe (foley)', { video_path: 'two-hours.mkv', output_format: 'wav' }, 'video_path'],
    ['two hours of Matroska written to a pipe (upscale)', { task: 'upscale', video_path: 'two-hours.mkv', model: 'ffmpeg' }, 'video_path'],
    [
      'two hours of Matroska written to a pipe (interpolate)',
      { task: 'interpolate', video_path: 'two-hours.mkv', factor: 2, model: 'ffmpeg' },
      'video_path',
    ],
  ];

  it.each(jobs)(
    '%s → VIDEO_TOO_LONG in under 10 s, worker under 300 MB',
    async (_what, input, field) => {
      const api = await startApiProcess({
        PATH: '',
        VOLUME_DIR: worker.config.volumeDir,
        OUTPUT_DIR: join(worker.root, 'api-out'),
        WORK_DIR: worker.root,
        FOLEY_VISION: 'false',
      });
      try {
        const t0 = Date.now();
        const { id } = (await api.post('/run', { input })) as { id: string };
        const done = await untilDone(api, id, 10_000);
        expect(Date.now() - t0).toBeLessThan(10_000);
        expect(done.status).toBe('FAILED');
        const error = JSON.parse(done.error ?? '{}') as { code: string; message: string; details: { field: string; limit: number } };
        expect(error.code).toBe('VIDEO_TOO_LONG');
        expect(error.details).toMatchObject({ field, limit: 3600 });
        expect(error.message).toMatch(/3600-second limit/);
        expect(await peakRssMiB(api.child.pid as number)).toBeLessThan(300);
        // The worker goes on serving.
        expect((await (await fetch(`${api.base}/health`)).json()) as object).toHaveProperty('jobs');
      } finally {
        await api.stop();
      }
    },
    60_000,
  );

  it('a day of FLAC under a day-long limit: decoded in bounded memory and cancelled within a second', async () => {
    const api = await startApiProcess({
      PATH: '',
      VOLUME_DIR: worker.config.volumeDir,
      OUTPUT_DIR: join(worker.root, 'api-out'),
      WORK_DIR: worker.root,
      FOLEY_VISION: 'false',
      MAX_DURATION_S: '90000',
      MAX_FRAMES: '10000000',
    });
    try {
      const { id } = (await api.post('/run', { input: { task: 'animate', image_path: 'still.png', audio_path: 'day.flac', fps: 10 } })) as {
        id: string;
      };
      // Until the decode has run a while (a day at the envelope's rate takes far longer than this).
      const t0 = Date.now();
      while ((await statusOf(api, id)).status !== 'IN_PROGRESS' || Date.now() - t0 < 2500) await new Promise((r) => setTimeout(r, 50));
      const cancelledAt = Date.now();
      await api.post(`/cancel/${id}`, {});
      const done = await untilDone(api, id, 5_000);
      expect(done.status).toBe('CANCELLED');
      expect(Date.now() - cancelledAt).toBeLessThan(1_000);
      expect(await peakRssMiB(api.child.pid as number)).toBeLessThan(300);
    } finally {
      await api.stop();
    }
  }, 60_000);
});

describe('inputs that do not declare their length but are short', () => {
  it('a length-less video within the limits is measured and used', async () => {
    const out = outputOf(await worker.run({ video_path: 'three-seconds.mkv', output_format: 'wav', vision: false }));
    expect(out.duration).toBeCloseTo(3, 1);
  });

  it('a length-less FLAC within the limits drives the camera for its whole length', async () => {
    const out = outputOf(
      await worker.run({ task: 'animate', image_path: 'still.png', audio_path: 'minute.flac', fps: 10, width: 96, height: 64 }),
    );
    expect(out.duration).toBeCloseTo(60, 0);
    expect(out.frames).toBe(600);
  });
});

describe('durations too short for a frame', () => {
  const tasks: Array<[string, Record<string, unknown>]> = [
    ['foley', { video_path: 'clip.mp4', output_format: 'wav' }],
    ['upscale', { task: 'upscale', video_path: 'clip.mp4', model: 'ffmpeg' }],
    ['interpolate', { task: 'interpolate', video_path: 'clip.mp4', factor: 2, model: 'ffmpeg' }],
  ];
  for (const [task, input] of tasks) {
    it.each([1e-9, 1e-7, 0.001])(`${task}: duration %s → INVALID_INPUT naming duration`, async (duration) => {
      const err = errorOf(await worker.run({ ...input, duration }));
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.message).toMatch(/duration: .* shorter than one frame/);
      expect(err.details).toMatchObject({ field: 'duration', issues: [{ field: 'duration' }] });
    });
  }

  it('a duration of one frame or more still works', async () => {
    const out = outputOf(await worker.run({ video_path: 'clip.mp4', output_format: 'wav', duration: 0.25, vision: false }));
    expect(out.duration).toBeGreaterThan(0);
    expect(out.duration).toBeLessThan(0.5);
  });
});

describe('refused URLs name their own field', () => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ['image_url', 'loopback', { image_url: 'http://127.0.0.1:9/still.png', audio_path: 'minute.flac' }],
    ['image_url', 'the metadata service', { image_url: 'http://169.254.169.254/latest/meta-data/', audio_path: 'minute.flac' }],
    ['image_url', 'a private range', { image_url: 'http://10.1.2.3/still.png', audio_path: 'minute.flac' }],
    ['audio_url', 'loopback', { image_path: 'still.png', audio_url: 'http://[::1]:9/a.flac' }],
    ['audio_url', 'the metadata service', { image_path: 'still.png', audio_url: 'http://169.254.169.254/a.flac' }],
    ['audio_url', 'a private range', { image_path: 'still.png', audio_url: 'http://192.168.1.1/a.flac' }],
  ];
  it.each(cases)('%s at %s → URL_NOT_ALLOWED naming that field', async (field, _where, sources) => {
    const err = errorOf(await worker.run({ task: 'animate', ...sources }));
    expect(err.code).toBe('URL_NOT_ALLOWED');
    expect(err.message.startsWith(`${field}: `)).toBe(true);
    expect(err.message).not.toMatch(/video_url/);
    expect(err.details).toMatchObject({ field });
  });

  it('a 1 MB data: URL as image_url is refused without being echoed', async () => {
    const payload = Buffer.alloc(1_000_000, 7).toString('base64');
    const err = errorOf(await worker.run({ task: 'animate', image_url: `data:image/png;base64,${payload}`, audio_path: 'minute.flac' }));
    expect(err.code).toBe('URL_NOT_ALLOWED');
    expect(err.details).toMatchObject({ field: 'image_url', url: 'data:…' });
    const wire = JSON.stringify(err);
    expect(wire.length).toBeLessThan(1_000);
    expect(wire).not.toContain(payload.slice(0, 64));
  });
});

describe("zod's own wording does not reach the client", () => {
  it.each([
    [{ task: null }, 'task', 'must be one of "foley", "upscale", "animate", "interpolate", "sound" (got null)'],
    [{ task: 7 }, 'task', 'must be one of "foley", "upscale", "animate", "interpolate", "sound" (got 7)'],
    [{ video_path: 'x'.repeat(5000) }, 'video_path', 'must be at most 4096 characters long'],
    [{ video_url: [] }, 'video_url', 'must be a string (got an array)'],
  ])('%j → %s: %s', async (input, field, message) => {
    const err = errorOf(await worker.run(input));
    expect(err.code).toBe('INVALID_INPUT');
    const issues = (err.details as { issues: Array<{ field: string; message: string }> }).issues;
    expect(issues).toContainEqual({ field, message });
    for (const i of issues) expect(i.message).not.toMatch(/^(Invalid input|Too (big|small))|expected/);
  });
});
