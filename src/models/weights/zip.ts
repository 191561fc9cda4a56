/**
 * @module The zip directory of a torch.save file, through yauzl: it reads only the end records
 * and the central directory (ZIP64 included: files over 4 GB), lazily and with random access on
 * our own file descriptor, and bounds-checks every entry against the file's size. Chosen over
 * adm-zip and jszip (which read the whole archive into memory) and unzipper (stream-first, no
 * random access); yauzl is the long-standing, widely used reader with one small dependency.
 * Entry bytes are read here only for small entries (data.pkl, byteorder), with a cap; tensors are
 * read by offset from the file (range.ts). yauzl's `close()` would close the descriptor it was
 * given, which the caller's FileHandle owns, so it is never called: the handle's close releases both.
 */
import type { FileHandle } from 'node:fs/promises';
import yauzl from 'yauzl';
import { isWorkerError } from '../../errors.js';
import { loadFailed } from './tensor-info.js';

export interface ZipDirectory {
  entries: ReadonlyMap<string, yauzl.Entry>;
  /** Exactly the entry's bytes, refused above `max`. */
  readSmall(entry: yauzl.Entry, max: number): Promise<Buffer>;
  /** Where the entry's (stored, uncompressed) data starts in the file. */
  dataStart(entry: yauzl.Entry): Promise<number>;
}

function notZip(file: string, e: unknown): Error {
  return loadFailed(file, `is not a readable zip (truncated or damaged?): ${e instanceof Error ? e.message : String(e)}`);
}

export async function openZipDirectory(file: string, handle: FileHandle, maxEntries: number): Promise<ZipDirectory> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromFdPromise(handle.fd, { autoClose: false, lazyEntries: true, strictFileNames: true });
  } catch (e) {
    throw notZip(file, e);
  }
  const entries = new Map<string, yauzl.Entry>();
  try {
    if (zip.entryCount > maxEntries) throw loadFailed(file, `has ${zip.entryCount} zip entries (more than ${maxEntries})`);
    for await (const entry of zip.eachEntry()) {
      // The central directory alone must fit in the file; the local header is checked on first read.
      if (entry.relativeOffsetOfLocalHeader + entry.compressedSize > zip.fileSize) {
        throw loadFailed(file, `zip entry ${entry.fileName} claims data past the end of the file`, { entry: entry.fileName });
      }
      entries.set(entry.fileName, entry);
    }
  } catch (e) {
    if (isWorkerError(e)) throw e;
    throw notZip(file, e);
  }
  return {
    entries,
    async readSmall(entry, max) {
      if (entry.uncompressedSize > max || entry.compressedSize > max) {
        throw loadFailed(file, `${entry.fileName} claims ${entry.uncompressedSize} bytes (more than ${max})`, { entry: entry.fileName });
      }
      try {
        const stream = await zip.openReadStreamPromise(entry);
        const chunks: Buffer[] = [];
        let total = 0;
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          total += chunk.length;
          if (total > max) throw new Error(`more than ${max} bytes`);
          chunks.push(chunk);
        }
        return Buffer.concat(chunks, total);
      } catch (e) {
        throw loadFailed(file, `cannot read ${entry.fileName}: ${e instanceof Error ? e.message : String(e)}`, { entry: entry.fileName });
      }
    },
    async dataStart(entry) {
      try {
        return (await zip.readLocalFileHeaderPromise(entry, { minimal: true })).fileDataStart;
      } catch (e) {
        throw loadFailed(file, `cannot find ${entry.fileName}'s data: ${e instanceof Error ? e.message : String(e)}`, {
          entry: entry.fileName,
        });
      }
    },
  };
}
