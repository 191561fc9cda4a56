/**
 * @module The types every session and tensor user shares, apart from ort.ts (which alone loads
 * onnxruntime-node) so that the session thread's main side can name them without importing the
 * module that opens it. `Tensor` is onnxruntime's own class, named here as a type only (erased
 * from the build: no code here loads the package).
 */
import type * as ort from 'onnxruntime-node';

export type EpRequest = 'auto' | 'cpu' | 'cuda';
export type Provider = 'cpu' | 'cuda';
export type Tensor = ort.Tensor;
export type TensorType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';
/** The array each tensor type is held in: float16 as its raw IEEE half bits (Node 20 has no Float16Array). */
export type TensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

export interface Session {
  readonly provider: Provider;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, Tensor>, options?: RunOptions): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

export interface RunOptions {
  /**
   * The caller will not touch the feeds' data again: a session on a thread may move their
   * buffers there instead of copying them (they are then detached here). Ignored in-process.
   */
  transfer?: boolean;
}

/** External data for a model given as bytes: `path` as the graph names it (e.g. `model.onnx.data`). */
export interface ExternalDataFile {
  path: string;
  data: Uint8Array;
}

export interface SessionOptions {
  /** Threads for one operator; default ORT's (all cores). */
  intraOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * On a thread of its own (session-thread.ts), so that a long run does not hold the event loop.
   * Needs the model as a file path (or bytes) and the build (dist/), as session-thread.ts says.
   */
  thread?: boolean;
  /** On the CPU whatever the runtime's provider: a model so small that a GPU's transfers would cost more than they save. */
  cpuOnly?: boolean;
  /** The external data files of a model given as bytes (a model given as a path finds them beside it). */
  externalData?: readonly ExternalDataFile[];
}
