/**
 * ensureRepo against a fake Hub on loopback and a temp dir as the volume: cold download in the
 * Hugging Face layout, zero-request warm start, resume after a cut transfer, corrupted bytes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { lstat, readFile, readdir, readlink, stat, writeFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureRepo } from '../../src/models/ensure.js';
import { isWorkerError } from '../../src/errors.js';
import { parseModelsSpec } from '../../src/models/spec.js';
import { generatedBytes, gitOid, sha256, startFakeHub, type FakeHub } from '../helpers/fake-hub.js';
import { ensureOptions, tempCache } from '../helpers/models.js';

const REPO = 'acme/foley-tiny';
const COMMIT = 'c0ffee0000000000000000000000000000000001';
const BIG = generatedBytes(24 * 1024 * 1024, 7);
const FILES: Record<string, Uint8Array> = {
  'config.json': Buffer.from('{"sample_rate":48000,"latent_dim":40}\n'),
  'onnx/model.onnx': BIG,
  'onnx/model.onnx.data': generatedBytes(3 * 1024 * 1024 + 17, 8),
  'tokenizer.json': generatedBytes(5000, 9),
  'README.md': Buffer.from('# tiny\n'),
};
const ROOT = 'models--acme--foley-tiny';

let hub: FakeHub;
const caches: { remove(): Promise<void> }[] = [];
async function cache(): Promise<string> {
  const c = await tempCache();
  caches.push(c);
  return c.dir;
}

beforeAll(async () => {
  hub = await startFakeHub({ repos: [{ repo: REPO, commit: COMMIT, refs: { main: COMMIT, v1: COMMIT }, files: FILES }], pageSize: 2 });
});
afterAll(async () => {
  await hub.close();
  await Promise.all(caches.map((c) => c.remove()));
});
afterEach(() => {
  hub.requests.length = 0;
});

const spec = (s = REPO) => parseModelsSpec(s)[0]!;
const blobName = (p: string): string => (FILES[p]!.length >= 1024 ? sha256(FILES[p]!) : gitOid(FILES[p]!));

describe('cold start', () => {
  it(
    'downloads every file into blobs/, links snapshots/<commit>/, pins refs/main, writes the marker; ' +
      'a second start makes zero requests',
    async () => {
      const dir = await cache();
      const o = ensureOptions(dir, hub.url);
      const progress: number[] = [];
      const r = await ensureRepo(spec(), { ...o, onProgress: (p) => progress.push(p.bytes) });
      expect(r).toMatchObject({ repo: REPO, revision: 'main', commit: COMMIT, source: 'downloaded' });
      expect(r.snapshot).toBe(join(dir, ROOT, 'snapshots', COMMIT));
      expect(r.files.map((f) => f.path).sort()).toEqual(Object.keys(FILES).sort());

      // Layout, byte for byte, as huggingface_hub writes it.
      expect((await readFile(join(dir, ROOT, 'refs', 'main'), 'utf8')).trim()).toBe(COMMIT);
      for (const [path, bytes] of Object.entries(FILES)) {
        const snap = join(dir, ROOT, 'snapshots', COMMIT, ...path.split('/'));
        expect((await lstat(snap)).isSymbolicLink(), path).toBe(true);
        const depth = path.split('/').length;
        expect(await readlink(snap)).toBe(join(...Array(depth + 1).fill('..'), 'blobs', blobName(path)));
        expect(sha256(await readFile(snap)), path).toBe(sha256(bytes));
      }
      expect(sha256(await readFile(join(dir, ROOT, 'blobs', sha256(BIG))))).toBe(sha256(BIG));
      expect((await readdir(join(dir, ROOT, 'blobs'))).filter((n) => n.endsWith('.incomplete'))).toEqual([]);
      expect(existsSync(join(dir, ROOT, '.foley', `${COMMIT}.complete.json`))).toBe(true);
      expect(existsSync(join(dir, '.locks', ROOT, 'foley.lock'))).toBe(false);
      // One GET per file, tree listed over its 3 pages, one revision lookup.
      expect(hub.fileGets()).toHaveLength(Object.keys(FILES).length);
      expect(hub.requests.filter((q) => q.path.includes('/tree/'))).toHaveLength(3);
      expect(progress.at(-1)).toBe(Object.values(FILES).reduce((n, b) => n + b.length, 0));

      // Warm start: zero requests, even with a fetch that would throw.
      hub.requests.length = 0;
      const noNet: typeof fetch = () => Promise.reject(new Error('network used on a warm start'));
      const warm = await ensureRepo(spec(), { ...o, hub: { ...o.hub, fetch: noNet } });
      expect(hub.requests).toHaveLength(0);
      expect(warm).toMatchObject({ commit: COMMIT, source: 'warm' });
      expect(warm.files.find((f) => f.path === 'onnx/model.onnx')?.local).toBe(join(r.snapshot, 'onnx', 'model.onnx'));
    },
  );

  it('downloads only what the globs match, and a wider list later fetches just the extra files without listing again', async () => {
    const dir = await cache();
    const o = ensureOptions(dir, hub.url);
    const r = await ensureRepo(spec(`${REPO}@v1:*.json`), o);
    expect(r.files.map((f) => f.path).sort()).toEqual(['config.json', 'tokenizer.json']);
    expect(hub.fileGets()).toHaveLength(2);
    expect((await readFile(join(dir, ROOT, 'refs', 'v1'), 'utf8')).trim()).toBe(COMMIT);
    hub.requests.length = 0;
    const wider = await ensureRepo(spec(`${REPO}@v1:*.json,onnx/*`), o);
    expect(wider.files).toHaveLength(4);
    expect(hub.requests.map((q) => q.path).sort()).toEqual([
      `/${REPO}/resolve/${COMMIT}/onnx/model.onnx`,
      `/${REPO}/resolve/${COMMIT}/onnx/model.onnx.data`,
    ]);
  });

  it('reuses files a Python client already put in the cache (no marker): lists the commit, downloads nothing', async () => {
    const dir = await cache();
    await mkdir(join(dir, ROOT, 'refs'), { recursive: true });
    await writeFile(join(dir, ROOT, 'refs', 'main'), COMMIT);
    await mkdir(join(dir, ROOT, 'blobs'), { recursive: true });
    await mkdir(join(dir, ROOT, 'snapshots', COMMIT), { recursive: true });
    await writeFile(join(dir, ROOT, 'blobs', blobName('config.json')), FILES['config.json']!);
    await symlink(join('..', '..', 'blobs', blobName('config.json')), join(dir, ROOT, 'snapshots', COMMIT, 'config.json'));
    const r = await ensureRepo(spec(`${REPO}:config.json`), ensureOptions(dir, hub.url));
    expect(r.source).toBe('downloaded');
    expect(hub.fileGets()).toHaveLength(0);
    expect(hub.requests.every((q) => q.path.includes('/tree/'))).toBe(true);
  });

  it('sends the token to the Hub and never logs it; a 401 is MODEL_NOT_AVAILABLE', async () => {
    const token = 'hf_secretsecretsecret';
    const locked = await startFakeHub({ repos: [{ repo: REPO, commit: COMMIT, files: { 'config.json': FILES['config.json']! } }], token });
    try {
      const o = ensureOptions(await cache(), locked.url, { hub: { hubUrl: locked.url, accessToken: token, fetch: globalThis.fetch } });
      await ensureRepo(spec(), o);
      expect(locked.requests.length).toBeGreaterThan(0);
      expect(locked.requests.every((q) => q.authorization === `Bearer ${token}`)).toBe(true);
      expect(o.captured.text()).not.toContain(token);

      const anon = ensureOptions(await cache(), locked.url);
      const e = await ensureRepo(spec(), anon).catch((x: unknown) => x);
      expect(isWorkerError(e) && e.code).toBe('MODEL_NOT_AVAILABLE');
    } finally {
      await locked.close();
    }
  });

  it('retries Hub API calls that fail with 5xx or a dropped connection', async () => {
    let failures = 0;
    const flaky: typeof fetch = async (input, init) => {
      const url = String(input);
      if ((url.includes('/revision/') || url.includes('/tree/')) && failures < 3) {
        failures++;
        if (failures === 2) throw new TypeError('fetch failed');
        return new Response('{"error":"busy"}', { status: 503, headers: { 'content-type': 'application/json' } });
      }
      return fetch(input, init);
    };
    const o = ensureOptions(await cache(), hub.url, { hub: { hubUrl: hub.url, accessToken: undefined, fetch: flaky } });
    const r = await ensureRepo(spec(`${REPO}:config.json`), o);
    expect(r.source).toBe('downloaded');
    expect(failures).toBe(3);
    expect(o.captured.lines.filter((l) => String(l.msg).endsWith('failed; retrying'))).toHaveLength(3);
  });

  it('offline (HF_HUB_OFFLINE) and not on the volume: MODEL_NOT_AVAILABLE without a request', async () => {
    const e = await ensureRepo(spec(), ensureOptions(await cache(), hub.url, { offline: true })).catch((x: unknown) => x);
    expect(isWorkerError(e) && e.code).toBe('MODEL_NOT_AVAILABLE');
    expect(hub.requests).toHaveLength(0);
  });
});

describe('interrupted and corrupted transfers', () => {
  it('a socket destroyed mid-file is resumed with Range; nothing sits under the final name before it is verified', async () => {
    const dir = await cache();
    const final = join(dir, ROOT, 'blobs', sha256(BIG));
    const incomplete = `${final}.incomplete`;
    const seen: { range: string | null; finalExists: boolean; partial: number }[] = [];
    const watching: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/onnx/model.onnx')) {
        const partial = await stat(incomplete).then(
          (s) => s.size,
          () => 0,
        );
        seen.push({ range: new Headers(init?.headers).get('range'), finalExists: existsSync(final), partial });
      }
      return fetch(input, init);
    };
    const cutAt = 5 * 1024 * 1024 + 123;
    hub.fault(REPO, 'onnx/model.onnx', { cutAfter: cutAt, times: 1 });
    const o = ensureOptions(dir, hub.url, { hub: { hubUrl: hub.url, accessToken: undefined, fetch: watching } });
    const r = await ensureRepo(spec(`${REPO}:onnx/model.onnx`), o);

    // Usually two requests; under load a retry can also land on a pooled socket the server already
    // closed, adding one. Whatever their number: the first asks from byte 0, every later one resumes
    // from exactly the bytes already on disk, and the final name never exists before verification.
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]).toEqual({ range: null, finalExists: false, partial: 0 });
    const resumedFrom = seen[1]!.partial;
    expect(resumedFrom).toBeGreaterThan(0);
    expect(resumedFrom).toBeLessThanOrEqual(cutAt);
    for (const later of seen.slice(1)) {
      expect(later).toEqual({ range: `bytes=${later.partial}-${BIG.length - 1}`, finalExists: false, partial: later.partial });
    }
    const gets = hub.fileGets('onnx/model.onnx').map((q) => q.range);
    expect(gets[0]).toBeUndefined();
    expect(gets.slice(1).every((g) => /^bytes=[1-9]\d*-\d+$/.test(g ?? ''))).toBe(true);
    expect(gets).toContain(`bytes=${resumedFrom}-${BIG.length - 1}`);
    expect(sha256(await readFile(r.files[0]!.local))).toBe(sha256(BIG));
    expect(existsSync(incomplete)).toBe(false);
    expect(o.captured.lines.some((l) => l.msg === 'model download interrupted; retrying')).toBe(true);
  });

  it('a blob with the wrong sha256 is rejected and fetched again', async () => {
    const dir = await cache();
    hub.fault(REPO, 'onnx/model.onnx.data', { corrupt: true, times: 1 });
    const r = await ensureRepo(spec(`${REPO}:onnx/model.onnx.data`), ensureOptions(dir, hub.url));
    expect(hub.fileGets('onnx/model.onnx.data')).toHaveLength(2);
    expect(sha256(await readFile(r.files[0]!.local))).toBe(sha256(FILES['onnx/model.onnx.data']!));
  });

  it('bytes that never match give MODEL_CORRUPT naming the file, after the retries; no blob, no marker, no partial left', async () => {
    const dir = await cache();
    hub.fault(REPO, 'tokenizer.json', { corrupt: true, times: 99 });
    const e = await ensureRepo(spec(`${REPO}:tokenizer.json`), ensureOptions(dir, hub.url, { corruptRetries: 2 })).catch((x: unknown) => x);
    hub.fault(REPO, 'tokenizer.json', { times: 0 });
    expect(isWorkerError(e) && e.code).toBe('MODEL_CORRUPT');
    expect((e as Error).message).toContain('tokenizer.json');
    expect((e as { details: unknown }).details).toMatchObject({
      repo: REPO,
      path: 'tokenizer.json',
      algorithm: 'sha256',
      expected: sha256(FILES['tokenizer.json']!),
    });
    expect(hub.fileGets('tokenizer.json')).toHaveLength(3);
    expect(await readdir(join(dir, ROOT, 'blobs'))).toEqual([]);
    expect(existsSync(join(dir, ROOT, '.foley', `${COMMIT}.complete.json`))).toBe(false);
    expect(existsSync(join(dir, '.locks', ROOT, 'foley.lock'))).toBe(false);
  });

  it('a small (git oid) file with wrong bytes is caught too', async () => {
    hub.fault(REPO, 'config.json', { corrupt: true, times: 99 });
    const e = await ensureRepo(spec(`${REPO}:config.json`), ensureOptions(await cache(), hub.url, { corruptRetries: 0 })).catch(
      (x: unknown) => x,
    );
    hub.fault(REPO, 'config.json', { times: 0 });
    expect((e as { details: unknown }).details).toMatchObject({ algorithm: 'git-sha1', expected: gitOid(FILES['config.json']!) });
  });

  it('warm start checks sizes only; verify re-hashes, replaces a damaged blob, and the marker stays', async () => {
    const dir = await cache();
    const o = ensureOptions(dir, hub.url);
    await ensureRepo(spec(`${REPO}:onnx/model.onnx.data`), o);
    const blob = join(dir, ROOT, 'blobs', sha256(FILES['onnx/model.onnx.data']!));
    const damaged = Buffer.from(FILES['onnx/model.onnx.data']!);
    damaged[1000]! ^= 0xff;
    await writeFile(blob, damaged);
    hub.requests.length = 0;
    expect((await ensureRepo(spec(`${REPO}:onnx/model.onnx.data`), o)).source).toBe('warm');
    expect(hub.requests).toHaveLength(0);
    const fixed = await ensureRepo(spec(`${REPO}:onnx/model.onnx.data`), { ...o, verify: true });
    expect(fixed.source).toBe('downloaded');
    expect(hub.fileGets()).toHaveLength(1);
    expect(sha256(await readFile(blob))).toBe(sha256(FILES['onnx/model.onnx.data']!));
    expect(o.captured.lines.some((l) => l.msg === 'stored model file failed verification; downloading it again')).toBe(true);
  });
});
