/**
 * @module What one blob download is given and returns, and the retry policy its transfers share:
 * the single stream (download.ts) and each part of a parallel download (ranged-download.ts) retry
 * the same way — backoff between attempts, a stall timeout per attempt, and a budget of consecutive
 * attempts that made no progress.
 */
import { WorkerError } from '../errors.js';
import { backoffDelay, sleep as abortableSleep } from '../util/sleep.js';
import { isPermanentHubError, type ByteRange, type RemoteFile } from './hub.js';

export type { ByteRange } from './hub.js';

export interface BlobDownloadOptions {
  file: RemoteFile;
  /** Label for errors and logs (`org/name`). */
  repo: string;
  /** The blob's final path; nothing is written there until the bytes are verified. */
  final: string;
  incomplete: string;
  /**
   * Opens bytes of the file: from `range.start` to the end (the single stream, resumed with a ranged
   * GET), or exactly `start`..`end` (one part of a parallel download; the answer must be a 206).
   */
  open(range: ByteRange, signal: AbortSignal): Promise<ReadableStream<Uint8Array>>;
  /**
   * Asks whether the server serves ranges: the total size a 206 names, or undefined when it ignores
   * Range. Without it every file is one stream.
   */
  probe?(signal: AbortSignal): Promise<number | undefined>;
  /** Ranged GETs run at once for a file of at least PARALLEL_MIN_BYTES (1: always one stream). @default 8 */
  parts?: number;
  signal?: AbortSignal;
  /** Consecutive failed attempts that made no progress before giving up (per part). @default 5 */
  retries?: number;
  /** Hash mismatches tolerated (each restarts from byte 0) before MODEL_CORRUPT. @default 2 */
  corruptRetries?: number;
  /** An attempt with no byte for this long is aborted and resumed. @default 60000 */
  stallMs?: number;
  /** Delay before attempt n (1-based). @default 250·2^(n-1) ms, at most 10 s, ±25 % jitter */
  backoffMs?: (attempt: number) => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called with the size of each piece of the file as it is received (single stream) or written (parts). */
  onBytes?: (n: number) => void;
  /** Called before a retry, with the reason and the offset it resumes from. */
  onRetry?: (info: { reason: string; offset: number; attempt: number }) => void;
}

export interface BlobDownloadResult {
  /** Bytes received over the network (more than the size when a transfer was resumed or redone). */
  received: number;
  /** Offsets of ranged resumes (> 0): a cut stream or part, or progress found on disk. */
  resumedAt: number[];
  /** Ranged parts of the last pass (1: one stream). */
  parts: number;
}

export interface TransferPolicy {
  retries: number;
  stallMs: number;
  backoff: (attempt: number) => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Delay before attempt n (1-based) of a model transfer: 250 ms doubling, at most 10 s, jittered. */
export function defaultBackoff(attempt: number): number {
  return backoffDelay(attempt, { baseMs: 250, maxMs: 10_000 });
}

export function policyOf(o: BlobDownloadOptions): TransferPolicy {
  return {
    retries: o.retries ?? 5,
    stallMs: o.stallMs ?? 60_000,
    backoff: o.backoffMs ?? defaultBackoff,
    sleep: o.sleep ?? ((ms: number, signal?: AbortSignal) => abortableSleep(ms, signal, { rejectOnAbort: true })),
  };
}

export function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Failures that no retry will fix: 4xx from the Hub, and our own non-retryable errors. */
export function isPermanent(e: unknown): boolean {
  return isPermanentHubError(e) || (e instanceof WorkerError && !e.retryable);
}

/** The error for a transfer that failed more than `retries` times in a row without progress. */
export function downloadFailed(o: BlobDownloadOptions, at: { failures: number; why: string; bytes: number; cause: unknown }): WorkerError {
  const { file } = o;
  return new WorkerError('MODEL_DOWNLOAD_FAILED', `${o.repo}: downloading ${file.path} failed ${at.failures} times in a row: ${at.why}`, {
    cause: at.cause,
    details: { repo: o.repo, path: file.path, bytes: at.bytes, size: file.size },
    retryable: true,
  });
}
