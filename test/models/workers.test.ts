/**
 * Several worker processes on one volume directory: real processes (the built sources), a real
 * fake Hub on loopback, one temp dir as the shared volume.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildForChildren } from '../helpers/build.js';
import { generatedBytes, sha256, startFakeHub, type FakeHub } from '../helpers/fake-hub.js';
import { tempCache } from '../helpers/models.js';

const CHILD = new URL('../helpers/models-child.mjs', import.meta.url).pathname;
const REPO = 'acme/shared-volume';
const COMMIT = 'beef000000000000000000000000000000000002';
const ROOT = 'models--acme--shared-volume';
const FILES: Record<string, Uint8Array> = {
  'model.onnx': generatedBytes(8 * 1024 * 1024, 21),
  'vae.onnx': generatedBytes(2 * 1024 * 1024, 22),
  'config.json': Buffer.from('{"a":1}'),
};

let hub: FakeHub;
let buildDir: string;
const caches: { remove(): Promise<void> }[] = [];

beforeAll(async () => {
  [buildDir, hub] = await Promise.all([buildForChildren(), startFakeHub({ repos: [{ repo: REPO, commit: COMMIT, files: FILES }] })]);
});
afterAll(async () => {
  await hub.close();
  await Promise.all(caches.map((c) => c.remove()));
});

interface Worker {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; logs: Record<string, unknown>[] }>;
}

function startWorker(cacheDir: string, env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, [CHILD, '--download-models'], {
    env: { PATH: process.env.PATH ?? '', FOLEY_BUILD_DIR: buildDir, HF_HUB_CACHE: cacheDir, HF_ENDPOINT: hub.url, MODELS: REPO, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; logs: Record<string, unknown>[] }>((resolve) =>
    child.on('exit', (code, signal) =>
      resolve({
        code,
        signal,
        logs: err
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      }),
    ),
  );
  return { child, done };
}

async function expectComplete(dir: string): Promise<void> {
  for (const [path, bytes] of Object.entries(FILES)) {
    expect(sha256(await readFile(join(dir, ROOT, 'snapshots', COMMIT, path))), path).toBe(sha256(bytes));
  }
  expect(existsSync(join(dir, ROOT, '.foley', `${COMMIT}.complete.json`))).toBe(true);
  expect(existsSync(join(dir, '.locks', ROOT, 'foley.lock'))).toBe(false);
}

describe('workers sharing one volume', () => {
  it('two workers cold-starting at once: every blob is fetched once, the second waits, both succeed', async () => {
    const cache = await tempCache();
    caches.push(cache);
    hub.requests.length = 0;
    hub.setThrottle(8 * 1024 * 1024); // ~1.3 s of transfer: long enough for the two to overlap
    try {
      const a = startWorker(cache.dir);
      const b = startWorker(cache.dir);
      const [ra, rb] = await Promise.all([a.done, b.done]);
      expect([ra.code, rb.code]).toEqual([0, 0]);
      for (const path of Object.keys(FILES)) expect(hub.fileGets(path), path).toHaveLength(1);
      expect(hub.requests.filter((q) => q.path.includes('/revision/'))).toHaveLength(1);
      const waited = [ra, rb].filter((r) => r.logs.some((l) => l.msg === 'another worker is downloading this model; waiting for it'));
      expect(waited).toHaveLength(1);
      const ready = [ra, rb].map((r) => (r.logs.find((l) => l.msg === 'models ready')!.models as { source: string }[])[0]?.source).sort();
      expect(ready).toEqual(['downloaded', 'waited']);
      await expectComplete(cache.dir);
    } finally {
      hub.setThrottle(undefined);
    }
  });

  it('a lock left by a killed worker is taken over after the stale time, and its partial file resumed', async () => {
    const cache = await tempCache();
    caches.push(cache);
    hub.requests.length = 0;
    hub.setThrottle(2 * 1024 * 1024);
    const partial = join(cache.dir, ROOT, 'blobs', `${sha256(FILES['model.onnx']!)}.incomplete`);
    const a = startWorker(cache.dir, { MODELS: `${REPO}:model.onnx`, MODELS_LOCK_STALE_S: '1' });
    // Kill it mid-transfer, holding the lock.
    for (let i = 0; i < 200; i++) {
      const size = await stat(partial).then(
        (s) => s.size,
        () => 0,
      );
      if (size > 1024 * 1024) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    a.child.kill('SIGKILL');
    const ra = await a.done;
    expect(ra.signal).toBe('SIGKILL');
    expect(existsSync(join(cache.dir, '.locks', ROOT, 'foley.lock'))).toBe(true);
    const left = (await stat(partial)).size;
    expect(left).toBeGreaterThan(0);
    hub.setThrottle(undefined);

    const t0 = performance.now();
    const rb = await startWorker(cache.dir, { MODELS_LOCK_STALE_S: '1' }).done;
    expect(rb.code, JSON.stringify(rb.logs.filter((l) => (l.level as number) >= 40))).toBe(0);
    expect(performance.now() - t0).toBeGreaterThan(1000); // it did wait out the stale time
    expect(rb.logs.some((l) => l.msg === 'took over a lock abandoned by a dead worker')).toBe(true);
    const gets = hub.fileGets('model.onnx');
    expect(gets).toHaveLength(2);
    const from = Number(/^bytes=(\d+)-/.exec(gets[1]!.range ?? '')?.[1]);
    expect(from).toBe(left);
    await expectComplete(cache.dir);
  });
});
