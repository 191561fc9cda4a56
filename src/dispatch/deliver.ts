/**
 * @module Hands the finished file to the client, per `delivery`:
 * - `url`: uploaded to the configured S3-compatible bucket, returned as a presigned GET URL;
 * - `path`: written under OUTPUT_DIR, returned as a path;
 * - `base64`: inlined, if its base64 fits MAX_BASE64_BYTES (RunPod refuses results over ~20 MB);
 * - `auto`: `url` when a bucket is configured, else `path` when running locally (test mode, local
 *   API), else `base64` within the limit, else OUTPUT_TOO_LARGE.
 */
import { copyFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BucketSettings } from '../config.js';
import { WorkerError } from '../errors.js';
import type { RunMode } from '../runtime/types.js';

import type { Delivery } from '../job/fields.js';

export interface DeliverOptions {
  file: string;
  jobId: string;
  /** File name of the result: `<job id>.<ext>`. */
  name: string;
  contentType: string;
  delivery: Delivery;
  mode: RunMode;
  outputDir: string;
  maxBase64Bytes: number;
  bucket: BucketSettings | undefined;
  signal?: AbortSignal | undefined;
}

export type Delivered =
  | { kind: 'url'; url: string; expiresAt: string; bytes: number }
  | { kind: 'path'; path: string; bytes: number }
  | { kind: 'base64'; base64: string; bytes: number };

/** Base64 length of n bytes. */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

function tooLarge(size: number, limit: number): WorkerError {
  return new WorkerError(
    'OUTPUT_TOO_LARGE',
    `the result is ${size} bytes (${base64Length(size)} as base64), over the ${limit}-byte base64 limit (MAX_BASE64_BYTES); ` +
      'configure a bucket and use delivery "url", or ask for a shorter duration or an audio format',
    { details: { bytes: size, base64Bytes: base64Length(size), limit } },
  );
}

export function chooseDelivery(delivery: Delivery, mode: RunMode, hasBucket: boolean): Exclude<Delivery, 'auto'> {
  if (delivery !== 'auto') return delivery;
  if (hasBucket) return 'url';
  return mode === 'platform' ? 'base64' : 'path';
}

export async function deliver(o: DeliverOptions): Promise<Delivered> {
  const { size } = await stat(o.file);
  const how = chooseDelivery(o.delivery, o.mode, o.bucket !== undefined);
  switch (how) {
    case 'url': {
      if (!o.bucket) {
        throw new WorkerError(
          'INVALID_INPUT',
          'delivery: "url" needs an S3 bucket (BUCKET_ENDPOINT_URL, BUCKET_ACCESS_KEY_ID, BUCKET_SECRET_ACCESS_KEY), ' +
            'and none is configured; use "base64" or "path"',
          {
            details: { field: 'delivery' },
          },
        );
      }
      // Loaded on first use: the AWS SDK is large, and workers without a bucket never need it.
      const { uploadAndPresign } = await import('../storage/s3.js');
      const up = await uploadAndPresign({
        bucket: o.bucket,
        file: o.file,
        key: `${o.jobId}/${o.name}`,
        contentType: o.contentType,
        signal: o.signal,
      });
      return { kind: 'url', url: up.url, expiresAt: up.expiresAt, bytes: size };
    }
    case 'path': {
      await mkdir(o.outputDir, { recursive: true });
      const path = join(o.outputDir, o.name);
      // The result is the job's scratch file, removed after the job: moved when the output
      // directory is on the same filesystem, copied otherwise.
      await rename(o.file, path).catch(async (e: unknown) => {
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        await copyFile(o.file, path);
      });
      return { kind: 'path', path, bytes: size };
    }
    case 'base64': {
      if (base64Length(size) > o.maxBase64Bytes) throw tooLarge(size, o.maxBase64Bytes);
      return { kind: 'base64', base64: (await readFile(o.file)).toString('base64'), bytes: size };
    }
  }
}
