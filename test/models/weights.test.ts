/**
 * The reader of original weight files (src/models/weights/) on real files: torch.save zips and
 * safetensors written by scripts/fixtures/make-torch-fixtures.py (every dtype, a nested dict,
 * views into a shared storage, a 0-d tensor; hostile pickles written opcode by opcode; crafted
 * sizes), compared with the values torch itself wrote beside them; and ZIP64 zips built here.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWorkerError, toJobErrorBody } from '../../src/errors.js';
import { float16ToFloat32, openWeights, toFloat32, type WeightsFile } from '../../src/models/weights/index.js';
import { zip64 } from '../helpers/zip64.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'weights');
const fixture = (name: string) => join(FIXTURES, name);

interface Expected {
  dtype: 'float32' | 'float16' | 'bfloat16' | 'int64';
  shape: number[];
  /** float32 numbers ('inf', '-inf', 'nan' as strings: JSON has none), or int64 as decimal strings. */
  values: (number | string)[];
}

const NON_FINITE: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: NaN };

async function expected(name: string): Promise<Record<string, Expected>> {
  return JSON.parse(await readFile(fixture(name), 'utf8'));
}

/** The tensor's values as torch gave them: float32 numbers, or int64 as decimal strings. */
async function valuesOf(w: WeightsFile, name: string): Promise<(number | string)[]> {
  const info = w.tensors.get(name)!;
  const bytes = await w.read(name);
  expect(bytes.length).toBe(info.byteLength);
  if (info.dtype === 'int64') {
    const copy = new Uint8Array(bytes);
    return [...new BigInt64Array(copy.buffer, copy.byteOffset, copy.length / 8)].map(String);
  }
  return [...toFloat32(info.dtype, bytes)];
}

async function streamed(w: WeightsFile, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await w.stream(name)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function checkAgainst(w: WeightsFile, want: Record<string, Expected>): Promise<void> {
  for (const [name, e] of Object.entries(want)) {
    const info = w.tensors.get(name);
    expect(info, name).toMatchObject({ dtype: e.dtype, shape: e.shape });
    const got = await valuesOf(w, name);
    // torch's .float() of each stored value is exact in float32: equal after Math.fround.
    const want = e.dtype === 'int64' ? e.values : e.values.map((v) => (typeof v === 'number' ? Math.fround(v) : NON_FINITE[v]));
    expect(got, name).toEqual(want);
    expect((await streamed(w, name)).equals(await w.read(name)), `${name} streamed`).toBe(true);
  }
}

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await promise;
  } catch (e) {
    if (!isWorkerError(e)) throw e;
    return { code: e.code, message: e.message, details: e.details };
  }
  throw new Error('expected a rejection');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weights-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('torch.save zips', () => {
  it('every dtype (fp32, fp16 with its special values, bf16, int64 past 2^53), a 0-d and an empty tensor', async () => {
    const w = await openWeights(fixture('dtypes.pt'));
    expect(w.format).toBe('torch');
    expect([...w.tensors.keys()].sort()).toEqual(['bf16', 'empty', 'f16', 'f16_special', 'f32', 'i64', 'scalar']);
    await checkAgainst(w, await expected('dtypes.json'));
    expect(w.tensors.get('scalar')).toMatchObject({ shape: [], strides: [], byteLength: 4, contiguous: true });
    expect(w.tensors.get('empty')).toMatchObject({ shape: [0, 3], byteLength: 0 });
    await w.close();
  });

  it('a nested dict ({generator: state_dict}, an nn.Parameter) is flattened with dots; scalars beside it are metadata', async () => {
    const w = await openWeights(fixture('nested.pt'));
    expect([...w.tensors.keys()].sort()).toEqual([
      'extra.scale',
      'generator.0.bias',
      'generator.0.weight',
      'generator.1.bias',
      'generator.1.weight',
    ]);
    expect(Object.fromEntries(w.metadata)).toEqual({ epoch: 12, note: 'fixture' });
    await checkAgainst(w, await expected('nested.json'));
    await w.close();
  });

  it('views into one shared storage: offsets, a strided column, a transpose (gathered into C order), a 0-d element', async () => {
    const w = await openWeights(fixture('views.pt'));
    const storages = new Set([...w.tensors.values()].map((t) => t.storage));
    expect(storages.size).toBe(1);
    expect(w.tensors.get('rows')).toMatchObject({ offset: 6, shape: [2, 6], contiguous: true });
    expect(w.tensors.get('col')).toMatchObject({ offset: 2, shape: [4], strides: [6], contiguous: false });
    expect(w.tensors.get('transposed')).toMatchObject({ offset: 0, shape: [6, 4], strides: [1, 6], contiguous: false });
    expect(w.tensors.get('element')).toMatchObject({ offset: 23, shape: [], byteLength: 4 });
    await checkAgainst(w, await expected('views.json'));
    await w.close();
  });

  it('an unknown tensor name is MODEL_LOAD_FAILED', async () => {
    const w = await openWeights(fixture('dtypes.pt'));
    expect(await codeOf(w.read('nope'))).toMatchObject({ code: 'MODEL_LOAD_FAILED', details: { tensor: 'nope' } });
    await w.close();
  });
});

describe('hostile pickles', () => {
  const marker = 'PWNED-by-weights-fixture';
  it.each([
    ['hostile-os-system.pt', 'os.system'],
    ['hostile-eval.pt', 'builtins.eval'],
    ['hostile-popen.pt', 'subprocess.Popen'],
    ['hostile-stack-global.pt', 'posix.system'],
    ['hostile-load-from-bytes.pt', 'torch.storage._load_from_bytes'],
  ])('%s → MODEL_UNSAFE naming %s, and nothing ran', async (file, global) => {
    const e = await codeOf(openWeights(fixture(file)));
    expect(e).toMatchObject({ code: 'MODEL_UNSAFE', details: { file, global } });
    expect(e.message).toContain(global);
    expect(existsSync(join(process.cwd(), marker))).toBe(false);
    expect(existsSync(join(FIXTURES, marker))).toBe(false);
    expect(toJobErrorBody(await openWeights(fixture(file)).catch((x) => x))).toMatchObject({ code: 'MODEL_UNSAFE', retryable: false });
  });

  it('INST (a call by another opcode), a self-appending list and an unknown opcode are refused', async () => {
    const zipOf = async (name: string, pkl: number[]) => {
      const path = join(dir, name);
      await writeFile(path, zip64([{ name: 'archive/data.pkl', data: Buffer.from(pkl) }]));
      return path;
    };
    const inst = [0x80, 2, 0x28, ...Buffer.from('i' + 'os\nsystem\n'), 0x2e];
    expect(await codeOf(openWeights(await zipOf('inst.pt', inst)))).toMatchObject({
      code: 'MODEL_UNSAFE',
      details: { global: 'os.system (by INST)' },
    });
    // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP: a list that holds itself.
    const loop = [0x80, 2, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e];
    expect(await codeOf(openWeights(await zipOf('loop.pt', loop)))).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    expect(await codeOf(openWeights(await zipOf('op.pt', [0x80, 2, 0xff])))).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });
});

describe('guards: coded errors, in bounded memory', () => {
  it.each([
    ['truncated.pt', /not a readable zip/],
    ['past-storage.pt', /reaches past its storage/],
    ['huge-shape.pt', /reaches past its storage|claims/],
    ['huge-storage.pt', /claims 1000000000 elements/],
    ['header-too-long.safetensors', /header of 1099511627776 bytes/],
    ['past-data.safetensors', /outside the data/],
    ['huge-shape.safetensors', /reaches past its storage|bytes for/],
    ['unknown-dtype.safetensors', /unsupported dtype F64/],
    ['bad-header.safetensors', /not JSON/],
  ])('%s → MODEL_LOAD_FAILED', async (file, why) => {
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 20; i++) {
      const e = await codeOf(openWeights(fixture(file)));
      expect(e.code).toBe('MODEL_LOAD_FAILED');
      expect(e.message).toMatch(why);
      expect(e.details).toMatchObject({ file });
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
  });

  it('a zip whose directory claims a 10 GB data.pkl, and a pickle over the cap, cost no memory', async () => {
    const liar = join(dir, 'liar.pt');
    await writeFile(liar, zip64([{ name: 'archive/data.pkl', data: Buffer.from([0x80, 2, 0x4e, 0x2e]), claimedSize: 10 * 2 ** 30 }]));
    const before = process.memoryUsage().rss;
    expect(await codeOf(openWeights(liar))).toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/past the end/) });
    expect(await codeOf(openWeights(fixture('nested.pt'), { maxPickleBytes: 64 }))).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    // A million EMPTY_LISTs inside the byte cap: refused by the value count, not built.
    const lists = join(dir, 'lists.pt');
    await writeFile(lists, zip64([{ name: 'archive/data.pkl', data: Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(1e6, 0x5d)]) }]));
    expect(await codeOf(openWeights(lists, { maxPickleValues: 1000 }))).toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      message: expect.stringMatching(/more than 1000 values/),
    });
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
  });

  it('a file that is neither format, one that does not exist, and a legacy (pre-zip) torch.save file', async () => {
    const junk = join(dir, 'junk.bin');
    await writeFile(junk, 'hello, not weights');
    expect(await codeOf(openWeights(junk))).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    expect(await codeOf(openWeights(join(dir, 'missing.pt')))).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    const legacy = join(dir, 'legacy.pt');
    await writeFile(legacy, Buffer.from([0x80, 2, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]));
    expect(await codeOf(openWeights(legacy))).toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      message: expect.stringMatching(/legacy torch.save/),
    });
  });
});

describe('ZIP64', () => {
  it('a torch checkpoint with ZIP64 records (built by hand: sizes and offsets in ZIP64 extra fields) reads as the original', async () => {
    // The entries of dtypes.pt, repacked: yauzl (the reader we depend on) lists them.
    const zip = await yauzl.openPromise(fixture('dtypes.pt'));
    const entries: { name: string; data: Buffer }[] = [];
    for await (const entry of zip.eachEntry()) {
      const chunks: Buffer[] = [];
      for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer);
      entries.push({ name: entry.fileName.replace(/^dtypes\//, 'renamed/'), data: Buffer.concat(chunks) });
    }
    zip.close();
    const path = join(dir, 'zip64.pt');
    await writeFile(path, zip64(entries));
    const w = await openWeights(path);
    await checkAgainst(w, await expected('dtypes.json'));
    await w.close();
  });
});

describe('safetensors', () => {
  it('every dtype, a 0-d tensor and __metadata__', async () => {
    const w = await openWeights(fixture('small.safetensors'));
    expect(w.format).toBe('safetensors');
    expect(Object.fromEntries(w.metadata)).toEqual({ format: 'pt', source: 'make-torch-fixtures.py' });
    expect(w.tensors.get('w.f32')).toMatchObject({ shape: [2, 3], strides: [3, 1], storage: 'w.f32', offset: 0, contiguous: true });
    await checkAgainst(w, await expected('small.safetensors.json'));
    await w.close();
  });
});

describe('float conversion', () => {
  it('fp16: zero, negative zero, subnormals, the largest half, infinities, NaN; unaligned input', () => {
    const bits = [0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0x7c00, 0xfc00, 0x7e00];
    const bytes = Buffer.alloc(bits.length * 2 + 1);
    for (const [i, b] of bits.entries()) bytes.writeUInt16LE(b, 1 + i * 2);
    const out = float16ToFloat32(bytes.subarray(1));
    expect([...out].slice(0, 9)).toEqual([0, -0, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, 1, 65504, Infinity, -Infinity]);
    expect(Object.is(out[1], -0)).toBe(true);
    expect(out[9]).toBeNaN();
  });

  it('bf16 is the high half of a float32', () => {
    const bytes = Buffer.from([0x80, 0x3f, 0x49, 0x40, 0x80, 0xbf]); // 1, 3.140625, -1
    expect([...toFloat32('bfloat16', bytes)]).toEqual([1, 3.140625, -1]);
  });
});
