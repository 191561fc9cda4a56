/**
 * @module Content checks for a blob against what the Hub says it is: sha256 for LFS files, git's
 * blob sha1 for small files (the only hash the Hub gives for those). Files with neither (rare
 * xet-only entries) are checked by size alone.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { RemoteFile } from './hub.js';

export interface Digest {
  algorithm: 'sha256' | 'git-sha1' | 'size-only';
  expected: string | undefined;
  update(chunk: Uint8Array): void;
  /** The hex digest of everything fed so far. */
  actual(): string | undefined;
}

export function createDigest(file: Pick<RemoteFile, 'sha256' | 'gitOid' | 'size'>): Digest {
  let hash: Hash | undefined;
  let algorithm: Digest['algorithm'] = 'size-only';
  let expected: string | undefined;
  if (file.sha256) {
    algorithm = 'sha256';
    expected = file.sha256.toLowerCase();
    hash = createHash('sha256');
  } else if (file.gitOid) {
    algorithm = 'git-sha1';
    expected = file.gitOid.toLowerCase();
    hash = createHash('sha1').update(`blob ${file.size}\0`);
  }
  return {
    algorithm,
    expected,
    update: (chunk) => void hash?.update(chunk),
    actual: () => hash?.digest('hex'),
  };
}

/** Feeds the first `length` bytes of a file (a partial download being resumed, or a whole blob). */
export async function feedFile(digest: Digest, path: string, length?: number, signal?: AbortSignal): Promise<number> {
  if (length === 0) return 0;
  let n = 0;
  const stream = createReadStream(path, {
    highWaterMark: 1 << 20,
    ...(length === undefined ? {} : { end: length - 1 }),
    ...(signal ? { signal } : {}),
  });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    digest.update(chunk);
    n += chunk.length;
  }
  return n;
}

/** Re-hash a stored blob: undefined when it matches, else what is wrong. */
export async function checkStoredFile(
  path: string,
  file: Pick<RemoteFile, 'sha256' | 'gitOid' | 'size'>,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const digest = createDigest(file);
  const n = await feedFile(digest, path, undefined, signal);
  if (n !== file.size) return `size ${n}, expected ${file.size}`;
  const actual = digest.actual();
  if (digest.expected !== undefined && actual !== digest.expected) return `${digest.algorithm} ${actual}, expected ${digest.expected}`;
  return undefined;
}
