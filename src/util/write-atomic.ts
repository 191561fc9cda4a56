/**
 * @module Writes a file whole or not at all. The bytes go to a unique temp name in `tmpDir` (on
 * the target's filesystem; by default the target's own folder) and are renamed into place, so
 * readers — other workers on the same volume included — never see a partial file, and two
 * writers of the same content both succeed (the last rename wins with identical bytes).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(target: string, content: string | Uint8Array, tmpDir: string = dirname(target)): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  if (tmpDir !== dirname(target)) await mkdir(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `.${basename(target)}.${randomUUID()}.incomplete`);
  try {
    await writeFile(tmp, content);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
