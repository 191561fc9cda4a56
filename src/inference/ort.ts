/**
 * @module The only importer of onnxruntime-node. Creates sessions on the execution provider the
 * config asks for, with the fallback ORT 1.30 lacks: asking for `cuda` without its provider
 * libraries throws (even `['cuda','cpu']`), so we catch that, log it once per runtime, and use
 * the CPU from then on. A session can also live on a thread of its own (`thread: true`, see
 * session-thread.ts), with the provider this runtime settled on. Models are a file path (its
 * external data, `model.onnx.data`, found beside it: the way for graphs over protobuf's 2 GB) or
 * bytes (external data then given as `externalData`). Tensors may be float16 (raw bits in a
 * Uint16Array; float16.ts converts). Other files get sessions and tensors through this module's types.
 */
import * as ort from 'onnxruntime-node';
import type { Logger } from 'pino';
import { WorkerError } from '../errors.js';
import { openSessionThread } from './session-thread.js';
import type { EpRequest, Provider, Session, SessionOptions, Tensor, TensorData, TensorType } from './types.js';

export type {
  EpRequest,
  ExternalDataFile,
  Provider,
  RunOptions,
  Session,
  SessionOptions,
  Tensor,
  TensorData,
  TensorType,
} from './types.js';

/** A tensor from plain data; `dims` must multiply to `data.length`. */
export function tensor(type: 'float32', data: Float32Array, dims: readonly number[]): Tensor;
export function tensor(type: 'float16', data: Uint16Array, dims: readonly number[]): Tensor;
export function tensor(type: 'int64', data: BigInt64Array, dims: readonly number[]): Tensor;
export function tensor(type: 'int32', data: Int32Array, dims: readonly number[]): Tensor;
export function tensor(type: 'uint8' | 'bool', data: Uint8Array, dims: readonly number[]): Tensor;
export function tensor(type: TensorType, data: TensorData, dims: readonly number[]): Tensor;
export function tensor(type: TensorType, data: TensorData, dims: readonly number[]): Tensor {
  return new ort.Tensor(type as 'float32', data as Float32Array, dims);
}

/** A one-node graph (Relu on [1]) built with onnx-proto, to find out at start-up whether CUDA works. */
const PROBE_GRAPH = 'CAgSEmZvbGV5LXdvcmtlci1wcm9iZTo3CgwKAXgSAXkiBFJlbHUSBXByb2JlWg8KAXgSCgoICAESBAoCCAFiDwoBeRIKCggIARIECgIIAUIECgAQEQ==';

export interface OrtRuntime {
  /** The provider sessions get now (`undefined` until the first `auto`/`cuda` session tried CUDA). */
  provider(): Provider | undefined;
  /** Settle the provider now with a tiny built-in graph (at warm-up, so /health can report it). */
  probe(): Promise<Provider>;
  /** A session from a model file path or its bytes, here or on its own thread. MODEL_LOAD_FAILED for a bad model. */
  createSession(model: string | Uint8Array, options?: SessionOptions): Promise<Session>;
}

/** ORT's messages when a provider's shared libraries (or drivers) are missing. */
export function isProviderUnavailable(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /ExecutionProvider|providers?_shared|shared library|backend not found|no available backend|CUDA|cudaGetDevice|libcu/i.test(m);
}

function wrap(s: ort.InferenceSession, provider: Provider): Session {
  return {
    provider,
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    run: async (feeds) => (await s.run(feeds)) as Record<string, Tensor>,
    release: () => s.release(),
  };
}

export interface OrtRuntimeOptions {
  log: Logger;
  ep: EpRequest;
  deviceId?: number;
  /** From hardware detection: with `auto` and no GPU, CUDA is not even tried (no ORT error spam). */
  gpuPresent?: boolean;
}

export function createOrtRuntime(o: OrtRuntimeOptions): OrtRuntime {
  let cudaUsable: boolean | undefined = o.ep === 'cpu' || (o.ep === 'auto' && o.gpuPresent === false) ? false : undefined;
  let warned = false;
  const describe = (model: string | Uint8Array): string => (typeof model === 'string' ? model : `<${model.length} bytes>`);

  async function create(model: string | Uint8Array, provider: Provider, options: SessionOptions): Promise<ort.InferenceSession> {
    const eps: ort.InferenceSession.ExecutionProviderConfig[] =
      provider === 'cuda' ? [{ name: 'cuda', deviceId: o.deviceId ?? 0 }] : ['cpu'];
    const opts: ort.InferenceSession.SessionOptions = {
      executionProviders: eps,
      // Trying CUDA where its libraries are missing is expected (it falls back to CPU and says so
      // once, through our logger): ORT's own error lines for it would only be noise on stderr.
      ...(provider === 'cuda' && cudaUsable === undefined ? { logSeverityLevel: 4 as const } : {}),
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
      ...(options.externalData === undefined ? {} : { externalData: options.externalData.map((f) => ({ path: f.path, data: f.data })) }),
    };
    return typeof model === 'string' ? ort.InferenceSession.create(model, opts) : ort.InferenceSession.create(model, opts);
  }

  const runtime: OrtRuntime = {
    provider: () => (cudaUsable === undefined ? undefined : cudaUsable ? 'cuda' : 'cpu'),
    async probe() {
      if (cudaUsable === undefined) await (await runtime.createSession(Buffer.from(PROBE_GRAPH, 'base64'))).release();
      return cudaUsable ? 'cuda' : 'cpu';
    },
    async createSession(model, options = {}) {
      if (options.thread) return thread(model, options);
      if (cudaUsable !== false && !options.cpuOnly) {
        try {
          const s = await create(model, 'cuda', options);
          if (cudaUsable === undefined) o.log.info({ provider: 'cuda', deviceId: o.deviceId ?? 0 }, 'ONNX sessions run on CUDA');
          cudaUsable = true;
          return wrap(s, 'cuda');
        } catch (e) {
          if (!isProviderUnavailable(e)) throw loadError(model, e);
          cudaUsable = false;
          if (!warned) {
            warned = true;
            const msg = 'CUDA execution provider unavailable; ONNX sessions fall back to CPU';
            if (o.ep === 'cuda') o.log.warn({ requested: 'cuda', provider: 'cpu', reason: (e as Error).message }, msg);
            else o.log.info({ requested: o.ep, provider: 'cpu', reason: (e as Error).message }, msg);
          }
        }
      }
      try {
        return wrap(await create(model, 'cpu', options), 'cpu');
      } catch (e) {
        throw loadError(model, e);
      }
    },
  };
  return runtime;

  /**
   * A session on its own thread, which makes its own runtime: told the provider settled here (or,
   * before anything settled it, what was asked and whether there is a GPU), and, when it had to
   * find out, settling this runtime's in turn.
   */
  async function thread(model: string | Uint8Array, options: SessionOptions): Promise<Session> {
    const { thread: _thread, cpuOnly, ...rest } = options;
    const ep: EpRequest = cpuOnly || cudaUsable === false ? 'cpu' : cudaUsable ? 'cuda' : o.ep;
    const s = await openSessionThread({ model, ep, gpuPresent: o.gpuPresent, options: rest, log: o.log, tensor });
    if (!cpuOnly && cudaUsable === undefined) {
      cudaUsable = s.provider === 'cuda';
      warned ||= !cudaUsable;
    }
    return s;
  }

  function loadError(model: string | Uint8Array, e: unknown): WorkerError {
    return new WorkerError('MODEL_LOAD_FAILED', `could not load ONNX model ${describe(model)}: ${(e as Error)?.message ?? String(e)}`, {
      cause: e,
      details: { model: describe(model) },
    });
  }
}

/** Versions and backends, for /health. */
export function ortInfo(): { versions: Record<string, string>; backends: { name: string; bundled: boolean }[] } {
  return {
    versions: { ...ort.env.versions } as Record<string, string>,
    backends: ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled })),
  };
}
