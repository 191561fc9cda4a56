/**
 * @module ensureRepo / ensureModels: make the repos in `MODELS` ready on the volume.
 *
 * 1. Warm check (no network): pinned ref + complete marker + sizes → done.
 * 2. Otherwise take the repo's cross-worker lock; a worker that finds it held waits, and is done
 *    as soon as the holder's marker appears (no second download).
 * 3. Holding the lock: pin the revision (`refs/`), list the commit (or reuse the marker's
 *    listing), download missing blobs in parallel (verified, atomic), link the snapshot, and write
 *    the marker last.
 */
import { mkdir, unlink } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { WorkerError } from '../errors.js';
import { defaultBackoff, downloadBlob } from './download.js';
import { retry } from '../util/sleep.js';
import { listCommitFiles, openFileStream, probeRanges, resolveCommit, type HubAccess, type RemoteFile } from './hub.js';
import { acquireLock } from './lock.js';
import { linkSnapshotFile, hasFileOfSize } from './link.js';
import { writeFileAtomic } from '../util/write-atomic.js';
import { readMarker, toMarkerFile, writeMarker } from './marker.js';
import { blobLinkTarget, blobPath, incompletePath, refPath, repoPaths, snapshotDir, snapshotFile, type RepoPaths } from './paths.js';
import { isCommitHash, specLabel, type RepoSpec } from './spec.js';
import { checkStoredFile } from './verify.js';
import { checkWarm, readPinnedCommit, treeOf, wantedFiles, type EnsuredRepo, type LocalFile } from './warm.js';

export type { EnsuredRepo, LocalFile } from './warm.js';

export interface DownloadProgress {
  repo: string;
  /** Bytes of this repo's missing files received so far, and their total. */
  bytes: number;
  total: number;
  filesDone: number;
  filesTotal: number;
}

export interface EnsureOptions {
  /** `HF_HUB_CACHE`. */
  cacheDir: string;
  hub: HubAccess;
  log: Logger;
  /** Never touch the network: a repo that is not warm is MODEL_NOT_AVAILABLE. */
  offline?: boolean;
  /** Re-hash every present file against the Hub's sha256/oid (and replace bad ones). */
  verify?: boolean;
  signal?: AbortSignal;
  /** @default 60000 */
  lockStaleMs?: number;
  /** How long to wait for another worker's download. @default no limit */
  lockWaitMs?: number;
  /** Files downloaded at once per repo. @default 4 */
  concurrency?: number;
  /** Ranged GETs at once per file of at least PARALLEL_MIN_BYTES (64 MiB), where the server allows ranges. @default 8 */
  parts?: number;
  /** Per-file consecutive failures without progress. @default 5 */
  retries?: number;
  /** Per-file hash mismatches tolerated. @default 2 */
  corruptRetries?: number;
  /** @default 60000 */
  stallMs?: number;
  backoffMs?: (attempt: number) => number;
  onProgress?: (p: DownloadProgress) => void;
}

async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && failed === undefined) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (e) {
        failed ??= e;
      }
    }
  });
  await Promise.all(lanes);
  if (failed !== undefined) throw failed;
}

/** Ensure every spec in turn (repos one after another, files of a repo in parallel). */
export async function ensureModels(specs: readonly RepoSpec[], o: EnsureOptions): Promise<EnsuredRepo[]> {
  const out: EnsuredRepo[] = [];
  for (const spec of specs) out.push(await ensureRepo(spec, o));
  return out;
}

export async function ensureRepo(spec: RepoSpec, o: EnsureOptions): Promise<EnsuredRepo> {
  const p = repoPaths(o.cacheDir, spec.repo);
  const label = specLabel(spec);
  if (!o.verify) {
    const warm = await checkWarm(p, spec);
    if (!('cold' in warm)) return warm;
    if (o.offline) {
      throw new WorkerError(
        'MODEL_NOT_AVAILABLE',
        `${label} is not on the volume (${warm.cold}) and HF_HUB_OFFLINE forbids downloading it`,
        {
          details: { repo: spec.repo, revision: spec.revision },
        },
      );
    }
    o.log.info({ repo: spec.repo, revision: spec.revision, reason: warm.cold }, 'model not on the volume yet');
  }
  let waitedFor = false;
  const lock = await acquireLock({
    file: p.lockFile,
    staleMs: o.lockStaleMs ?? 60_000,
    ...(o.lockWaitMs === undefined ? {} : { timeoutMs: o.lockWaitMs }),
    ...(o.signal ? { signal: o.signal } : {}),
    onWait: async () => !o.verify && !('cold' in (await checkWarm(p, spec))),
    onEvent: (e) => {
      if (e.type === 'waiting') waitedFor = true;
      o.log.info(
        { repo: spec.repo, holder: e.holder },
        e.type === 'waiting' ? 'another worker is downloading this model; waiting for it' : 'took over a lock abandoned by a dead worker',
      );
    },
  });
  if (!lock) {
    const warm = await checkWarm(p, spec);
    if ('cold' in warm) throw new WorkerError('INTERNAL', `${label}: warm after waiting, then not (${warm.cold})`);
    return { ...warm, source: 'waited' };
  }
  try {
    if (!o.verify) {
      const warm = await checkWarm(p, spec);
      if (!('cold' in warm)) return { ...warm, source: waitedFor ? 'waited' : 'warm' };
    }
    const signal = o.signal ? AbortSignal.any([o.signal, lock.lost]) : lock.lost;
    return await populate(spec, p, { ...o, signal });
  } finally {
    await lock.release();
  }
}

/** The locked part: pin, list, download, link, mark. */
async function populate(spec: RepoSpec, p: RepoPaths, o: EnsureOptions & { signal: AbortSignal }): Promise<EnsuredRepo> {
  const label = specLabel(spec);
  const needNetwork = (what: string): void => {
    if (o.offline)
      throw new WorkerError('MODEL_NOT_AVAILABLE', `${label}: ${what} needs the Hub and HF_HUB_OFFLINE is set`, {
        details: { repo: spec.repo },
      });
  };
  // Hub API calls: a 5xx or a dropped connection is retried like a file transfer.
  const retried = <T>(what: string, call: () => Promise<T>): Promise<T> =>
    retry(call, {
      attempts: (o.retries ?? 5) + 1,
      retryable: (e) => e instanceof WorkerError && e.retryable,
      delayMs: o.backoffMs ?? defaultBackoff,
      signal: o.signal,
      onRetry: (e, attempt) => o.log.warn({ repo: spec.repo, attempt, reason: (e as Error).message }, `${what} failed; retrying`),
    });
  let commit = await readPinnedCommit(p, spec.revision);
  if (!commit) {
    needNetwork('resolving the revision');
    commit = await retried('resolving the revision', () => resolveCommit(o.hub, spec.repo, spec.revision, o.signal));
    if (!isCommitHash(spec.revision)) await writeFileAtomic(refPath(p, spec.revision), commit, p.tmp);
    o.log.info({ repo: spec.repo, revision: spec.revision, commit }, 'revision pinned');
  }
  const marker = await readMarker(p, commit);
  let tree: RemoteFile[];
  if (marker) tree = treeOf(marker);
  else {
    needNetwork('listing the files');
    const pinned = commit;
    tree = await retried('listing the files', () => listCommitFiles(o.hub, spec.repo, pinned, o.signal));
  }
  const wanted = wantedFiles(tree, spec);
  if (wanted.length === 0) {
    throw new WorkerError('MODEL_NOT_AVAILABLE', `${label}: no file of commit ${commit} matches ${spec.globs.join(',') || '(all)'}`, {
      details: { repo: spec.repo, commit, globs: spec.globs },
    });
  }

  // What is already here (ours, Python's, RunPod's): sizes only, unless verifying.
  const missing = new Map<string, RemoteFile>();
  for (const f of wanted) {
    const local = snapshotFile(p, commit, f.path);
    const blob = blobPath(p, f.blob);
    const here = (await hasFileOfSize(local, f.size)) ? local : (await hasFileOfSize(blob, f.size)) ? blob : undefined;
    if (here && o.verify) {
      const bad = await checkStoredFile(here, f, o.signal);
      if (bad) {
        o.log.warn({ repo: spec.repo, path: f.path, problem: bad }, 'stored model file failed verification; downloading it again');
        await unlink(local).catch(() => undefined);
        await unlink(blob).catch(() => undefined);
        missing.set(f.blob, f);
      }
    } else if (!here) missing.set(f.blob, f);
  }

  if (missing.size > 0) {
    needNetwork(`downloading ${missing.size} file(s)`);
    await mkdir(p.blobs, { recursive: true });
    const files = [...missing.values()];
    const total = files.reduce((n, f) => n + f.size, 0);
    const progress: DownloadProgress = { repo: spec.repo, bytes: 0, total, filesDone: 0, filesTotal: files.length };
    const t0 = performance.now();
    o.log.info({ repo: spec.repo, commit, files: files.length, bytes: total }, 'downloading model files');
    o.onProgress?.({ ...progress });
    await pool(files, o.concurrency ?? 4, async (f) => {
      const r = await downloadBlob({
        file: f,
        repo: spec.repo,
        final: blobPath(p, f.blob),
        incomplete: incompletePath(p, f.blob),
        open: (range, signal) => openFileStream(o.hub, { repo: spec.repo, commit, file: f }, range, signal),
        probe: (signal) => probeRanges(o.hub, { repo: spec.repo, commit, file: f }, signal),
        ...(o.parts === undefined ? {} : { parts: o.parts }),
        signal: o.signal,
        ...(o.retries === undefined ? {} : { retries: o.retries }),
        ...(o.corruptRetries === undefined ? {} : { corruptRetries: o.corruptRetries }),
        ...(o.stallMs === undefined ? {} : { stallMs: o.stallMs }),
        ...(o.backoffMs === undefined ? {} : { backoffMs: o.backoffMs }),
        onBytes: (n) => {
          progress.bytes += n;
          o.onProgress?.({ ...progress });
        },
        onRetry: (r) => o.log.warn({ repo: spec.repo, path: f.path, ...r }, 'model download interrupted; retrying'),
      });
      progress.filesDone++;
      o.onProgress?.({ ...progress });
      o.log.debug({ repo: spec.repo, path: f.path, bytes: f.size, parts: r.parts, resumedAt: r.resumedAt }, 'model file verified');
    });
    const s = (performance.now() - t0) / 1000;
    o.log.info(
      { repo: spec.repo, commit, bytes: total, seconds: Number(s.toFixed(2)), mb_per_s: Number((total / 1e6 / s).toFixed(1)) },
      'model files downloaded',
    );
  }

  const files: LocalFile[] = [];
  for (const f of wanted) {
    const local = snapshotFile(p, commit, f.path);
    await linkSnapshotFile({
      blob: blobPath(p, f.blob),
      snapshotPath: local,
      target: blobLinkTarget(p, commit, f.path, f.blob),
      size: f.size,
    });
    files.push({ ...f, local });
  }
  const done = new Set([...(marker?.files ?? []), ...wanted.map((f) => f.path)]);
  await writeMarker(p, {
    version: 1,
    repo: spec.repo,
    commit,
    tree: tree.map(toMarkerFile),
    files: [...done].sort(),
    completedAt: new Date().toISOString(),
  });
  return { repo: spec.repo, revision: spec.revision, commit, snapshot: snapshotDir(p, commit), files, source: 'downloaded' };
}
