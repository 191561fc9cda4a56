/**
 * @module Content-addressed cache of converted models: `<cacheDir>/<key>.onnx`, the key a sha256
 * over the converter version and every source file's name and content hash. Nothing is ever
 * invalidated: new sources or a new converter give a new key. Files are written atomically
 * (util/write-atomic.ts): concurrent converters on one volume never expose a partial file.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { writeFileAtomic } from '../util/write-atomic.js';

export interface CachedConversionOptions {
  cacheDir: string;
  /** Files the conversion reads; their names (not folders) and contents form the key. */
  sourceFiles: readonly string[];
  converterVersion: string;
  /** Called only on a miss. */
  convert: () => Uint8Array | Promise<Uint8Array>;
}

export interface CachedConversion {
  path: string;
  /** True when the file was already there and `convert` was not called. */
  hit: boolean;
  key: string;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** The cache key: independent of where the sources are installed, dependent on every byte. */
export async function conversionKey(sourceFiles: readonly string[], converterVersion: string): Promise<string> {
  const key = createHash('sha256').update(`converter\0${converterVersion}\n`);
  for (const f of sourceFiles) key.update(`file\0${basename(f)}\0${await sha256File(f)}\n`);
  return key.digest('hex');
}

async function nonEmptyFile(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    return s.isFile() && s.size > 0;
  } catch {
    return false;
  }
}

export async function cachedConversion(o: CachedConversionOptions): Promise<CachedConversion> {
  const key = await conversionKey(o.sourceFiles, o.converterVersion);
  const path = join(o.cacheDir, `${key}.onnx`);
  if (await nonEmptyFile(path)) return { path, hit: true, key };
  await mkdir(o.cacheDir, { recursive: true });
  const bytes = await o.convert();
  if (bytes.byteLength === 0) throw new TypeError(`conversion for ${key} produced no bytes`);
  await writeFileAtomic(path, bytes);
  return { path, hit: false, key };
}
