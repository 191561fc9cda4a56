import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isWorkerError } from '../errors.js';
import { resolveMediaBinaries } from './binaries.js';
import { inputArgs, runBinary } from './ffmpeg.js';

const { ffmpeg } = resolveMediaBinaries({ searchPath: '' });

describe('ffmpeg input guards', () => {
  it('a playlist naming a file elsewhere decodes without the guards, and is refused with them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'guards-'));
    try {
      const segment = join(dir, 'elsewhere.ts');
      await promisify(execFile)(ffmpeg, [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc=s=64x36:d=1:r=5',
        '-c:v',
        'libx264',
        '-f',
        'mpegts',
        segment,
      ]);
      const playlist = join(dir, 'list.m3u8');
      await writeFile(playlist, `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n${segment}\n#EXT-X-ENDLIST\n`);
      // Proof the attack is real: with only the protocol whitelist, ffmpeg follows the playlist.
      await runBinary(ffmpeg, ['-v', 'error', '-protocol_whitelist', 'file,pipe', '-i', playlist, '-f', 'null', '-'], {
        timeoutMs: 30_000,
      });
      const guarded = runBinary(ffmpeg, ['-v', 'error', ...inputArgs(playlist), '-f', 'null', '-'], { timeoutMs: 30_000 });
      await expect(guarded).rejects.toSatisfy(
        (e) => isWorkerError(e) && e.code === 'FFMPEG_FAILED' && JSON.stringify(e.details).includes('whitelist'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('kills a run at its timeout and at abort, with distinct codes', async () => {
    const slow = ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=d=30', '-f', 'null', '-'];
    await expect(runBinary(ffmpeg, slow, { timeoutMs: 200 })).rejects.toSatisfy((e) => isWorkerError(e) && e.code === 'TIMED_OUT');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(runBinary(ffmpeg, slow, { timeoutMs: 30_000, signal: controller.signal })).rejects.toSatisfy(
      (e) => isWorkerError(e) && e.code === 'CANCELLED',
    );
  });
});
