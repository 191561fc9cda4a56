/**
 * @module Makes a snapshot path point at its blob the way huggingface_hub does: a relative
 * symlink. Where the volume refuses symlinks, a hard link (still one copy on disk), and only as a
 * last resort a copy (hub's own fallback, which doubles the space).
 */
import { copyFile, link, lstat, mkdir, rename, stat, symlink, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

const NO_SYMLINK = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EINVAL', 'ENOSYS']);

/** True when `path` already resolves to a file of `size` bytes. */
export async function hasFileOfSize(path: string, size: number): Promise<boolean> {
  try {
    const s = await stat(path);
    return s.isFile() && s.size === size;
  } catch {
    return false;
  }
}

export async function linkSnapshotFile(opts: {
  blob: string;
  snapshotPath: string;
  target: string;
  size: number;
}): Promise<'kept' | 'symlink' | 'hardlink' | 'copy'> {
  const { blob, snapshotPath, target, size } = opts;
  if (await hasFileOfSize(snapshotPath, size)) return 'kept';
  await mkdir(dirname(snapshotPath), { recursive: true });
  // A dangling or wrong-size entry (interrupted earlier run, or a replaced blob): replace it.
  await lstat(snapshotPath).then(
    () => unlink(snapshotPath),
    () => undefined,
  );
  try {
    await symlink(target, snapshotPath);
    return 'symlink';
  } catch (e) {
    if (!NO_SYMLINK.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  }
  try {
    await link(blob, snapshotPath);
    return 'hardlink';
  } catch {
    const tmp = `${snapshotPath}.incomplete`;
    await copyFile(blob, tmp);
    await rename(tmp, snapshotPath);
    return 'copy';
  }
}
