/**
 * The URL downloader against real loopback servers. The "public" server listens on 127.0.0.2,
 * which the injected policy treats as public; the victim on 127.0.0.1 stays forbidden.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWorkerError } from '../../src/errors.js';
import { downloadToFile, type DownloadOptions } from '../../src/storage/download.js';
import { startServer, type TestServer } from '../helpers/http.js';

const PUBLIC = '127.0.0.2';
const policy = (ip: string): boolean => ip === PUBLIC;
const payload = Buffer.alloc(300_000, 7);

let dir: string;
let victim: TestServer;
let pub: TestServer;
let flaky = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dl-'));
  victim = await startServer((_req, res) => res.end('secret'));
  pub = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/video.mp4':
        res.setHeader('content-length', payload.length);
        return res.end(payload);
      case '/to-victim':
        res.statusCode = 302;
        res.setHeader('location', `http://127.0.0.1:${victim.port}/stolen`);
        return res.end();
      case '/to-self':
        res.statusCode = 301;
        res.setHeader('location', '/video.mp4');
        return res.end();
      case '/loop':
        res.statusCode = 302;
        res.setHeader('location', '/loop');
        return res.end();
      case '/big-declared':
        res.setHeader('content-length', 10_000_000);
        return res.end();
      case '/big-chunked':
        // No length header: the limit must be enforced while counting.
        res.write(Buffer.alloc(200_000));
        res.write(Buffer.alloc(200_000));
        return res.end(Buffer.alloc(200_000));
      case '/cut':
        res.setHeader('content-length', payload.length);
        res.write(payload.subarray(0, 1000));
        return setTimeout(() => res.destroy(), 20);
      case '/flaky':
        if (++flaky < 3) {
          res.statusCode = 503;
          return res.end();
        }
        return res.end(payload);
      case '/slow':
        return setTimeout(() => res.end('late'), 3000);
      case '/missing':
        res.statusCode = 404;
        return res.end();
      default:
        res.statusCode = 500;
        return res.end();
    }
  }, PUBLIC);
});
afterAll(async () => {
  await Promise.all([victim.close(), pub.close()]);
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
function opts(url: string, extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return { url, dest: join(dir, `f${++n}`), maxBytes: 500_000, policy, attempts: 1, ...extra };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isWorkerError(e)) return e.code;
    throw e;
  }
  return 'OK';
}

describe('URL downloads', () => {
  it('downloads the bytes, following a redirect to the same allowed host', async () => {
    for (const path of ['/video.mp4', '/to-self']) {
      const o = opts(`${pub.url}${path}`);
      const r = await downloadToFile(o);
      expect(r.bytes).toBe(payload.length);
      expect((await readFile(o.dest)).equals(payload)).toBe(true);
    }
  });

  it('refuses a redirect into the network before connecting to it', async () => {
    expect(await code(downloadToFile(opts(`${pub.url}/to-victim`)))).toBe('URL_NOT_ALLOWED');
    expect(victim.hits).toEqual([]);
  });

  it('pins the checked address: a resolver that answers differently later cannot redirect the connection', async () => {
    let calls = 0;
    // First answer is the allowed address; any later one would be the victim's.
    const resolve = async (): Promise<string[]> => (calls++ === 0 ? [PUBLIC] : ['127.0.0.1']);
    const o = opts(`http://media.example:${pub.port}/video.mp4`, { resolve });
    expect((await downloadToFile(o)).bytes).toBe(payload.length);
    expect(calls).toBe(1);
    expect(victim.hits).toEqual([]);
  });

  it('refuses a name when any of its addresses is forbidden', async () => {
    const resolve = async (): Promise<string[]> => [PUBLIC, '127.0.0.1'];
    expect(await code(downloadToFile(opts(`http://both.example:${pub.port}/video.mp4`, { resolve })))).toBe('URL_NOT_ALLOWED');
  });

  it('enforces the byte limit from the header and while counting, leaving no partial file', async () => {
    expect(await code(downloadToFile(opts(`${pub.url}/big-declared`)))).toBe('INPUT_TOO_LARGE');
    const o = opts(`${pub.url}/big-chunked`);
    expect(await code(downloadToFile(o))).toBe('INPUT_TOO_LARGE');
    await expect(stat(o.dest)).rejects.toThrow();
  });

  it('stops after too many redirects', async () => {
    expect(await code(downloadToFile(opts(`${pub.url}/loop`, { maxRedirects: 3 })))).toBe('DOWNLOAD_FAILED');
  });

  it('reports HTTP errors and broken transfers as DOWNLOAD_FAILED, and retries 5xx', async () => {
    expect(await code(downloadToFile(opts(`${pub.url}/missing`)))).toBe('DOWNLOAD_FAILED');
    expect(await code(downloadToFile(opts(`${pub.url}/cut`)))).toBe('DOWNLOAD_FAILED');
    const o = opts(`${pub.url}/flaky`, { attempts: 3 });
    expect((await downloadToFile(o)).bytes).toBe(payload.length);
    expect(flaky).toBe(3);
  });

  it('times out a server that never answers, and honours cancellation', async () => {
    expect(await code(downloadToFile(opts(`${pub.url}/slow`, { connectTimeoutMs: 200 })))).toBe('DOWNLOAD_FAILED');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect(await code(downloadToFile(opts(`${pub.url}/slow`, { signal: controller.signal })))).toBe('CANCELLED');
  });
});
