/**
 * @module The warm-start check: with a pinned ref and a `complete` marker, a repo is ready after
 * one `stat` per file (size only; re-hashing gigabytes is what `--verify-models` is for). Makes no
 * network request by construction: it has no fetch.
 */
import { readFile, stat } from 'node:fs/promises';
import type { RemoteFile } from './hub.js';
import { readMarker, toMarkerFile, type Marker } from './marker.js';
import { refPath, snapshotDir, snapshotFile, type RepoPaths } from './paths.js';
import { globMatcher, isCommitHash, type RepoSpec } from './spec.js';

export interface LocalFile extends RemoteFile {
  /** Absolute path in the snapshot (a symlink to the blob, or the file itself). */
  local: string;
}

/** A repo ready on the volume. */
export interface EnsuredRepo {
  repo: string;
  revision: string;
  commit: string;
  /** `snapshots/<commit>`: the folder to load files from. */
  snapshot: string;
  files: LocalFile[];
  /** warm: marker found, no request; downloaded: this worker fetched; waited: another worker did. */
  source: 'warm' | 'downloaded' | 'waited';
}

/** The commit a revision is pinned to in `refs/`, or undefined when not pinned yet. */
export async function readPinnedCommit(p: RepoPaths, revision: string): Promise<string | undefined> {
  if (isCommitHash(revision)) return revision;
  try {
    const c = (await readFile(refPath(p, revision), 'utf8')).trim();
    return isCommitHash(c) ? c : undefined;
  } catch {
    return undefined;
  }
}

export function wantedFiles(tree: readonly RemoteFile[], spec: Pick<RepoSpec, 'globs'>): RemoteFile[] {
  const match = globMatcher(spec.globs);
  return tree.filter((f) => match(f.path));
}

export function treeOf(marker: Marker): RemoteFile[] {
  return marker.tree.map((f) => toMarkerFile(f as RemoteFile));
}

/** Why the repo is not warm, or the ready repo. */
export async function checkWarm(p: RepoPaths, spec: RepoSpec): Promise<EnsuredRepo | { cold: string }> {
  const commit = await readPinnedCommit(p, spec.revision);
  if (!commit) return { cold: `${spec.revision} is not pinned yet` };
  const marker = await readMarker(p, commit);
  if (!marker) return { cold: `no complete marker for ${commit}` };
  const wanted = wantedFiles(treeOf(marker), spec);
  if (wanted.length === 0) return { cold: 'the globs match no file of the marker' };
  const present = new Set(marker.files);
  const files: LocalFile[] = [];
  for (const f of wanted) {
    if (!present.has(f.path)) return { cold: `${f.path} was not downloaded before` };
    const local = snapshotFile(p, commit, f.path);
    const size = await stat(local).then(
      (s) => s.size,
      () => -1,
    );
    if (size !== f.size) return { cold: `${f.path} is ${size < 0 ? 'missing' : `${size} bytes, expected ${f.size}`}` };
    files.push({ ...f, local });
  }
  return { repo: spec.repo, revision: spec.revision, commit, snapshot: snapshotDir(p, commit), files, source: 'warm' };
}
