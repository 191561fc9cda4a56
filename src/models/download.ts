/**
 * @module Downloads one blob onto the volume: stream to `<blob>.incomplete`, hash while writing,
 * resume with a ranged GET after a cut transfer, verify size and hash, and only then rename to
 * the blob's final name. Readers on other workers therefore never see a partial or unverified
 * file under a name they would open.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, stat, truncate, unlink } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { WorkerError } from '../errors.js';
import { isPermanentHubError, type RemoteFile } from './hub.js';
import { createDigest, feedFile } from './verify.js';
import { backoffDelay, sleep as abortableSleep } from '../util/sleep.js';

export interface BlobDownloadOptions {
  file: RemoteFile;
  /** Label for errors and logs (`org/name`). */
  repo: string;
  /** The blob's final path; nothing is written there until the bytes are verified. */
  final: string;
  incomplete: string;
  /** Opens the file's bytes from an offset (ranged GET). */
  open(offset: number, signal: AbortSignal): Promise<ReadableStream<Uint8Array>>;
  signal?: AbortSignal;
  /** Consecutive failed attempts that made no progress before giving up. @default 5 */
  retries?: number;
  /** Hash mismatches tolerated (each restarts from byte 0) before MODEL_CORRUPT. @default 2 */
  corruptRetries?: number;
  /** An attempt with no byte for this long is aborted and resumed. @default 60000 */
  stallMs?: number;
  /** Delay before attempt n (1-based). @default 250·2^(n-1) ms, at most 10 s, ±25 % jitter */
  backoffMs?: (attempt: number) => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called with each chunk's size as it is written. */
  onBytes?: (n: number) => void;
  /** Called before a retry, with the reason and the offset it resumes from. */
  onRetry?: (info: { reason: string; offset: number; attempt: number }) => void;
}

export interface BlobDownloadResult {
  /** Bytes received over the network (more than the size when a transfer was resumed or redone). */
  received: number;
  /** Offsets of ranged resumes (> 0). */
  resumedAt: number[];
}

/**
 * Bytes buffered toward the disk. fs streams default to 16 KiB, which makes every network chunk
 * wait for its write; a few MiB let the network, the hash and the disk overlap.
 */
const WRITE_BUFFER = 8 * 1024 * 1024;

/** Delay before attempt n (1-based) of a model transfer: 250 ms doubling, at most 10 s, jittered. */
export function defaultBackoff(attempt: number): number {
  return backoffDelay(attempt, { baseMs: 250, maxMs: 10_000 });
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function downloadBlob(o: BlobDownloadOptions): Promise<BlobDownloadResult> {
  const { file } = o;
  const retries = o.retries ?? 5;
  const corruptRetries = o.corruptRetries ?? 2;
  const stallMs = o.stallMs ?? 60_000;
  const backoff = o.backoffMs ?? defaultBackoff;
  const sleep = o.sleep ?? ((ms: number, signal?: AbortSignal) => abortableSleep(ms, signal, { rejectOnAbort: true }));
  const result: BlobDownloadResult = { received: 0, resumedAt: [] };
  let failures = 0;
  let corruptions = 0;
  for (;;) {
    o.signal?.throwIfAborted();
    let offset = await sizeOf(o.incomplete);
    if (offset > file.size) {
      await truncate(o.incomplete, 0);
      offset = 0;
    }
    const digest = createDigest(file);
    if (offset > 0) await feedFile(digest, o.incomplete, offset, o.signal);
    if (offset < file.size) {
      if (offset > 0) result.resumedAt.push(offset);
      const attempt = new AbortController();
      const signal = o.signal ? AbortSignal.any([o.signal, attempt.signal]) : attempt.signal;
      let stall: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(stall);
        stall = setTimeout(() => attempt.abort(new Error(`no data for ${stallMs} ms`)), stallMs);
      };
      let written = 0;
      let sink: WriteStream | undefined;
      try {
        arm();
        const body = await o.open(offset, signal);
        const tap = new Transform({
          highWaterMark: WRITE_BUFFER,
          transform(chunk: Buffer, _enc, done) {
            written += chunk.length;
            if (offset + written > file.size) return done(new Error(`more bytes than the expected ${file.size}`));
            arm();
            digest.update(chunk);
            result.received += chunk.length;
            o.onBytes?.(chunk.length);
            done(null, chunk);
          },
        });
        sink = createWriteStream(o.incomplete, { flags: 'a', highWaterMark: WRITE_BUFFER });
        await pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), tap, sink, { signal });
        if (offset + written < file.size) throw new Error(`transfer ended at byte ${offset + written} of ${file.size}`);
      } catch (e) {
        if (o.signal?.aborted) throw o.signal.reason;
        const why = attempt.signal.aborted ? reasonOf(attempt.signal.reason) : reasonOf(e);
        if (isPermanentHubError(e) || (e instanceof WorkerError && !e.retryable)) throw e;
        failures = written > 0 ? 1 : failures + 1;
        if (failures > retries) {
          throw new WorkerError('MODEL_DOWNLOAD_FAILED', `${o.repo}: downloading ${file.path} failed ${failures} times in a row: ${why}`, {
            cause: e,
            details: { repo: o.repo, path: file.path, bytes: offset + written, size: file.size },
            retryable: true,
          });
        }
        o.onRetry?.({ reason: why, offset: offset + written, attempt: failures });
        await sleep(backoff(failures), o.signal);
        continue;
      } finally {
        clearTimeout(stall);
        // A cut transfer destroys the file stream, but a write already in flight still lands:
        // measure the partial file (the next offset) only once the stream has closed.
        // (Not events.once: it would reject with the stream's error, which the catch has handled.)
        const stream = sink;
        if (stream && !stream.closed) await new Promise<void>((resolve) => stream.once('close', () => resolve()));
      }
    }
    const size = await sizeOf(o.incomplete);
    const actual = digest.actual();
    if (size === file.size && (digest.expected === undefined || actual === digest.expected)) {
      await rename(o.incomplete, o.final);
      return result;
    }
    await unlink(o.incomplete).catch(() => undefined);
    corruptions++;
    const what = size !== file.size ? `size ${size}, expected ${file.size}` : `${digest.algorithm} ${actual}, expected ${digest.expected}`;
    if (corruptions > corruptRetries) {
      throw new WorkerError(
        'MODEL_CORRUPT',
        `${o.repo}: ${file.path} failed verification ${corruptions} times (${what}); ` +
          'the Hub or a proxy is serving different bytes than its listing says',
        {
          details: { repo: o.repo, path: file.path, algorithm: digest.algorithm, expected: digest.expected, actual, size: file.size },
          retryable: true,
        },
      );
    }
    o.onRetry?.({ reason: `verification failed: ${what}`, offset: 0, attempt: corruptions });
    await sleep(backoff(corruptions), o.signal);
  }
}
