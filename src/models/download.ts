/**
 * @module Downloads one blob onto the volume into `<blob>.incomplete`, verifies size and hash, and
 * only then renames it to the blob's final name, so readers on other workers never see a partial or
 * unverified file under a name they would open.
 *
 * A file of at least PARALLEL_MIN_BYTES whose server answers a Range probe with a 206 naming the
 * expected size is fetched as parallel ranged parts (ranged-download.ts). Anything else is one
 * stream, hashed while written and resumed with a ranged GET after a cut.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, stat, truncate, unlink } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { WorkerError } from '../errors.js';
import { partsFilePath, removeParts } from './parts-file.js';
import { downloadParts } from './ranged-download.js';
import {
  downloadFailed,
  isPermanent,
  policyOf,
  reasonOf,
  type BlobDownloadOptions,
  type BlobDownloadResult,
  type TransferPolicy,
} from './transfer.js';
import { createDigest, feedFile } from './verify.js';

export { defaultBackoff, type BlobDownloadOptions, type BlobDownloadResult, type ByteRange } from './transfer.js';

/**
 * Files this big or bigger go as parallel parts when the server allows ranges. Below it the extra
 * requests (a probe, one GET per part) and the hashing thread cost about what they save: one stream
 * fetches 64 MiB in well under a second on a fast link. The model checkpoints this is for are
 * 0.5–4 GB.
 */
export const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;

/** Parts per large file when the caller names none. */
export const DEFAULT_PARTS = 8;

/**
 * Bytes buffered toward the disk. fs streams default to 16 KiB, which makes every network chunk
 * wait for its write; a few MiB let the network, the hash and the disk overlap.
 */
const WRITE_BUFFER = 8 * 1024 * 1024;

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}

/** How many ranged parts to fetch this file in: 1 (one stream) unless it is large and the server serves ranges. */
async function partCount(o: BlobDownloadOptions): Promise<number> {
  const count = o.parts ?? DEFAULT_PARTS;
  if (count < 2 || !o.probe || o.file.size < PARALLEL_MIN_BYTES) return 1;
  try {
    const total = await o.probe(o.signal ?? new AbortController().signal);
    return total === o.file.size ? count : 1;
  } catch {
    // A failed probe says nothing about ranges; the stream has the retry policy.
    if (o.signal?.aborted) throw o.signal.reason;
    return 1;
  }
}

/**
 * One stream into `o.incomplete`, from what is already there, with the retry policy; returns the
 * digest of the whole file once it has all its bytes. A file left by parallel parts has gaps, so
 * it is started over.
 */
async function streamBlob(
  o: BlobDownloadOptions,
  policy: TransferPolicy,
  result: BlobDownloadResult,
): Promise<ReturnType<typeof createDigest>> {
  const { file } = o;
  const sidecar = partsFilePath(o.incomplete);
  if ((await sizeOf(sidecar)) > 0) {
    await truncate(o.incomplete, 0).catch(() => undefined);
    await removeParts(sidecar);
  }
  let failures = 0;
  for (;;) {
    o.signal?.throwIfAborted();
    let offset = await sizeOf(o.incomplete);
    if (offset > file.size) {
      await truncate(o.incomplete, 0);
      offset = 0;
    }
    const digest = createDigest(file);
    if (offset > 0) await feedFile(digest, o.incomplete, offset, o.signal);
    if (offset >= file.size) return digest;
    if (offset > 0) result.resumedAt.push(offset);
    const attempt = new AbortController();
    const signal = o.signal ? AbortSignal.any([o.signal, attempt.signal]) : attempt.signal;
    let stall: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(stall);
      stall = setTimeout(() => attempt.abort(new Error(`no data for ${policy.stallMs} ms`)), policy.stallMs);
    };
    let written = 0;
    let sink: WriteStream | undefined;
    try {
      arm();
      const body = await o.open({ start: offset }, signal);
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
      return digest;
    } catch (e) {
      if (o.signal?.aborted) throw o.signal.reason;
      const why = attempt.signal.aborted ? reasonOf(attempt.signal.reason) : reasonOf(e);
      if (isPermanent(e)) throw e;
      failures = written > 0 ? 1 : failures + 1;
      if (failures > policy.retries) throw downloadFailed(o, { failures, why, bytes: offset + written, cause: e });
      o.onRetry?.({ reason: why, offset: offset + written, attempt: failures });
      await policy.sleep(policy.backoff(failures), o.signal);
    } finally {
      clearTimeout(stall);
      // A cut transfer destroys the file stream, but a write already in flight still lands:
      // measure the partial file (the next offset) only once the stream has closed.
      // (Not events.once: it would reject with the stream's error, which the catch has handled.)
      const stream = sink;
      if (stream && !stream.closed) await new Promise<void>((resolve) => stream.once('close', () => resolve()));
    }
  }
}

export async function downloadBlob(o: BlobDownloadOptions): Promise<BlobDownloadResult> {
  const { file } = o;
  const policy = policyOf(o);
  const corruptRetries = o.corruptRetries ?? 2;
  const result: BlobDownloadResult = { received: 0, resumedAt: [], parts: 1 };
  let corruptions = 0;
  for (;;) {
    o.signal?.throwIfAborted();
    const count = await partCount(o);
    const digest = createDigest(file);
    let actual: string | undefined;
    if (count > 1) actual = await downloadParts(o, { policy, result, count });
    else {
      result.parts = 1;
      actual = (await streamBlob(o, policy, result)).actual();
    }
    const size = await sizeOf(o.incomplete);
    if (size === file.size && (digest.expected === undefined || actual === digest.expected)) {
      await rename(o.incomplete, o.final);
      await removeParts(partsFilePath(o.incomplete));
      return result;
    }
    await unlink(o.incomplete).catch(() => undefined);
    await removeParts(partsFilePath(o.incomplete));
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
    await policy.sleep(policy.backoff(corruptions), o.signal);
  }
}
