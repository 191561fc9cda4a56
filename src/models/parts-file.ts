/**
 * @module The plan and progress of a parallel download, kept beside `<blob>.incomplete` as
 * `<blob>.incomplete.parts.json`, so a worker that crashed or was stopped resumes each part where it
 * stopped instead of re-fetching gigabytes.
 *
 * Why a sidecar and not "restart the parts": a part is up to size/N bytes (1 GB of a 4 GB file at
 * N = 4), and losing that on every crash is what this change exists to avoid. It stays correct
 * simply: the sidecar is written (atomically) before the first byte of the file, and afterwards
 * only ever records bytes whose write has completed, so it never claims more than the file holds
 * while the machine runs. Nothing is fsynced: after a power loss both may be stale, and the hash of
 * the whole file before the rename is what catches it (that pass is then redone from byte 0).
 */
import { readFile, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../util/write-atomic.js';

/** One ranged part: bytes `start`..`end` (inclusive), the first `done` of them written. */
export interface Part {
  start: number;
  end: number;
  done: number;
}

export function partsFilePath(incomplete: string): string {
  return `${incomplete}.parts.json`;
}

/**
 * Bytes `from`..size-1 split into `count` parts of nearly equal length; bytes before `from` (a
 * single stream's partial file) become one part that is already done.
 */
export function planParts(size: number, count: number, from = 0): Part[] {
  const parts: Part[] = from > 0 ? [{ start: 0, end: from - 1, done: from }] : [];
  const rest = size - from;
  const n = Math.max(1, Math.min(count, rest));
  for (let i = 0; i < n; i++) {
    const start = from + Math.floor((i * rest) / n);
    const end = from + Math.floor(((i + 1) * rest) / n) - 1;
    parts.push({ start, end, done: 0 });
  }
  return parts;
}

export const partLength = (p: Part): number => p.end - p.start + 1;

/** Bytes written without a gap from byte 0: where the sequential hash may read up to. */
export function writtenPrefix(parts: readonly Part[]): number {
  let prefix = 0;
  for (const p of parts) {
    if (p.start !== prefix) return prefix;
    prefix = p.start + p.done;
    if (p.done < partLength(p)) return prefix;
  }
  return prefix;
}

function isPlanOf(parts: unknown, size: number): parts is Part[] {
  if (!Array.isArray(parts) || parts.length === 0) return false;
  let next = 0;
  for (const p of parts as Partial<Part>[]) {
    const { start, end, done } = p ?? {};
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || !Number.isSafeInteger(done)) return false;
    if (start !== next || end! < start! || done! < 0 || done! > end! - start! + 1) return false;
    next = end! + 1;
  }
  return next === size;
}

/** The recorded parts of a download of `blob` (`size` bytes), or undefined when none is usable. */
export async function readParts(path: string, at: { blob: string; size: number }): Promise<Part[] | undefined> {
  let data: { blob?: unknown; size?: unknown; parts?: unknown };
  try {
    data = JSON.parse(await readFile(path, 'utf8')) as typeof data;
  } catch {
    return undefined;
  }
  if (data.blob !== at.blob || data.size !== at.size || !isPlanOf(data.parts, at.size)) return undefined;
  return data.parts.map(({ start, end, done }) => ({ start, end, done }));
}

export async function writeParts(path: string, at: { blob: string; size: number; parts: readonly Part[] }): Promise<void> {
  await writeFileAtomic(path, JSON.stringify({ version: 1, blob: at.blob, size: at.size, parts: at.parts }));
}

export async function removeParts(path: string): Promise<void> {
  await rm(path, { force: true });
}

/**
 * Saves the parts at most every `everyMs` while they progress, and on `flush()`; saves never
 * overlap, and each writes the progress as it is when it starts.
 */
export function partsSaver(o: { path: string; blob: string; size: number; parts: readonly Part[]; everyMs?: number }): {
  progressed(): void;
  flush(): Promise<void>;
} {
  const everyMs = o.everyMs ?? 1000;
  let chain: Promise<void> = Promise.resolve();
  let last = Date.now();
  const save = (): Promise<void> => {
    last = Date.now();
    const snapshot = o.parts.map((p) => ({ ...p }));
    chain = chain.catch(() => undefined).then(() => writeParts(o.path, { blob: o.blob, size: o.size, parts: snapshot }));
    return chain;
  };
  return {
    progressed: () => {
      // A failed periodic save is harmless (the next one, or the final flush, reports it).
      if (Date.now() - last >= everyMs) save().catch(() => undefined);
    },
    flush: save,
  };
}
