/**
 * @module The shared vocabulary of the TF.js graph converter (tfjs-graph.ts walks, tfjs-graph-ops.ts
 * holds the per-op rules): converted values, the emission context, and the node-naming error.
 */
import { WorkerError } from '../errors.js';
import type { OnnxElemType, OnnxGraph } from './onnx-graph.js';
import type { TfConst, TfNode } from './tfjs-graph-package.js';

/** A converted TF tensor. */
export interface Val {
  /** The ONNX tensor ('' for a constant not yet emitted: see {@link GraphCtx.tensor}). */
  tensor: string;
  dtype: OnnxElemType;
  rank: number;
  /** `nchw`: a rank-4 tensor TF sees as NHWC, stored NCHW. `nhwc`: stored as TF sees it. */
  layout: 'nhwc' | 'nchw';
  /** TF's (logical) shape at the model's declared input size, where the rules could work it out. */
  shape?: readonly number[] | undefined;
  /** Set for TF Const values (TF layout): rules read attributes-as-tensors from here. */
  const?: TfConst | undefined;
  /**
   * Emits the value's node on first use ({@link GraphCtx.tensor}); `tensor` is then ignored. Used
   * where a later op may cancel this one: ORT runs every node, even one whose output nobody reads.
   */
  lazy?: (() => string) | undefined;
  /** Set when this value is `from` with a size-1 `axis` removed (Squeeze, Unpack num=1). */
  squeezed?: { from: Val; axis: number } | undefined;
  /** Set when this value is `from` with a size-1 `axis` inserted (ExpandDims). */
  expanded?: { from: Val; axis: number } | undefined;
}

export interface GraphCtx {
  graph: OnnxGraph;
  /** Resize by the declared model's scale factors instead of fixed sizes (spatially dynamic models). */
  dynamicResize: boolean;
  /** A fresh ONNX tensor name based on `base`. */
  fresh(base: string): string;
  /** `v`'s ONNX tensor in `layout` (inserting a cached Transpose, or emitting a constant, as needed). */
  tensor(v: Val, layout?: 'nhwc' | 'nchw'): string;
  /** An initializer; returns its name. */
  init(base: string, dims: readonly number[], data: Float32Array | Int32Array | BigInt64Array): string;
  /** `node(op, inputs, attributes)` → its single output tensor name. */
  node(op: string, inputs: readonly string[], base: string, attributes?: Parameters<OnnxGraph['addNode']>[3]): string;
}

export type OpRule = (n: TfNode, inputs: readonly Val[], ctx: GraphCtx) => Val | readonly Val[];

export function opFail(n: { name: string; op: string }, why: string): WorkerError {
  return new WorkerError('MODEL_LOAD_FAILED', `node "${n.name}" (${n.op}): ${why}`, { details: { node: n.name, op: n.op } });
}

const DTYPES: Readonly<Record<string, OnnxElemType>> = { DT_FLOAT: 'float32', DT_INT32: 'int32', DT_INT64: 'int64', DT_BOOL: 'bool' };

export function tfDtype(n: TfNode, key: string, fallback?: OnnxElemType): OnnxElemType {
  const a = n.attr[key];
  const t = a?.kind === 'type' ? DTYPES[a.type] : fallback;
  if (!t) throw opFail(n, `attribute ${key} is ${a?.kind === 'type' ? a.type : 'missing'}; supported: ${Object.keys(DTYPES).join(', ')}`);
  return t;
}
