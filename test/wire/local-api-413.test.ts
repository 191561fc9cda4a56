/**
 * A body over the limit gets its coded 413 on every try, whichever way the client sends it. A
 * client that writes its whole body before it reads (fetch does; so does a plain socket written
 * to the end) lost the answer about one time in three to a half when the server closed the
 * connection with the body still arriving: the kernel's reset threw the written answer away.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Handler } from '../../src/runtime/types.js';
import { startLocalApi, type StartedApi } from '../helpers/local-api.js';

let api: StartedApi;
beforeAll(async () => {
  const echo: Handler = (job) => Promise.resolve({ echo: job.input });
  api = await startLocalApi(echo);
});
afterAll(() => api.stop());

const TRIES = 6;
const ROUTES = [
  ['/run', 10_000_000],
  ['/v2/ep/runsync', 20_000_000],
] as const;

/** A JSON body `extra` bytes over `limit`. */
function oversize(limit: number, extra = 2_000_000): Buffer {
  const body = Buffer.alloc(limit + extra, 0x61);
  body.write('{"input":{"x":"', 0, 'latin1');
  body.write('"}}', body.length - 3, 'latin1');
  return body;
}

function expectCoded413(status: number, body: string, limit: number): void {
  expect(status).toBe(413);
  const error = JSON.parse((JSON.parse(body) as { error: string }).error) as { code: string; details: { limit_bytes: number } };
  expect(error.code).toBe('INPUT_TOO_LARGE');
  expect(error.details.limit_bytes).toBe(limit);
}

/**
 * Write the request head and the whole body (with backpressure), and only then read the answer,
 * as a client that sends before it listens: nothing is read while the body goes out.
 */
function rawPost(path: string, body: Buffer): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.pause();
    const got: Buffer[] = [];
    socket.on('data', (d: Buffer) => got.push(d));
    // 'data' switched the socket to flowing: paused again until the body is out.
    socket.pause();
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(got).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      if (!status) return reject(new Error(`no answer (${got.length} chunks): ${text.slice(0, 80)}`));
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.on('connect', async () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      );
      for (let at = 0; at < body.length && !socket.destroyed; at += 65_536) {
        if (!socket.write(body.subarray(at, at + 65_536))) await new Promise<void>((r) => socket.once('drain', () => r()));
      }
      socket.resume();
    });
  });
}

describe('a body over the limit', () => {
  for (const [path, limit] of ROUTES) {
    it(`${path}: every fetch gets the coded 413`, async () => {
      const body = oversize(limit);
      for (let i = 0; i < TRIES; i++) {
        const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        expectCoded413(res.status, await res.text(), limit);
      }
    }, 60_000);

    it(`${path}: every raw socket that writes the whole body first gets the coded 413`, async () => {
      const body = oversize(limit);
      for (let i = 0; i < TRIES; i++) {
        const r = await rawPost(path, body);
        expectCoded413(r.status, r.body, limit);
      }
    }, 60_000);
  }

  it('the worker serves a good request on the same server afterwards', async () => {
    const res = await fetch(`${api.url}/runsync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"input":{"ok":1}}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'COMPLETED', output: { echo: { ok: 1 } } });
  });
});
