/**
 * @module The one sequential hash of a file that parallel parts write out of order. A worker thread
 * reads the file front to back (4 MiB at a time, from the page cache) as the part of it written
 * without a gap from byte 0 grows, so the hash runs beside the transfer, on another core, instead
 * of after it, and the main thread keeps receiving. What is hashed is what is on disk: the bytes
 * the renamed blob will hold.
 */
import { Worker } from 'node:worker_threads';

// Plain CommonJS run with `eval`: the same from dist/ and from the TypeScript sources under vitest.
// shared[0] is the written prefix; Atomics.wait sleeps until it moves (or 1 s).
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { path, size, algorithm, prefix, shared } = workerData;
const ready = new BigInt64Array(shared);
const hash = createHash(algorithm);
if (prefix) hash.update(prefix);
const buf = Buffer.allocUnsafe(4 << 20);
const fd = openSync(path, 'r');
try {
  let pos = 0;
  while (pos < size) {
    const end = Number(Atomics.load(ready, 0));
    if (pos >= end) {
      Atomics.wait(ready, 0, BigInt(end), 1000);
      continue;
    }
    const n = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
    if (n === 0) throw new Error('the file ends at byte ' + pos + ', before its written prefix ' + end);
    hash.update(n === buf.length ? buf : buf.subarray(0, n));
    pos += n;
  }
  parentPort.postMessage(hash.digest('hex'));
} finally {
  closeSync(fd);
}
`;

export interface HashFollower {
  /** The file is written without a gap from byte 0 up to `bytes`. */
  advance(bytes: number): void;
  /** The hex digest, once the prefix has reached the size. Rejects if the worker fails or is stopped. */
  digest(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts hashing `path` (`size` bytes) with `algorithm`, `prefix` first (git's `blob <size>\0`).
 * The file must exist.
 */
export function followHash(o: { path: string; size: number; algorithm: 'sha256' | 'sha1'; prefix?: string }): HashFollower {
  const shared = new SharedArrayBuffer(8);
  const ready = new BigInt64Array(shared);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path: o.path, size: o.size, algorithm: o.algorithm, prefix: o.prefix, shared },
  });
  const result = new Promise<string>((resolve, reject) => {
    worker.once('message', (hex: string) => resolve(hex));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the hashing thread exited (${code}) before the file was complete`)));
  });
  result.catch(() => undefined); // awaited by digest(); a stopped follower's rejection is expected
  return {
    advance(bytes) {
      if (BigInt(bytes) <= Atomics.load(ready, 0)) return;
      Atomics.store(ready, 0, BigInt(bytes));
      Atomics.notify(ready, 0);
    },
    digest: () => result,
    stop: async () => {
      await worker.terminate();
    },
  };
}
