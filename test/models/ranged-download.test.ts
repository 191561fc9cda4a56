/**
 * Parallel ranged downloads of large blobs, against the fake Hub on loopback (it redirects LFS files
 * to its `/cdn/`, as the Hub does) and a temp dir as the volume: parts fetched at once and verified,
 * one cut part resumed alone, a server that ignores Range, corrupted bytes, abort, and a resume from
 * the parts sidecar after the worker stopped.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PARALLEL_MIN_BYTES } from '../../src/models/download.js';
import { ensureRepo } from '../../src/models/ensure.js';
import { isWorkerError } from '../../src/errors.js';
import { planParts, writtenPrefix } from '../../src/models/parts-file.js';
import { parseModelsSpec } from '../../src/models/spec.js';
import { generatedBytes, sha256, startFakeHub, type FakeHub, type RecordedRequest } from '../helpers/fake-hub.js';
import { ensureOptions, tempCache } from '../helpers/models.js';

const REPO = 'acme/foley-large';
const COMMIT = 'c0ffee0000000000000000000000000000000064';
const PATH = 'weights/dit.safetensors';
const BIG = generatedBytes(PARALLEL_MIN_BYTES + 12_345, 11);
const SMALL = generatedBytes(3 * 1024 * 1024, 12);
const FILES = { [PATH]: BIG, 'small.bin': SMALL };
const ROOT = 'models--acme--foley-large';
const PARTS = 4;
const plan = planParts(BIG.length, PARTS);

let hub: FakeHub;
const caches: { remove(): Promise<void> }[] = [];
async function cache(): Promise<string> {
  const c = await tempCache();
  caches.push(c);
  return c.dir;
}

beforeAll(async () => {
  hub = await startFakeHub({ repos: [{ repo: REPO, commit: COMMIT, files: FILES }], redirect: true });
});
afterAll(async () => {
  await hub.close();
  await Promise.all(caches.map((c) => c.remove()));
});
afterEach(() => {
  hub.requests.length = 0;
  hub.setThrottle(undefined);
});

const spec = (globs = PATH) => parseModelsSpec(`${REPO}:${globs}`)[0]!;
/** GETs the CDN answered for the big file (the probe included), in arrival order. */
const cdnGets = (h: FakeHub = hub): RecordedRequest[] => h.requests.filter((q) => q.method === 'GET' && q.path.startsWith('/cdn/'));
const rangeOf = (p: { start: number; end: number }): string => `bytes=${p.start}-${p.end}`;
const blobDir = (dir: string): string => join(dir, ROOT, 'blobs');

describe('planning parts', () => {
  it('splits the bytes evenly, keeps a partial single-stream file as a done first part, and finds the written prefix', () => {
    expect(planParts(10, 3)).toEqual([
      { start: 0, end: 2, done: 0 },
      { start: 3, end: 5, done: 0 },
      { start: 6, end: 9, done: 0 },
    ]);
    expect(planParts(10, 2, 4)).toEqual([
      { start: 0, end: 3, done: 4 },
      { start: 4, end: 6, done: 0 },
      { start: 7, end: 9, done: 0 },
    ]);
    expect(
      writtenPrefix([
        { start: 0, end: 3, done: 4 },
        { start: 4, end: 6, done: 2 },
        { start: 7, end: 9, done: 3 },
      ]),
    ).toBe(6);
    expect(writtenPrefix([{ start: 0, end: 9, done: 10 }])).toBe(10);
  });
});

describe('a large file from a server that serves ranges', () => {
  it('is fetched as parallel ranged parts through the CDN redirect, byte-identical and verified', async () => {
    const dir = await cache();
    const o = ensureOptions(dir, hub.url, { parts: PARTS });
    const r = await ensureRepo(spec(), o);
    expect(sha256(await readFile(r.files[0]!.local))).toBe(sha256(BIG));
    // Every byte request went to the Hub first and was redirected.
    expect(hub.fileGets(PATH).every((q) => q.status === 302)).toBe(true);
    const gets = cdnGets().map((q) => ({ range: q.range, status: q.status }));
    expect(gets[0]).toEqual({ range: 'bytes=0-0', status: 206 });
    expect(
      gets
        .slice(1)
        .map((g) => g.range)
        .sort(),
    ).toEqual(plan.map(rangeOf).sort());
    expect(gets.slice(1).every((g) => g.status === 206)).toBe(true);
    expect(await readdir(blobDir(dir))).toEqual([sha256(BIG)]);
    const verified = o.captured.lines.find((l) => l.msg === 'model file verified');
    expect(verified).toMatchObject({ path: PATH, parts: PARTS, resumedAt: [] });
  });

  it('a part cut mid-way is resumed alone, from where it stopped; the others are requested once', async () => {
    const dir = await cache();
    const cut = plan[2]!;
    const cutAfter = 3 * 1024 * 1024 + 77;
    hub.fault(REPO, PATH, { cutAfter, times: 1, startsAt: cut.start });
    const o = ensureOptions(dir, hub.url, { parts: PARTS });
    const r = await ensureRepo(spec(), o);
    expect(sha256(await readFile(r.files[0]!.local))).toBe(sha256(BIG));
    const ranges = cdnGets()
      .slice(1)
      .map((q) => q.range);
    for (const p of [plan[0]!, plan[1]!, plan[3]!]) expect(ranges.filter((x) => x === rangeOf(p))).toHaveLength(1);
    const again = ranges.filter((x) => x !== undefined && !plan.some((p) => x === rangeOf(p)));
    expect(again.length).toBeGreaterThanOrEqual(1);
    // The resume asks for the rest of that part only: from past its start, at most the bytes served, to its end.
    for (const x of again) {
      const [from, to] = /^bytes=(\d+)-(\d+)$/.exec(x!)!.slice(1).map(Number) as [number, number];
      expect(from).toBeGreaterThan(cut.start);
      expect(from).toBeLessThanOrEqual(cut.start + cutAfter);
      expect(to).toBe(cut.end);
    }
    expect(o.captured.lines.some((l) => l.msg === 'model download interrupted; retrying')).toBe(true);
    expect(await readdir(blobDir(dir))).toEqual([sha256(BIG)]);
  });

  it('bytes that never match are still MODEL_CORRUPT; no blob, no partial file, no parts file is left', async () => {
    const dir = await cache();
    hub.fault(REPO, PATH, { corrupt: true, times: 99 });
    const e = await ensureRepo(spec(), ensureOptions(dir, hub.url, { parts: PARTS, corruptRetries: 0 })).catch((x: unknown) => x);
    hub.fault(REPO, PATH, { times: 0 });
    expect(isWorkerError(e) && e.code).toBe('MODEL_CORRUPT');
    expect((e as { details: unknown }).details).toMatchObject({ path: PATH, algorithm: 'sha256', expected: sha256(BIG) });
    expect(await readdir(blobDir(dir))).toEqual([]);
  });

  it('abort stops every part at once; the next start resumes each part from the sidecar and fetches only the rest', async () => {
    const dir = await cache();
    hub.setThrottle(8 * 1024 * 1024);
    const stop = new AbortController();
    let seen = 0;
    const o = ensureOptions(dir, hub.url, {
      parts: PARTS,
      signal: stop.signal,
      onProgress: (p) => {
        seen = p.bytes;
        if (p.bytes >= 8 * 1024 * 1024) stop.abort(new Error('job cancelled'));
      },
    });
    const t0 = performance.now();
    const e = await ensureRepo(spec(), o).catch((x: unknown) => x);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect((e as Error).message).toBe('job cancelled');
    const before = hub.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(hub.requests.length).toBe(before);
    expect(seen).toBeLessThan(BIG.length / 2);

    const incomplete = join(blobDir(dir), `${sha256(BIG)}.incomplete`);
    const sidecar = JSON.parse(await readFile(`${incomplete}.parts.json`, 'utf8')) as { parts: { start: number; done: number }[] };
    expect(sidecar.parts).toHaveLength(PARTS);
    expect(sidecar.parts.reduce((n, p) => n + p.done, 0)).toBeGreaterThan(0);

    hub.setThrottle(undefined);
    hub.requests.length = 0;
    const resumed = ensureOptions(dir, hub.url, { parts: PARTS });
    const r = await ensureRepo(spec(), resumed);
    expect(sha256(await readFile(r.files[0]!.local))).toBe(sha256(BIG));
    const ranges = cdnGets()
      .slice(1)
      .map((q) => q.range);
    const rest = sidecar.parts.map((p, i) => ({ start: p.start + p.done, end: plan[i]!.end })).filter((p) => p.start <= p.end);
    expect(rest.length).toBeGreaterThan(0);
    expect(ranges.sort()).toEqual(rest.map(rangeOf).sort());
    expect(existsSync(`${incomplete}.parts.json`)).toBe(false);
    expect(existsSync(incomplete)).toBe(false);
  });
});

describe('falling back to one stream', () => {
  it('a server that ignores Range (200 to the probe) gets one plain GET of the whole file', async () => {
    const plain = await startFakeHub({ repos: [{ repo: REPO, commit: COMMIT, files: FILES }], redirect: true, ranges: false });
    try {
      const dir = await cache();
      const o = ensureOptions(dir, plain.url, { parts: PARTS });
      const r = await ensureRepo(spec(), o);
      expect(sha256(await readFile(r.files[0]!.local))).toBe(sha256(BIG));
      const gets = cdnGets(plain);
      // The probe's answer is a 200 the client cancels (its recorded status stays unset: the body never ends).
      expect(gets.map((q) => q.range)).toEqual(['bytes=0-0', undefined]);
      expect(gets[1]!.status).toBe(200);
      expect(o.captured.lines.find((l) => l.msg === 'model file verified')).toMatchObject({ parts: 1 });
    } finally {
      await plain.close();
    }
  });

  it('a file under the threshold is one stream, with no probe', async () => {
    const dir = await cache();
    await ensureRepo(spec('small.bin'), ensureOptions(dir, hub.url, { parts: PARTS }));
    expect(cdnGets().map((q) => q.range)).toEqual([undefined]);
  });
});
