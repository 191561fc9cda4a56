/**
 * @module A large blob fetched as N byte ranges at once, each written at its offset into the one
 * `<blob>.incomplete` (positional writes through one FileHandle). Each part retries and resumes on
 * its own, from where it stopped, with the single stream's policy (transfer.ts); a failure no
 * retry fixes, or the caller's abort, stops every part. Progress is kept in a sidecar
 * (parts-file.ts) for a resume after a crash, and a worker thread hashes the file in order as its
 * gap-free prefix grows (hash-follower.ts). download.ts then verifies and renames as for a stream.
 *
 * Memory stays bounded: each part holds at most FLUSH_BYTES of received chunks before writing them.
 */
import { constants } from 'node:fs';
import { open, stat, truncate, type FileHandle } from 'node:fs/promises';
import { followHash, type HashFollower } from './hash-follower.js';
import { partLength, partsFilePath, partsSaver, planParts, readParts, writeParts, writtenPrefix, type Part } from './parts-file.js';
import {
  downloadFailed,
  isPermanent,
  reasonOf,
  type BlobDownloadOptions,
  type BlobDownloadResult,
  type TransferPolicy,
} from './transfer.js';

/** Received bytes a part gathers before one positional write (writev of the chunks, no copy). */
const FLUSH_BYTES = 2 * 1024 * 1024;

interface PartsRun {
  o: BlobDownloadOptions;
  policy: TransferPolicy;
  result: BlobDownloadResult;
  fh: FileHandle;
  parts: Part[];
  signal: AbortSignal;
  /** After each completed write: progress, hash, sidecar. */
  wrote(n: number): void;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The parts to fetch: the sidecar's when it and the partial file are there; else a fresh plan,
 * keeping a single stream's partial file (gap-free from byte 0) as a done first part.
 */
async function partsToFetch(o: BlobDownloadOptions, count: number): Promise<Part[]> {
  const { file } = o;
  const sidecar = partsFilePath(o.incomplete);
  const onDisk = await sizeOf(o.incomplete);
  const recorded = onDisk === undefined ? undefined : await readParts(sidecar, file);
  if (recorded) return recorded;
  let from = onDisk ?? 0;
  if (from > file.size) {
    await truncate(o.incomplete, 0);
    from = 0;
  }
  const parts = planParts(file.size, count, from);
  // Recorded before the first byte lands anywhere but at the end of a gap-free file.
  await writeParts(sidecar, { blob: file.blob, size: file.size, parts });
  return parts;
}

/** Writes the gathered chunks at `position` and empties the list. */
async function flushChunks(fh: FileHandle, chunks: Uint8Array[], position: number): Promise<number> {
  if (chunks.length === 0) return 0;
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const { bytesWritten } = await fh.writev(chunks, position);
  chunks.length = 0;
  if (bytesWritten !== length) throw new Error(`short write at byte ${position}: ${bytesWritten} of ${length}`);
  return length;
}

/** One attempt at a part: from its first unwritten byte to its end. */
async function fetchPart(run: PartsRun, part: Part, signal: AbortSignal, onByte: () => void): Promise<void> {
  const len = partLength(part);
  const body = await run.o.open({ start: part.start + part.done, end: part.end }, signal);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let gathered = 0;
  const flush = async (): Promise<void> => {
    const n = await flushChunks(run.fh, chunks, part.start + part.done);
    gathered = 0;
    part.done += n;
    run.wrote(n);
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onByte();
      run.result.received += value.length;
      if (part.done + gathered + value.length > len) throw new Error(`part ${part.start}-${part.end} got more than its ${len} bytes`);
      chunks.push(value);
      gathered += value.length;
      if (gathered >= FLUSH_BYTES) await flush();
    }
    await flush();
  } finally {
    reader.cancel().catch(() => undefined);
  }
  if (part.done < len) throw new Error(`part ended at byte ${part.start + part.done} of ${part.start}-${part.end}`);
}

/** A part's attempts until it is whole: stall timeout per attempt, backoff, retry budget. */
async function runPart(run: PartsRun, part: Part): Promise<void> {
  const { policy } = run;
  let failures = 0;
  while (part.done < partLength(part)) {
    run.signal.throwIfAborted();
    if (part.done > 0) run.result.resumedAt.push(part.start + part.done);
    const attempt = new AbortController();
    const signal = AbortSignal.any([run.signal, attempt.signal]);
    let lastByte = Date.now();
    let stall: NodeJS.Timeout | undefined;
    const watch = (): void => {
      const idle = Date.now() - lastByte;
      if (idle >= policy.stallMs) attempt.abort(new Error(`no data for ${policy.stallMs} ms`));
      else stall = setTimeout(watch, policy.stallMs - idle);
    };
    stall = setTimeout(watch, policy.stallMs);
    let progressed = false;
    try {
      await fetchPart(run, part, signal, () => {
        lastByte = Date.now();
        progressed = true;
      });
      return;
    } catch (e) {
      if (run.signal.aborted) throw run.signal.reason;
      if (isPermanent(e)) throw e;
      const why = attempt.signal.aborted ? reasonOf(attempt.signal.reason) : reasonOf(e);
      failures = progressed ? 1 : failures + 1;
      const offset = part.start + part.done;
      if (failures > policy.retries) throw downloadFailed(run.o, { failures, why, bytes: offset, cause: e });
      run.o.onRetry?.({ reason: why, offset, attempt: failures });
      await policy.sleep(policy.backoff(failures), run.signal);
    } finally {
      clearTimeout(stall);
    }
  }
}

function hashOf(o: BlobDownloadOptions): { algorithm: 'sha256' | 'sha1'; prefix?: string } | undefined {
  if (o.file.sha256) return { algorithm: 'sha256' };
  if (o.file.gitOid) return { algorithm: 'sha1', prefix: `blob ${o.file.size}\0` };
  return undefined;
}

/**
 * Fetches the blob as `count` ranged parts into `o.incomplete` and returns the hex digest of the
 * whole file (the sha256, or git's sha1; undefined for a file the Hub gives no hash for). The
 * sidecar stays while the file is incomplete; download.ts removes it with the file.
 */
export async function downloadParts(
  o: BlobDownloadOptions,
  at: { policy: TransferPolicy; result: BlobDownloadResult; count: number },
): Promise<string | undefined> {
  const { file } = o;
  const parts = await partsToFetch(o, at.count);
  at.result.parts = parts.filter((p) => p.done < partLength(p)).length;
  const fh = await open(o.incomplete, constants.O_RDWR | constants.O_CREAT);
  const hashing = hashOf(o);
  let follower: HashFollower | undefined;
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  const saver = partsSaver({ path: partsFilePath(o.incomplete), blob: file.blob, size: file.size, parts });
  try {
    follower = hashing && followHash({ path: o.incomplete, size: file.size, ...hashing });
    follower?.advance(writtenPrefix(parts));
    const run: PartsRun = {
      o,
      policy: at.policy,
      result: at.result,
      fh,
      parts,
      signal,
      wrote: (n) => {
        o.onBytes?.(n);
        follower?.advance(writtenPrefix(parts));
        saver.progressed();
      },
    };
    const settled = await Promise.allSettled(
      parts.map((p) =>
        runPart(run, p).catch((e: unknown) => {
          // The first failure stops the other parts at once; theirs are only echoes of it.
          stop.abort(e);
          throw e;
        }),
      ),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw o.signal?.aborted ? o.signal.reason : (stop.signal.reason ?? failed.reason);
    return await follower?.digest();
  } finally {
    await follower?.stop();
    await fh.close();
    await saver.flush().catch(() => undefined);
  }
}
