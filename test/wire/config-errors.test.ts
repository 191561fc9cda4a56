/**
 * Startup errors have their own codes: a bad variable or flag is CONFIG_INVALID (INVALID_INPUT is
 * the payload's), and a local API port someone else holds is PORT_IN_USE (not INTERNAL). Both in
 * `loadConfig`/`toJobErrorBody` directly and through the built entry (`npm run build` first).
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { isWorkerError, toJobErrorBody } from '../../src/errors.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const ENTRY = join(ROOT, 'dist', 'handler.js');

function rejection(env: Record<string, string>, argv: string[] = []): { code: string; details: unknown; message: string } {
  try {
    loadConfig(env, argv, '/tmp');
  } catch (e) {
    if (!isWorkerError(e)) throw e;
    return { code: e.code, details: e.details, message: e.message };
  }
  throw new Error('accepted');
}

/** `node dist/handler.js args` to its end: exit code and the last stderr line, parsed. */
function entry(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; last: { error?: { code: string; message: string } } }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [ENTRY, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (err, _stdout, stderr) => {
        const lines = stderr.trim().split('\n');
        let last: { error?: { code: string; message: string } } = {};
        try {
          last = JSON.parse(lines[lines.length - 1] ?? '{}') as typeof last;
        } catch {
          last = {};
        }
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, last });
      },
    );
  });
}

describe('configuration errors', () => {
  it.each([
    [{ MAX_PIXELS: 'lots' }, [], 'MAX_PIXELS'],
    [{ LOG_LEVEL: 'loud' }, [], 'LOG_LEVEL'],
    [{ EXECUTION_PROVIDER: 'tpu' }, [], 'EXECUTION_PROVIDER'],
    [{ MODELS: 'not-a-repo' }, [], 'MODELS'],
    [{ BUCKET_ENDPOINT_URL: 'http://127.0.0.1:9000' }, [], 'BUCKET_ACCESS_KEY_ID'],
    [{}, ['--rp_api_port', 'x'], '--rp_api_port'],
  ] as Array<[Record<string, string>, string[], string]>)('%j %j is CONFIG_INVALID naming %s', (env, argv, name) => {
    const r = rejection(env, argv);
    expect(r.code).toBe('CONFIG_INVALID');
    expect((r.details as { variables: string[] }).variables).toContain(name);
    expect(r.message).toContain(name.replace(/^--/, ''));
  });

  it('an unknown flag is CONFIG_INVALID too', () => {
    expect(rejection({}, ['--nope'])).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('nope') as unknown });
  });

  it('a port in use maps to PORT_IN_USE with where, not INTERNAL', async () => {
    const held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    const { port } = held.address() as AddressInfo;
    const second = createServer();
    const err = await new Promise<unknown>((r) => second.once('error', r).listen(port, '127.0.0.1'));
    held.close();
    expect(toJobErrorBody(err)).toMatchObject({ code: 'PORT_IN_USE', details: { host: '127.0.0.1', port } });
  });
});

describe('the built entry', () => {
  it('exits 1 with CONFIG_INVALID for a bad variable', async () => {
    const r = await entry([], { MAX_PIXELS: 'lots' });
    expect(r.code).toBe(1);
    expect(r.last.error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('MAX_PIXELS') as unknown });
  });

  it('exits 1 with PORT_IN_USE when the local API port is taken', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wire-port-'));
    const held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    try {
      const { port } = held.address() as AddressInfo;
      const r = await entry(['--rp_serve_api', '--rp_api_host', '127.0.0.1', '--rp_api_port', String(port)], {
        VOLUME_DIR: dir,
        OUTPUT_DIR: join(dir, 'out'),
        HF_HUB_OFFLINE: '1',
        EXECUTION_PROVIDER: 'cpu',
        LOG_LEVEL: 'warn',
      });
      expect(r.code).toBe(1);
      expect(r.last.error).toMatchObject({ code: 'PORT_IN_USE', details: { port } });
    } finally {
      held.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
