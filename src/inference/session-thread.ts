/**
 * @module An ONNX session on a thread of its own. onnxruntime-node's `run()` holds the JavaScript
 * thread for the whole inference (measured: a 0.5 s run let no 5 ms timer fire), so on the main
 * thread a long run would starve RunPod's heartbeat and progress, and stop the ffmpeg pipes from
 * moving, so that decoding and encoding could not overlap inference. Here the session lives in a
 * worker thread (created from a file path, through ort.ts like every session) and `run` posts
 * the tensors over: inputs copied (a tile batch is well under a megabyte) or, when the caller
 * hands them over, moved; outputs transferred.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { WorkerError, isWorkerError, type ErrorCode } from '../errors.js';
import type { EpRequest, Provider, Session, SessionOptions, Tensor, TensorData, TensorType } from './types.js';

/** Makes a tensor of the main thread's onnxruntime from plain data (ort.ts's `tensor`). */
export type TensorFactory = (type: TensorType, data: TensorData, dims: readonly number[]) => Tensor;

export interface ThreadData {
  sessionThread: true;
  model: string | Uint8Array;
  ep: EpRequest;
  gpuPresent: boolean | undefined;
  options: SessionOptions;
}

/** The tensor types that cross to and from the thread (Silero's `sr` is int64; fp16 graphs take and give float16). */
const CARRIED = ['float32', 'float16', 'int32', 'int64', 'uint8', 'bool'] as const;
type WireType = (typeof CARRIED)[number];
export interface WireTensor {
  type: WireType;
  data: TensorData;
  dims: number[];
}
export type ToThread = { type: 'run'; id: number; feeds: Record<string, WireTensor> } | { type: 'release' };
type WireError = { code: ErrorCode | undefined; message: string };
export type FromThread =
  | { type: 'ready'; provider: Provider; inputNames: string[]; outputNames: string[] }
  | { type: 'failed'; error: WireError }
  | { type: 'result'; id: number; outputs: Record<string, WireTensor> }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'log'; level: 'info' | 'warn'; obj: object; msg: string };

export const wireError = (e: unknown): WireError => ({
  code: isWorkerError(e) ? e.code : undefined,
  message: e instanceof Error ? e.message : String(e),
});
const fromWire = (e: WireError): Error => (e.code ? new WorkerError(e.code, e.message) : new Error(e.message));

export function toWire(name: string, t: Tensor): WireTensor {
  if (!(CARRIED as readonly string[]).includes(t.type)) {
    throw new WorkerError('INTERNAL', `session thread: tensor ${name} is ${t.type}; ${CARRIED.join(', ')} are carried`);
  }
  return { type: t.type as WireType, data: t.data as TensorData, dims: [...t.dims] };
}

/**
 * The feeds' buffers that can move to the thread: each once, and only a buffer a tensor has to
 * itself (a view into a larger one, such as Node's Buffer pool, would take the rest along).
 */
function movable(wire: Record<string, WireTensor>): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of Object.values(wire)) {
    const b = t.data.buffer;
    if (b instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === b.byteLength) buffers.add(b);
  }
  return [...buffers];
}

/**
 * The module the thread runs: session-thread-worker.js beside this one. Under a TypeScript test
 * runner this module is the .ts source, which a worker thread cannot load (Node 20 runs
 * JavaScript only), so the build's copy in dist/ runs instead (`npm test` builds first).
 */
function threadEntry(): URL {
  const self = new URL('./session-thread-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return self;
  const built = new URL('../../dist/src/inference/session-thread-worker.js', import.meta.url);
  if (!existsSync(built))
    throw new WorkerError('INTERNAL', `the inference thread needs the build (${built.pathname}): run "npm run build"`);
  return built;
}

export interface SessionThreadOptions {
  /** The .onnx file (its external data beside it), or its bytes (then `options.externalData`). */
  model: string | Uint8Array;
  ep: EpRequest;
  /** From hardware detection: with `auto` and no GPU, CUDA is not tried. */
  gpuPresent?: boolean | undefined;
  /** e.g. `intraOpNumThreads: 1` for a model that runs beside decoding on a small CPU. */
  options?: SessionOptions | undefined;
  log: Logger;
  /** Makes the outputs' tensors on this side (ort.ts's `tensor`: this module does not load onnxruntime). */
  tensor: TensorFactory;
}

/**
 * A session on its own thread. Its `run` takes float32, float16, int32, int64, uint8 or bool
 * tensors and resolves with the outputs. Sessions are usually made through ort.ts's runtime
 * (`createSession(model, { thread: true })`), which picks `ep` from the provider it settled on.
 */
export function openSessionThread(o: SessionThreadOptions): Promise<Session> {
  const worker = new Worker(threadEntry(), {
    // The thread inherits the process's flags; `--input-type` (a `node -e` script) would stop it.
    execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')),
    workerData: { sessionThread: true, model: o.model, ep: o.ep, gpuPresent: o.gpuPresent, options: o.options ?? {} } satisfies ThreadData,
  });
  const pending = new Map<number, { resolve: (v: Record<string, Tensor>) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let dead: Error | undefined;
  const failAll = (e: Error): void => {
    dead ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  // An idle session must not keep the process alive (a local run exits when its job is done):
  // the thread holds the event loop only while a run is in flight.
  const settle = (id: number): void => {
    pending.delete(id);
    if (pending.size === 0) worker.unref();
  };
  return new Promise((resolve, reject) => {
    let tensorOf: ((d: WireTensor) => Tensor) | undefined;
    worker.on('error', (e) => {
      failAll(new WorkerError('INTERNAL', `the inference thread failed: ${e.message}`, { cause: e }));
      reject(dead);
    });
    worker.on('exit', (code) => {
      failAll(new WorkerError('INTERNAL', `the inference thread exited (code ${code})`));
      reject(dead);
    });
    worker.on('message', (m: FromThread) => {
      switch (m.type) {
        case 'log':
          o.log[m.level](m.obj, m.msg);
          return;
        case 'failed':
          void worker.terminate();
          reject(fromWire(m.error));
          return;
        case 'result': {
          const p = pending.get(m.id);
          settle(m.id);
          p?.resolve(Object.fromEntries(Object.entries(m.outputs).map(([k, t]) => [k, tensorOf!(t)])));
          return;
        }
        case 'error': {
          const p = pending.get(m.id);
          settle(m.id);
          p?.reject(fromWire(m.error));
          return;
        }
        case 'ready':
          {
            tensorOf = (t) => o.tensor(t.type, t.data, t.dims);
            worker.unref();
            resolve({
              provider: m.provider,
              inputNames: m.inputNames,
              outputNames: m.outputNames,
              run(feeds, options) {
                if (dead) return Promise.reject(dead);
                const id = nextId++;
                const wire: Record<string, WireTensor> = {};
                try {
                  for (const [k, t] of Object.entries(feeds)) wire[k] = toWire(k, t);
                } catch (e) {
                  return Promise.reject(e as Error);
                }
                return new Promise<Record<string, Tensor>>((res, rej) => {
                  pending.set(id, { resolve: res, reject: rej });
                  worker.ref();
                  // Inputs are copied (callers reuse their batch buffers) unless the caller hands
                  // them over; outputs are transferred.
                  worker.postMessage({ type: 'run', id, feeds: wire } satisfies ToThread, options?.transfer ? movable(wire) : []);
                });
              },
              async release() {
                // Held until it has exited: an unref'd thread would let the process end first.
                worker.ref();
                worker.postMessage({ type: 'release' } satisfies ToThread);
                await new Promise<void>((r) => worker.once('exit', () => r()));
              },
            });
          }
          return;
      }
    });
  });
}
