/**
 * @module Uploads results to S3-compatible storage and presigns a GET for them. The only importer
 * of `@aws-sdk/*`. Non-AWS endpoints (MinIO, R2, s3rver…) need path-style addressing, and
 * checksums only when required: the SDK's default aws-chunked CRC trailers are rejected or
 * mis-stored by several of them (see ../shared/docs/toolchain.md §5).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BucketSettings } from '../config.js';
import { WorkerError, cancelledError } from '../errors.js';

/** The bucket as `config.ts` parses it from runpod-python's variables. */
export type BucketConfig = BucketSettings;

export interface UploadOptions {
  bucket: BucketConfig;
  file: string;
  /** `<job id>/<file name>`; the prefix is added here. */
  key: string;
  contentType: string;
  signal?: AbortSignal | undefined;
  /** Injected clock for the expiry timestamp. */
  now?: () => Date;
}

export interface Uploaded {
  url: string;
  expiresAt: string;
  key: string;
}

/** Multipart above this; parts of this size, 4 in flight. */
const PART_BYTES = 8 * 1024 * 1024;

function isAws(endpoint: string): boolean {
  try {
    return new URL(endpoint).hostname.endsWith('.amazonaws.com');
  } catch {
    return false;
  }
}

function client(b: BucketConfig): S3Client {
  return new S3Client({
    region: b.region,
    endpoint: b.endpoint,
    forcePathStyle: !isAws(b.endpoint),
    credentials: { accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
}

export async function uploadAndPresign(o: UploadOptions): Promise<Uploaded> {
  const key = [o.bucket.prefix, o.key].filter(Boolean).join('/');
  const s3 = client(o.bucket);
  try {
    const { size } = await stat(o.file);
    const upload = new Upload({
      client: s3,
      params: { Bucket: o.bucket.bucket, Key: key, Body: createReadStream(o.file), ContentType: o.contentType, ContentLength: size },
      partSize: PART_BYTES,
      queueSize: 4,
      leavePartsOnError: false,
    });
    const onAbort = (): void => void upload.abort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: o.bucket.bucket, Key: key }), { expiresIn: o.bucket.urlExpiresS });
    const now = (o.now ?? (() => new Date()))();
    return { url, key, expiresAt: new Date(now.getTime() + o.bucket.urlExpiresS * 1000).toISOString() };
  } catch (cause) {
    if (o.signal?.aborted) throw cancelledError(cause);
    // The SDK's error names the bucket and key at most; the cause stays in our logs, with the
    // credentials never part of it.
    const name = cause instanceof Error ? cause.name : 'Error';
    throw new WorkerError(
      'UPLOAD_FAILED',
      `upload to the bucket failed (${name}): ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
        retryable: true,
        details: { bucket: o.bucket.bucket, key },
      },
    );
  } finally {
    s3.destroy();
  }
}
