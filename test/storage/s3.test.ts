/**
 * S3 delivery end to end against @20minutes/s3rver on loopback (it checks SigV4 signatures):
 * upload, presigned URL fetched with plain fetch, expiry, multipart, a dead endpoint, and no
 * secret in the logs of a real worker process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isWorkerError } from '../../src/errors.js';
import { uploadAndPresign, type BucketConfig } from '../../src/storage/s3.js';
import { createTestWorker, errorOf, outputOf, type TestWorker } from '../helpers/job.js';
import { S3RVER_SECRET, startS3rver, type LocalS3 } from '../helpers/s3rver.js';

let dir: string;
let s3: LocalS3;
const SECRET = S3RVER_SECRET;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 's3-'));
  s3 = await startS3rver(dir);
});
afterAll(async () => {
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

function bucketEnv(extra: Record<string, string> = {}): Record<string, string> {
  return s3.env(extra);
}

describe('delivery to S3', () => {
  let worker: TestWorker;
  beforeAll(async () => {
    worker = await createTestWorker(bucketEnv({ BUCKET_URL_EXPIRES_S: '2' }));
  });
  afterAll(() => worker.close());

  it('auto delivery uploads when a bucket is configured; the presigned URL returns the same bytes, then expires', async () => {
    const job = { video_path: 'fire2.mp4', output_format: 'wav', seed: 4 };
    const viaUrl = outputOf(await worker.run(job, { id: 'job-s3' }));
    const url = viaUrl.audio_url as string;
    // Checked at once: the URL lives 2 s, and the comparison job below may take longer than that.
    const expires = Date.parse(viaUrl.url_expires_at as string);
    expect(expires - Date.now()).toBeGreaterThan(0);
    expect(expires - Date.now()).toBeLessThanOrEqual(2000);
    const res = await fetch(url);
    const fetched = Buffer.from(await res.arrayBuffer());
    const tampered = await fetch(url.replace('job-s3.wav', 'other.wav'));
    expect(res.status).toBe(200);
    expect(tampered.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(url).toContain('/results/foley-worker/job-s3/job-s3.wav');
    expect(url).toContain('X-Amz-Signature=');

    const viaPath = outputOf(await worker.run({ ...job, delivery: 'path' }));
    expect(fetched.equals(await readFile(viaPath.audio_path as string))).toBe(true);

    await new Promise((r) => setTimeout(r, Math.max(0, expires - Date.now()) + 200));
    expect((await fetch(url)).status).toBe(403);
  });

  it('uploads a large file in parts', async () => {
    const file = join(dir, 'big.bin');
    const bytes = randomBytes(20 * 1024 * 1024);
    await writeFile(file, bytes);
    const bucket: BucketConfig = { ...worker.config.bucket!, urlExpiresS: 60 };
    const up = await uploadAndPresign({ bucket, file, key: 'big/big.bin', contentType: 'application/octet-stream' });
    const got = Buffer.from(await (await fetch(up.url)).arrayBuffer());
    expect(got.length).toBe(bytes.length);
    expect(got.equals(bytes)).toBe(true);
  });

  it('a dead endpoint fails the job with UPLOAD_FAILED, and leaves no scratch files', async () => {
    const dead = await createTestWorker(bucketEnv({ BUCKET_ENDPOINT_URL: 'http://127.0.0.1:9' }));
    try {
      const err = errorOf(await dead.run({ video_path: 'fire2.mp4', output_format: 'wav' }));
      expect(err.code).toBe('UPLOAD_FAILED');
      expect(JSON.stringify(err)).not.toContain(SECRET);
      expect((await readdir(dead.root)).filter((n) => n.startsWith('foley-job-'))).toEqual([]);
    } finally {
      await dead.close();
    }
  });

  it('wrong credentials are refused by the signature check', async () => {
    const bucket: BucketConfig = { ...worker.config.bucket!, secretAccessKey: 'wrong-secret' };
    const file = join(dir, 'small.bin');
    await writeFile(file, 'x');
    await expect(uploadAndPresign({ bucket, file, key: 'x/small.bin', contentType: 'text/plain' })).rejects.toSatisfy(
      (e) => isWorkerError(e) && e.code === 'UPLOAD_FAILED' && !e.message.includes('wrong-secret'),
    );
  });
});

describe('secrets in logs', () => {
  const entry = new URL('../../dist/handler.js', import.meta.url).pathname;
  async function runWorker(env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
    const out = await mkdtemp(join(tmpdir(), 'secrets-'));
    try {
      return await promisify(execFile)(
        process.execPath,
        [
          entry,
          '--rp_log_level',
          'trace',
          '--test_input',
          JSON.stringify({ input: { video_path: 'footsteps.mp4', output_format: 'wav' } }),
        ],
        { env: { PATH: '', OUTPUT_DIR: out, RUNPOD_AI_API_KEY: 'rp-api-key-very-secret', ...env } },
      ).catch((e: { stdout: string; stderr: string }) => e);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }

  it('a failing upload (wrong keys) logs neither the keys nor the RunPod key', async () => {
    const secretKey = 'sEcReT-kEy-0123456789abcdef';
    const accessKey = 'AKIA-TEST-ACCESS-ID';
    const { stdout, stderr } = await runWorker(bucketEnv({ BUCKET_ACCESS_KEY_ID: accessKey, BUCKET_SECRET_ACCESS_KEY: secretKey }));
    expect(JSON.parse(JSON.parse(stdout).error as string)).toMatchObject({ code: 'UPLOAD_FAILED' });
    for (const secret of [secretKey, accessKey, 'rp-api-key-very-secret']) {
      expect(stderr).not.toContain(secret);
      expect(stdout).not.toContain(secret);
    }
  });

  it('a successful upload returns the presigned URL to the client only: the logs hold no signature or key', async () => {
    const { stdout, stderr } = await runWorker(bucketEnv());
    const url = (JSON.parse(stdout) as { output: { audio_url: string } }).output.audio_url;
    expect(url).toContain('X-Amz-Signature=');
    expect(stderr.length).toBeGreaterThan(100);
    for (const secret of ['X-Amz-Signature', 'X-Amz-Credential', new URL(url).search, 'rp-api-key-very-secret']) {
      expect(stderr).not.toContain(secret);
    }
  });
});
