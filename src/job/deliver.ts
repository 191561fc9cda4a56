/**
 * @module Hands the finished file to the client: written under OUTPUT_DIR (`path`) or inlined as
 * base64 (`base64`), within the size the platform accepts. `auto` picks `path` when the worker runs
 * locally (test mode, local API) and `base64` on the platform.
 */
import { copyFile, mkdir, stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkerError } from '../errors.js';
import type { RunMode } from '../runtime/types.js';

export type Delivery = 'auto' | 'url' | 'base64' | 'path';

export interface DeliverOptions {
  file: string;
  /** File name of the result: `<job id>.<ext>`. */
  name: string;
  delivery: Delivery;
  mode: RunMode;
  outputDir: string;
  maxBase64Bytes: number;
}

export type Delivered =
  | { kind: 'path'; path: string; bytes: number }
  | { kind: 'base64'; base64: string; bytes: number };

/** Base64 length of n bytes. */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

export async function deliver(o: DeliverOptions): Promise<Delivered> {
  const { size } = await stat(o.file);
  const how = o.delivery === 'auto' ? (o.mode === 'platform' ? 'base64' : 'path') : o.delivery;
  if (how === 'url') {
    throw new WorkerError('INVALID_INPUT', 'delivery: "url" needs an S3 bucket, and none is configured; use "base64" or "path"', {
      details: { field: 'delivery' },
    });
  }
  if (how === 'path') {
    await mkdir(o.outputDir, { recursive: true });
    const path = join(o.outputDir, o.name);
    await copyFile(o.file, path);
    return { kind: 'path', path, bytes: size };
  }
  const encoded = base64Length(size);
  if (encoded > o.maxBase64Bytes) {
    throw new WorkerError(
      'OUTPUT_TOO_LARGE',
      `the result is ${size} bytes (${encoded} as base64), over the ${o.maxBase64Bytes}-byte base64 limit (MAX_BASE64_BYTES); use delivery "url" or a shorter duration`,
      { details: { bytes: size, base64Bytes: encoded, limit: o.maxBase64Bytes } },
    );
  }
  return { kind: 'base64', base64: (await readFile(o.file)).toString('base64'), bytes: size };
}
