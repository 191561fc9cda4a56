/**
 * The built entry (`node dist/handler.js`) in local test mode, as `npm start` runs it, with no
 * ffmpeg on PATH: the npm-shipped binaries must be enough. Needs `npm run build` first (npm test does it).
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startApiProcess } from './helpers/api-process.js';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const ENTRY = join(ROOT, 'dist', 'handler.js');

async function entry(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // PATH empty: no system ffmpeg/ffprobe can be found; node itself is spawned by absolute path.
    const { stdout, stderr } = await run(process.execPath, [ENTRY, ...args], {
      cwd,
      env: { PATH: '', OUTPUT_DIR: join(cwd, 'output'), ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('local test mode of dist/handler.js', () => {
  it('runs ./test_input.json with ffmpeg hidden from PATH, prints the result JSON on stdout, exits 0', async () => {
    const { code, stdout, stderr } = await entry([], ROOT, { OUTPUT_DIR: await mkdtemp(join(tmpdir(), 'foley-cli-')) });
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as { status: string; output: { video_path: string; preset: string; seed: number } };
    expect(result.status).toBe('COMPLETED');
    expect(result.output).toMatchObject({ preset: 'footsteps', seed: 42 });
    expect((await stat(result.output.video_path)).size).toBeGreaterThan(10_000);
    expect(stderr).toContain('"msg":"ffmpeg found"');
    expect(stdout.trim().split('\n')).toHaveLength(1);
    await rm(join(result.output.video_path, '..'), { recursive: true, force: true });
  });

  it('fails with exit 1 and a coded error for a bad payload, and for a missing test_input.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'foley-cli-'));
    try {
      const bad = await entry(['--test_input', JSON.stringify({ input: { video_path: 'footsteps.mp4', seed: -4 } })], dir);
      expect(bad.code).toBe(1);
      const failed = JSON.parse(bad.stdout) as { status: string; error: string };
      expect(failed.status).toBe('FAILED');
      expect(JSON.parse(failed.error)).toMatchObject({ code: 'INVALID_INPUT', details: { issues: [{ field: 'seed' }] } });

      const none = await entry([], dir);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('INVALID_INPUT');
      expect(none.stderr).toContain('test_input.json');

      await writeFile(join(dir, 'test_input.json'), '{"input": {"video_path": "nope.mp4"}}');
      const missing = await entry([], dir, { VOLUME_DIR: dir });
      expect(missing.code).toBe(1);
      expect(JSON.parse((JSON.parse(missing.stdout) as { error: string }).error)).toMatchObject({ code: 'INPUT_NOT_FOUND' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports FFMPEG_NOT_FOUND naming what it tried when FFMPEG_PATH is wrong', async () => {
    const { code, stdout } = await entry([], ROOT, { FFMPEG_PATH: '/nonexistent/ffmpeg' });
    expect(code).toBe(1);
    const error = JSON.parse((JSON.parse(stdout) as { error: string }).error) as { code: string; message: string };
    expect(error.code).toBe('FFMPEG_NOT_FOUND');
    expect(error.message).toContain('/nonexistent/ffmpeg');
  });

  it('rejects an unknown flag before doing anything', async () => {
    const { code, stderr } = await entry(['--no_such_flag'], ROOT);
    expect(code).toBe(1);
    expect(stderr).toContain('no_such_flag');
  });
});

describe('the local API of the built worker', () => {
  it('serves the playground page, and /health tells its limits', async () => {
    const api = await startApiProcess({ PATH: '', OUTPUT_DIR: join(tmpdir(), 'foley-cli-unused'), MAX_INPUT_BYTES: '5000000' });
    try {
      const page = await fetch(`${api.base}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>foley-worker playground</title>');
      const health = (await (await fetch(`${api.base}/health`)).json()) as { worker?: { tier?: string; limits?: Record<string, number> } };
      expect(health.worker?.tier).toBe('cpu');
      expect(health.worker?.limits).toMatchObject({
        max_input_bytes: 5_000_000,
        max_duration_s: expect.any(Number),
        max_pixels: expect.any(Number),
      });
    } finally {
      await api.stop();
    }
  });
});

describe('one worker process serving many jobs', () => {
  it('gives byte-identical audio for the same job every time, also after a cancelled one (kept synthesis thread)', async () => {
    const api = await startApiProcess({ PATH: '', OUTPUT_DIR: join(tmpdir(), 'foley-cli-unused') });
    try {
      const input = { video_path: 'footsteps.mp4', output_format: 'wav', delivery: 'base64', seed: 5 };
      const audio = async (): Promise<string> => {
        const r = await api.post('/runsync', { input });
        expect(r.status).toBe('COMPLETED');
        return (r.output as { audio_base64: string }).audio_base64;
      };
      const first = await audio();
      expect(await audio()).toBe(first);
      // Cancel one while it runs; the thread it used must not come back dirty.
      const { id } = (await api.post('/run', { input })) as { id: string };
      await new Promise((r) => setTimeout(r, 250));
      await api.post(`/cancel/${id}`, {});
      expect(await audio()).toBe(first);
      expect(await audio()).toBe(first);
    } finally {
      await api.stop();
    }
  });
});
