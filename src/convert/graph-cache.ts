/**
 * @module Converted graphs on the volume, one folder per conversion: `<root>/<name>-<key>/` with
 * the graphs (`<name>.onnx`, with their external data beside them when a graph's weights are
 * large), any side files the converter returns, and `manifest.json` written last, naming every file's size. The key is a
 * sha256 over the converter's version, its options and the sources' own hashes (the model store
 * names each blob by its sha256, so nothing is re-hashed at start-up): new weights or a new
 * converter make a new folder; nothing is invalidated in place.
 *
 * Shared safely between workers: a conversion runs under the model store's lock (one worker
 * converts, the others wait for its manifest), is written into a private temporary folder and
 * renamed into place whole, so no reader ever opens a half-written graph. A folder whose files do
 * not match their manifest (a damaged volume, a killed copy) is removed and converted again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireLock } from '../models/lock.js';

/** What a conversion writes: file name → bytes or chunks (external data), and JSON for its manifest. */
export interface GraphFiles {
  files: Record<string, Uint8Array | readonly Uint8Array[]>;
  meta?: Record<string, unknown>;
}

export interface CachedGraph {
  /** The folder, complete. */
  dir: string;
  meta: Record<string, unknown>;
  /** True when the folder was there already (or another worker made it while this one waited). */
  hit: boolean;
  /** Milliseconds this worker spent converting (0 on a hit). */
  convertMs: number;
}

export interface GraphCacheOptions {
  root: string;
  /** The component, a file-name-safe label (`mmaudio-dit`). */
  name: string;
  /** Identity of the conversion: {@link graphKey}. */
  key: string;
  convert(): Promise<GraphFiles>;
  /** The model store's lock settings (a waiter gives up after `waitMs`). */
  lock: { staleMs: number; waitMs: number };
  signal?: AbortSignal;
}

/** The cache key: converter version, options (JSON) and each source's content hash, in order. */
export function graphKey(o: { version: string; options: unknown; sources: readonly string[] }): string {
  const h = createHash('sha256').update(`version\0${o.version}\noptions\0${JSON.stringify(o.options)}\n`);
  for (const s of o.sources) h.update(`source\0${s}\n`);
  return h.digest('hex').slice(0, 32);
}

const MANIFEST = 'manifest.json';

interface Manifest {
  name: string;
  key: string;
  files: Record<string, number>;
  meta: Record<string, unknown>;
}

/** The manifest when every file it names is there at its size; otherwise undefined. */
async function completeManifest(dir: string): Promise<Manifest | undefined> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  for (const [file, size] of Object.entries(manifest.files ?? {})) {
    const s = await stat(join(dir, file)).catch(() => undefined);
    if (!s?.isFile() || s.size !== size) return undefined;
  }
  return manifest;
}

function folderOf(o: Pick<GraphCacheOptions, 'root' | 'name' | 'key'>): string {
  return join(o.root, `${o.name}-${o.key}`);
}

function cached(dir: string, manifest: Manifest): CachedGraph {
  return { dir, meta: manifest.meta, hit: true, convertMs: 0 };
}

/** The converted graph's folder: from the cache, or converted now (under the lock) and cached. */
export async function cachedGraph(o: GraphCacheOptions): Promise<CachedGraph> {
  const dir = folderOf(o);
  const ready = await completeManifest(dir);
  if (ready) return cached(dir, ready);
  await mkdir(o.root, { recursive: true });
  const held = await acquireLock({
    file: `${dir}.lock`,
    staleMs: o.lock.staleMs,
    timeoutMs: o.lock.waitMs,
    ...(o.signal ? { signal: o.signal } : {}),
    onWait: async () => (await completeManifest(dir)) !== undefined,
  });
  if (!held) {
    // Another worker finished it while this one waited.
    const theirs = await completeManifest(dir);
    if (theirs) return cached(dir, theirs);
    throw new Error(`conversion ${o.name}: the worker that held the lock left no complete graph`);
  }
  try {
    const done = await completeManifest(dir);
    if (done) return cached(dir, done);
    // A folder that is there but incomplete is damaged: it is converted again.
    await rm(dir, { recursive: true, force: true });
    const t0 = performance.now();
    const out = await o.convert();
    if (!Object.keys(out.files).some((f) => f.endsWith('.onnx'))) throw new TypeError(`conversion ${o.name} wrote no .onnx graph`);
    const tmp = `${dir}.tmp-${randomUUID()}`;
    await mkdir(tmp, { recursive: true });
    try {
      const files: Record<string, number> = {};
      for (const [file, bytes] of Object.entries(out.files)) {
        const chunks = bytes instanceof Uint8Array ? [bytes] : bytes;
        await writeFile(join(tmp, file), chunks);
        files[file] = chunks.reduce((n, c) => n + c.byteLength, 0);
      }
      const manifest: Manifest = { name: o.name, key: o.key, files, meta: out.meta ?? {} };
      await writeFile(join(tmp, MANIFEST), JSON.stringify(manifest, null, 1));
      await rename(tmp, dir);
      return { dir, meta: manifest.meta, hit: false, convertMs: performance.now() - t0 };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  } finally {
    await held.release();
  }
}

/** Removes a cached folder that would not load, so the next {@link cachedGraph} converts it again. */
export async function discardGraph(o: Pick<GraphCacheOptions, 'root' | 'name' | 'key'>): Promise<void> {
  await rm(folderOf(o), { recursive: true, force: true });
}
