/**
 * `retryable` in every error body: decided per code (src/errors.ts RETRY_BY_CODE), and for the
 * codes whose answer depends on what happened (a download's 503 vs its 404) by the throw site.
 * The download cases use a real HTTP server and the real downloader.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, isRetryable, toJobErrorBody, WorkerError } from '../../src/errors.js';
import { parseJobInput } from '../../src/dispatch/input.js';
import { downloadToFile } from '../../src/storage/download.js';

let server: Server;
let base: string;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wire-retry-'));
  server = createServer((req, res) => {
    const status = Number(req.url?.slice(1));
    res.writeHead(status).end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

async function downloadError(status: number): Promise<unknown> {
  return downloadToFile({ url: `${base}/${status}`, dest: join(dir, `f${status}`), maxBytes: 1000, policy: () => true, attempts: 1 }).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('retryable on the wire', () => {
  it("is a boolean in every code's body", () => {
    for (const code of ERROR_CODES) {
      expect(typeof toJobErrorBody(new WorkerError(code, 'x')).retryable, code).toBe('boolean');
    }
  });

  it.each([
    ['INVALID_INPUT', false],
    ['URL_NOT_ALLOWED', false],
    ['MEDIA_UNREADABLE', false],
    ['FFMPEG_FAILED', false],
    ['CONFIG_INVALID', false],
    ['TIMED_OUT', true],
    ['CANCELLED', true],
    ['OUT_OF_MEMORY', true],
    ['INTERNAL', true],
  ] as const)('%s → %s whatever the throw site said', (code, expected) => {
    expect(toJobErrorBody(new WorkerError(code, 'x')).retryable).toBe(expected);
    expect(toJobErrorBody(new WorkerError(code, 'x', { retryable: !expected })).retryable).toBe(expected);
  });

  it('a bad payload is not retryable', () => {
    let err: unknown;
    try {
      parseJobInput({ video_path: 'a.mp4', seed: 1.5 });
    } catch (e) {
      err = e;
    }
    expect(toJobErrorBody(err)).toMatchObject({ code: 'INVALID_INPUT', retryable: false });
  });

  it('a thrown non-WorkerError is INTERNAL and retryable', () => {
    expect(toJobErrorBody(new TypeError('boom'))).toMatchObject({ code: 'INTERNAL', retryable: true });
  });

  it.each([
    [503, true],
    [502, true],
    [429, true],
    [404, false],
    [403, false],
  ])('a download answered %i is DOWNLOAD_FAILED with retryable %s', async (status, expected) => {
    const err = await downloadError(status);
    expect(toJobErrorBody(err)).toMatchObject({ code: 'DOWNLOAD_FAILED', retryable: expected });
    expect(isRetryable(err)).toBe(expected);
  });
});
