/**
 * saveTorchStateDict (src/models/weights/save.ts) read back by our own reader: every dtype, a 0-d
 * and an empty tensor, a wrapped dict, ZIP64 records when forced, a tensor streamed in many chunks,
 * 64-byte aligned storages, and an abort that leaves nothing behind. (Checked once by hand against
 * torch 1.13's `torch.load`, `weights_only=True` too; the test needs no Python.)
 */
import { readdir, readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWeights, saveTorchStateDict, type SaveTensor, toFloat32 } from '../../src/models/weights/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weights-save-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** bf16 bits of a float32 (truncation: exact for the values used here). */
const bf16 = (values: number[]) => Uint16Array.from(new Uint32Array(Float32Array.from(values).buffer), (u) => u >>> 16);

const TENSORS: SaveTensor[] = [
  { name: 'a.weight', shape: [2, 3], dtype: 'float32', data: Float32Array.of(1, -2, 3.5, 0, 1e-8, -1e30) },
  { name: 'a.half', shape: [3], dtype: 'float16', data: Uint16Array.of(0x3c00, 0xc000, 0x7bff) }, // 1, -2, 65504
  { name: 'a.bf16', shape: [2, 1], dtype: 'bfloat16', data: bf16([1.5, -0.25]) },
  { name: 'steps', shape: [2], dtype: 'int64', data: BigInt64Array.of(2n ** 60n + 1n, -7n) },
  { name: 'gain', shape: [], dtype: 'float32', data: Float32Array.of(0.75) },
  { name: 'empty', shape: [0, 4], dtype: 'float32', data: new Float32Array(0) },
];

async function checkRoundTrip(path: string, prefix = ''): Promise<void> {
  const w = await openWeights(path);
  try {
    expect([...w.tensors.keys()]).toEqual(TENSORS.map((t) => prefix + t.name));
    for (const t of TENSORS) {
      const info = w.tensors.get(prefix + t.name)!;
      expect(info, t.name).toMatchObject({ dtype: t.dtype, shape: t.shape, contiguous: true, offset: 0 });
      const bytes = await w.read(prefix + t.name);
      const want = Buffer.from(t.data!.buffer, t.data!.byteOffset, t.data!.byteLength);
      expect(bytes.equals(want), t.name).toBe(true);
    }
    expect(toFloat32('float16', await w.read(`${prefix}a.half`))).toEqual(Float32Array.of(1, -2, 65504));
    expect(toFloat32('bfloat16', await w.read(`${prefix}a.bf16`))).toEqual(Float32Array.of(1.5, -0.25));
  } finally {
    await w.close();
  }
}

/** Where each stored entry's data starts, from the local headers (all must be 64-byte aligned). */
function dataStarts(file: Buffer): Map<string, number> {
  const out = new Map<string, number>();
  for (let at = file.indexOf('PK\x03\x04'); at >= 0; ) {
    const nameLength = file.readUInt16LE(at + 26);
    const extra = file.readUInt16LE(at + 28);
    const name = file.subarray(at + 30, at + 30 + nameLength).toString();
    const start = at + 30 + nameLength + extra;
    const size =
      file.readUInt32LE(at + 22) === 0xffffffff ? Number(file.readBigUInt64LE(at + 30 + nameLength + 4)) : file.readUInt32LE(at + 22);
    out.set(name, start);
    at = file.indexOf('PK\x03\x04', start + size);
  }
  return out;
}

describe('saveTorchStateDict', () => {
  it('writes every dtype, a 0-d and an empty tensor, read back byte for byte', async () => {
    const path = join(dir, 'plain.pt');
    const saved = await saveTorchStateDict({ path, tensors: TENSORS });
    expect(saved).toMatchObject({ path, tensors: TENSORS.length, zip64: false });
    const file = await readFile(path);
    expect(saved.bytes).toBe(file.length);
    await checkRoundTrip(path);
    const starts = dataStarts(file);
    expect([...starts.keys()]).toEqual([
      ...TENSORS.map((_, i) => `archive/data/${i}`),
      'archive/data.pkl',
      'archive/byteorder',
      'archive/version',
    ]);
    for (const [name, start] of starts) expect(start % 64, name).toBe(0);
    expect(file.subarray(starts.get('archive/version')!, starts.get('archive/version')! + 2).toString()).toBe('3\n');
    expect((await readdir(dir)).filter((f) => f.includes('.incomplete'))).toEqual([]);
  });

  it('nests the state dict under `wrap`', async () => {
    const path = join(dir, 'wrapped.pt');
    await saveTorchStateDict({ path, tensors: TENSORS, wrap: 'generator' });
    await checkRoundTrip(path, 'generator.');
  });

  it('writes ZIP64 records when forced, which the reader follows', async () => {
    const path = join(dir, 'zip64.pt');
    const saved = await saveTorchStateDict({ path, tensors: TENSORS, forceZip64: true });
    expect(saved.zip64).toBe(true);
    const file = await readFile(path);
    expect(file.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true); // the ZIP64 end record
    expect(file.readUInt32LE(file.length - 22 + 16)).toBe(0xffffffff); // the classic end record defers to it
    for (const [name, start] of dataStarts(file)) expect(start % 64, name).toBe(0);
    await checkRoundTrip(path);
  });

  it('streams a large tensor chunk by chunk, in order', async () => {
    const path = join(dir, 'big.pt');
    const numel = 3_000_001;
    const calls: [number, number][] = [];
    const value = (i: number) => Math.fround(Math.sin(i) * 3);
    const big: SaveTensor = {
      name: 'big',
      shape: [numel],
      dtype: 'float32',
      fill(offset, count) {
        calls.push([offset, count]);
        return Float32Array.from({ length: count }, (_, j) => value(offset + j));
      },
    };
    await saveTorchStateDict({ path, tensors: [big, TENSORS[0]!], chunkElements: 1 << 18 });
    expect(calls.length).toBe(Math.ceil(numel / (1 << 18)));
    expect(calls.every(([offset], i) => offset === i * (1 << 18))).toBe(true);
    const w = await openWeights(path);
    try {
      const got = toFloat32('float32', await w.read('big'));
      expect(got.length).toBe(numel);
      for (const i of [0, 1, 262_143, 262_144, 1_000_000, numel - 1]) expect(got[i], `element ${i}`).toBe(value(i));
    } finally {
      await w.close();
    }
  });

  it('stops when aborted and leaves neither the file nor its temp', async () => {
    const sub = await mkdtemp(join(dir, 'abort-'));
    const path = join(sub, 'aborted.pt');
    const controller = new AbortController();
    const tensor: SaveTensor = {
      name: 'x',
      shape: [1000],
      dtype: 'float32',
      fill(_offset, count) {
        controller.abort(new Error('stop here'));
        return new Float32Array(count);
      },
    };
    await expect(saveTorchStateDict({ path, tensors: [tensor], chunkElements: 100, signal: controller.signal })).rejects.toThrow(
      'stop here',
    );
    expect(await readdir(sub)).toEqual([]);
  });

  it('refuses a fill that gives the wrong number of values, and a name given twice', async () => {
    const wrong: SaveTensor = { name: 'x', shape: [4], dtype: 'float32', fill: () => new Float32Array(3) };
    await expect(saveTorchStateDict({ path: join(dir, 'wrong.pt'), tensors: [wrong] })).rejects.toThrow(/fill gave 12 bytes/);
    const twice = [TENSORS[0]!, TENSORS[0]!];
    await expect(saveTorchStateDict({ path: join(dir, 'twice.pt'), tensors: twice })).rejects.toThrow(/given twice/);
  });
});
