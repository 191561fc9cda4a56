/**
 * @module Where things live in the Hugging Face cache (`HF_HUB_CACHE`), as Python's
 * huggingface_hub and @huggingface/hub lay it out, so either side reuses the other's files:
 *
 *     models--org--name/blobs/<sha256 or git oid>            file contents
 *     models--org--name/blobs/<blob>.incomplete             a transfer in progress (never read)
 *     models--org--name/snapshots/<commit>/<path>           relative symlink → ../../blobs/<blob>
 *     models--org--name/refs/<revision>                     the commit a branch/tag was pinned to
 *     models--org--name/.foley/<commit>.complete.json        ours: marker written last
 *     .locks/models--org--name/foley.lock                    ours: cross-worker lock
 *
 * Python's `scan_cache_dir` skips `.locks` and only reads `blobs/snapshots/refs`, so our two
 * additions do not disturb it. Pure: no fs.
 */
import { join, posix, relative, dirname } from 'node:path';

export interface RepoPaths {
  root: string;
  blobs: string;
  snapshots: string;
  refs: string;
  /** Scratch for atomic writes of small files (ref, marker) outside `refs/` and `snapshots/`. */
  tmp: string;
  markers: string;
  lockDir: string;
  lockFile: string;
}

/** `org/name` → `models--org--name` (Python's `repo_folder_name`). */
export function repoFolderName(repo: string): string {
  return `models--${repo.split('/').join('--')}`;
}

export function repoPaths(cacheDir: string, repo: string): RepoPaths {
  const folder = repoFolderName(repo);
  const root = join(cacheDir, folder);
  const lockDir = join(cacheDir, '.locks', folder);
  return {
    root,
    blobs: join(root, 'blobs'),
    snapshots: join(root, 'snapshots'),
    refs: join(root, 'refs'),
    tmp: join(root, '.foley', 'tmp'),
    markers: join(root, '.foley'),
    lockDir,
    lockFile: join(lockDir, 'foley.lock'),
  };
}

export function blobPath(p: RepoPaths, blob: string): string {
  return join(p.blobs, blob);
}

/** Same name Python uses, so a half-written blob from either side is recognised as such. */
export function incompletePath(p: RepoPaths, blob: string): string {
  return join(p.blobs, `${blob}.incomplete`);
}

export function snapshotDir(p: RepoPaths, commit: string): string {
  return join(p.snapshots, commit);
}

/** A repo path inside a snapshot; rejects paths that would escape it. */
export function snapshotFile(p: RepoPaths, commit: string, path: string): string {
  const norm = posix.normalize(path);
  if (norm.startsWith('../') || norm === '..' || posix.isAbsolute(norm)) throw new RangeError(`repo path escapes the snapshot: ${path}`);
  return join(snapshotDir(p, commit), ...norm.split('/'));
}

/** The relative symlink target from a snapshot file to its blob (`../../blobs/x`, deeper for subdirs). */
export function blobLinkTarget(p: RepoPaths, commit: string, path: string, blob: string): string {
  return relative(dirname(snapshotFile(p, commit, path)), blobPath(p, blob));
}

export function refPath(p: RepoPaths, revision: string): string {
  return join(p.refs, ...revision.split('/'));
}

export function markerPath(p: RepoPaths, commit: string): string {
  return join(p.markers, `${commit}.complete.json`);
}
