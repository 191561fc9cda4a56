import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedConversion } from './cache.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'convert-cache-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function sources(dir: string, files: Record<string, string>): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  return Promise.all(
    Object.entries(files).map(async ([name, text]) => {
      await writeFile(join(dir, name), text);
      return join(dir, name);
    }),
  );
}

function counter(bytes = Uint8Array.of(1, 2, 3), delayMs = 0): { convert: () => Promise<Uint8Array>; calls: () => number } {
  let calls = 0;
  return {
    convert: async () => {
      calls++;
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return bytes;
    },
    calls: () => calls,
  };
}

describe('cachedConversion', () => {
  it('converts on a miss, into <cacheDir>/<key>.onnx (creating the folder), and hits the second time', async () => {
    const files = await sources(join(root, 'src'), { 'model.json': '{}', 'shard.bin': 'abc' });
    const cacheDir = join(root, 'deep', 'cache');
    const c = counter(Uint8Array.of(9, 8, 7));
    const first = await cachedConversion({ cacheDir, sourceFiles: files, converterVersion: 'v1', convert: c.convert });
    expect(first.hit).toBe(false);
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    expect(first.path).toBe(join(cacheDir, `${first.key}.onnx`));
    expect([...(await readFile(first.path))]).toEqual([9, 8, 7]);
    const second = await cachedConversion({ cacheDir, sourceFiles: files, converterVersion: 'v1', convert: c.convert });
    expect(second).toEqual({ ...first, hit: true });
    expect(c.calls()).toBe(1);
    expect(await readdir(cacheDir)).toEqual([`${first.key}.onnx`]);
  });

  it('gives a new key when one source byte or the converter version changes, not when the folder does', async () => {
    const cacheDir = join(root, 'cache');
    const a = await sources(join(root, 'a'), { 'model.json': '{}', 'shard.bin': 'abc' });
    const b = await sources(join(root, 'b'), { 'model.json': '{}', 'shard.bin': 'abd' });
    const moved = await sources(join(root, 'elsewhere'), { 'model.json': '{}', 'shard.bin': 'abc' });
    const key = async (files: string[], converterVersion = 'v1') =>
      (await cachedConversion({ cacheDir, sourceFiles: files, converterVersion, convert: counter().convert })).key;
    const base = await key(a);
    expect(await key(b)).not.toBe(base);
    expect(await key(a, 'v2')).not.toBe(base);
    expect(await key(moved)).toBe(base);
    expect(await key([a[1]!, a[0]!])).not.toBe(base);
  });

  it('lets concurrent converters both succeed, with no partial or temp file left', async () => {
    const files = await sources(join(root, 'src'), { 'model.json': '{}' });
    const cacheDir = join(root, 'cache');
    const big = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
    const c = counter(big, 30);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => cachedConversion({ cacheDir, sourceFiles: files, converterVersion: 'v1', convert: c.convert })),
    );
    expect(new Set(results.map((r) => r.path)).size).toBe(1);
    expect(results.every((r) => !r.hit)).toBe(true);
    expect(c.calls()).toBe(4);
    expect(Buffer.compare(await readFile(results[0]!.path), Buffer.from(big))).toBe(0);
    expect(await readdir(cacheDir)).toEqual([`${results[0]!.key}.onnx`]);
  });

  it('treats an empty file as a miss, and leaves nothing behind when convert throws', async () => {
    const files = await sources(join(root, 'src'), { 'model.json': '{}' });
    const cacheDir = join(root, 'cache');
    const failing = cachedConversion({
      cacheDir,
      sourceFiles: files,
      converterVersion: 'v1',
      convert: () => {
        throw new Error('boom');
      },
    });
    await expect(failing).rejects.toThrow('boom');
    expect(await readdir(cacheDir)).toEqual([]);
    const first = await cachedConversion({ cacheDir, sourceFiles: files, converterVersion: 'v1', convert: counter().convert });
    await writeFile(first.path, '');
    const again = await cachedConversion({
      cacheDir,
      sourceFiles: files,
      converterVersion: 'v1',
      convert: counter(Uint8Array.of(5)).convert,
    });
    expect(again.hit).toBe(false);
    expect([...(await readFile(again.path))]).toEqual([5]);
  });
});
