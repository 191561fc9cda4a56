/**
 * FFMPEG_FAILED as the caller sees it: the program, its exit code and the last lines of stderr with
 * paths cut to base names; never the command line or the worker's scratch paths. The WorkerError
 * itself (what the logs record) keeps everything. A real ffmpeg fails on a real missing file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isWorkerError, redactPaths, toJobErrorBody, toJobErrorString } from '../../src/errors.js';
import { runBinary } from '../../src/media/ffmpeg.js';
import { binaries } from '../helpers/media.js';

describe('FFMPEG_FAILED on the wire', () => {
  it('shows no local path and no command line, and the logs keep both', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wire-ffmpeg-secret-'));
    try {
      const input = join(dir, 'broken-input.mp4');
      await writeFile(input, 'this is not a video');
      const err = await runBinary(binaries().ffmpeg, ['-hide_banner', '-i', input, '-f', 'null', '-'], { timeoutMs: 30_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isWorkerError(err) && err.code).toBe('FFMPEG_FAILED');
      // The logs' copy: full command and stderr with the path.
      expect(JSON.stringify((err as { details: unknown }).details)).toContain(dir);

      const body = toJobErrorBody(err) as { code: string; message: string; details: Record<string, unknown> };
      const wire = toJobErrorString(err);
      expect(wire).not.toContain(dir);
      expect(wire).not.toContain(tmpdir());
      expect(wire).not.toContain(binaries().ffmpeg);
      expect(body.details).not.toHaveProperty('command');
      expect(body.details).toMatchObject({ program: 'ffmpeg', exitCode: expect.any(Number) as unknown });
      expect(body.details.exitCode).not.toBe(0);
      // What went wrong still shows, naming the file by its base name.
      expect(body.details.stderr).toContain('broken-input.mp4');
      expect(body.message).toMatch(/^ffmpeg failed \(exit \d+\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['/tmp/foley-job-1/in.mp4: Invalid data found when processing input', 'in.mp4: Invalid data found when processing input'],
    ["Error opening output file '/runpod-volume/output/a b.mp4'", "Error opening output file 'a b.mp4'"],
    ['could not start /usr/local/bin/ffmpeg', 'could not start ffmpeg'],
    ['https://example.com/a/b.mp4 stays', 'https://example.com/a/b.mp4 stays'],
    ['ratio 16/9 and 1/2 stay', 'ratio 16/9 and 1/2 stay'],
  ])('redactPaths(%j) = %j', (text, expected) => {
    expect(redactPaths(text)).toBe(expected);
  });
});
