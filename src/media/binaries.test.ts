import { describe, expect, it } from 'vitest';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWorkerError } from '../errors.js';
import { resolveMediaBinaries } from './binaries.js';

describe('ffmpeg/ffprobe resolution order', () => {
  it('uses FFMPEG_PATH/FFPROBE_PATH first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bins-'));
    try {
      for (const tool of ['my-ffmpeg', 'my-ffprobe']) {
        await writeFile(join(dir, tool), '#!/bin/sh\n');
        await chmod(join(dir, tool), 0o755);
      }
      const b = resolveMediaBinaries({ ffmpegPath: join(dir, 'my-ffmpeg'), ffprobePath: join(dir, 'my-ffprobe'), searchPath: '' });
      expect(b).toEqual({
        ffmpeg: join(dir, 'my-ffmpeg'),
        ffprobe: join(dir, 'my-ffprobe'),
        sources: { ffmpeg: 'FFMPEG_PATH', ffprobe: 'FFPROBE_PATH' },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('falls back to binaries shipped in npm packages with nothing on PATH', () => {
    const b = resolveMediaBinaries({ searchPath: '' });
    expect(b.sources.ffmpeg).toMatch(/^(ffmpeg-static|@ffmpeg-installer\/ffmpeg)$/);
    expect(b.sources.ffprobe).toBe('@ffprobe-installer/ffprobe');
    expect(b.ffmpeg).toContain('node_modules');
  });

  it('refuses an explicit path that is not an executable, naming it, rather than guessing', () => {
    try {
      resolveMediaBinaries({ ffmpegPath: '/nonexistent/ffmpeg', searchPath: '' });
      expect.unreachable();
    } catch (e) {
      expect(isWorkerError(e) && e.code).toBe('FFMPEG_NOT_FOUND');
      expect((e as Error).message).toContain('FFMPEG_PATH=/nonexistent/ffmpeg');
    }
  });
});
