/**
 * The ONNX wrapper (src/inference/ort.ts) with the formats the next models come in: float16
 * graphs (fp16 exports) and graphs whose weights are external data (`model.onnx` +
 * `model.onnx.data`, how graphs over protobuf's 2 GB are saved), each generated here, run in
 * process, on a session thread, and through the worker's session cache; and in the Hub cache's
 * layout, where both files are symlinks into `blobs/`.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromFloat16, toFloat16 } from '../../src/inference/float16.js';
import { createOrtRuntime, tensor, type Session } from '../../src/inference/ort.js';
import { createSessionCache } from '../../src/inference/sessions.js';
import { externalDataMlp, halfAffine } from '../helpers/onnx-fixtures.js';

const log = pino({ level: 'silent' });
const runtime = createOrtRuntime({ log, ep: 'cpu' });
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onnx-formats-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('float16', () => {
  const x = [0, 1, -2.5, 0.125, 3, -0.75, 100, 0.5];
  const expected = x.map((v) => v * 2 + 1);

  async function check(s: Session): Promise<void> {
    try {
      const { y } = await s.run({ x: tensor('float16', toFloat16(x), [2, 4]) });
      expect(y!.type).toBe('float16');
      expect(y!.dims).toEqual([2, 4]);
      expect(y!.data).toBeInstanceOf(Uint16Array);
      expect(Array.from(fromFloat16(y!.data as Uint16Array))).toEqual(expected);
    } finally {
      await s.release();
    }
  }

  it('a float16 graph takes and gives float16 tensors, in process and on a session thread', async () => {
    await check(await runtime.createSession(halfAffine()));
    const file = join(dir, 'half.onnx');
    await writeFile(file, halfAffine());
    const threaded = await runtime.createSession(file, { thread: true });
    expect(threaded.provider).toBe('cpu');
    await check(threaded);
  });

  it('float32 ↔ float16 rounds to nearest even and keeps the specials', () => {
    expect(Array.from(toFloat16([1, -2, 65504, 1e6, -1e6, 2 ** -24, 2 ** -26, 0.1]))).toEqual([
      0x3c00, 0xc000, 0x7bff, 0x7c00, 0xfc00, 0x0001, 0x0000, 0x2e66,
    ]);
    // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties go to the even one, 1.
    expect(toFloat16([1 + 2 ** -11, 1 + 3 * 2 ** -11])[0]).toBe(0x3c00);
    expect(toFloat16([1 + 3 * 2 ** -11])[0]).toBe(0x3c02);
    expect(Number.isNaN(fromFloat16(toFloat16([NaN]))[0])).toBe(true);
    const h = fromFloat16(Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0001, 0x8000));
    expect(Array.from(h)).toEqual([1, -2, 65504, Infinity, 2 ** -24, -0]);
  });
});

describe('external data', () => {
  const n = 3;
  const input = Float32Array.from({ length: n * 4 }, (_, i) => Math.cos(i) * 1.5);

  async function expectMatches(s: Session, fixture: ReturnType<typeof externalDataMlp>): Promise<void> {
    const { y } = await s.run({ x: tensor('float32', input.slice(), [n, 4]) });
    const ref = fixture.reference(input, n);
    expect(y!.dims).toEqual([n, 3]);
    expect(Math.max(...Array.from(y!.data as Float32Array, (v, i) => Math.abs(v - ref[i]!)))).toBeLessThan(1e-5);
  }

  it('model.onnx with model.onnx.data beside it: by path in process, on a thread, and through the session cache', async () => {
    const fixture = externalDataMlp();
    const folder = join(dir, 'external');
    await mkdir(folder, { recursive: true });
    const model = join(folder, 'model.onnx');
    await writeFile(model, fixture.bytes);
    await writeFile(join(folder, fixture.dataFile), fixture.data);

    for (const s of [await runtime.createSession(model), await runtime.createSession(model, { thread: true })]) {
      try {
        await expectMatches(s, fixture);
      } finally {
        await s.release();
      }
    }
    const cache = createSessionCache({ runtime });
    const b = await cache.bundle('external', { sessions: { mlp: { model } } });
    await expectMatches(b.sessions.mlp, fixture);
    await cache.releaseAll();
  });

  it('in the Hub cache layout (both files symlinks into blobs/) it still finds its data', async () => {
    const fixture = externalDataMlp(9);
    const root = join(dir, 'hub');
    await mkdir(join(root, 'blobs'), { recursive: true });
    await mkdir(join(root, 'snapshots', 'c0ffee', 'onnx'), { recursive: true });
    await writeFile(join(root, 'blobs', 'aaa'), fixture.bytes);
    await writeFile(join(root, 'blobs', 'bbb'), fixture.data);
    const snap = join(root, 'snapshots', 'c0ffee', 'onnx');
    await symlink('../../../blobs/aaa', join(snap, 'model.onnx'));
    await symlink('../../../blobs/bbb', join(snap, fixture.dataFile));
    const s = await runtime.createSession(join(snap, 'model.onnx'), { thread: true });
    try {
      await expectMatches(s, fixture);
    } finally {
      await s.release();
    }
  });

  it('as bytes, with the data handed over as externalData; without it, MODEL_LOAD_FAILED', async () => {
    const fixture = externalDataMlp(7);
    const s = await runtime.createSession(fixture.bytes, { externalData: [{ path: fixture.dataFile, data: fixture.data }] });
    try {
      await expectMatches(s, fixture);
    } finally {
      await s.release();
    }
    await expect(runtime.createSession(fixture.bytes)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    // The file without its data beside it.
    const lone = join(dir, 'lone');
    await mkdir(lone, { recursive: true });
    await writeFile(join(lone, 'model.onnx'), fixture.bytes);
    await expect(runtime.createSession(join(lone, 'model.onnx'), { thread: true })).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });
});
