/**
 * @module What the TF op rules share: reading a node's attributes and Const inputs, axes and
 * broadcast shapes, the layout two operands meet in, and the element-wise rule makers.
 */
import type { attr, OnnxElemType } from './onnx-graph.js';
import { opFail, type GraphCtx, type OpRule, type Val } from './tfjs-graph-types.js';
import type { TfAttr, TfNode } from './tfjs-graph-package.js';

/** NHWC axis → NCHW axis. */
export const NCHW_AXIS = [0, 2, 3, 1];

export const int64 = (values: readonly number[]): BigInt64Array => BigInt64Array.from(values.map((v) => BigInt(v)));

export function expect(n: TfNode, inputs: readonly Val[], count: number): void {
  if (inputs.length !== count) throw opFail(n, `takes ${count} input(s), got ${inputs.length}`);
}

export function attrOf<K extends TfAttr['kind']>(n: TfNode, key: string, kind: K): Extract<TfAttr, { kind: K }> | undefined {
  const a = n.attr[key];
  if (a === undefined || a.kind === 'other') return undefined;
  if (a.kind !== kind) throw opFail(n, `attribute ${key} is a ${a.kind}, expected ${kind}`);
  return a as Extract<TfAttr, { kind: K }>;
}
export const str = (n: TfNode, key: string, fallback: string): string => attrOf(n, key, 's')?.s ?? fallback;
export const int = (n: TfNode, key: string, fallback: number): number => attrOf(n, key, 'i')?.i ?? fallback;
export const bool = (n: TfNode, key: string, fallback: boolean): boolean => attrOf(n, key, 'b')?.b ?? fallback;
export const ints = (n: TfNode, key: string, fallback: readonly number[]): readonly number[] => {
  const l = attrOf(n, key, 'list');
  return l && l.i.length > 0 ? l.i : fallback;
};

/** A Const input's values as numbers. */
export function constValues(n: TfNode, v: Val | undefined, what: string): number[] {
  if (!v?.const) throw opFail(n, `${what} must be a constant`);
  return Array.from(v.const.data, Number);
}

export const normAxis = (n: TfNode, axis: number, rank: number): number => {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw opFail(n, `axis ${axis} is out of range for rank ${rank}`);
  return a;
};

export function broadcastShape(a: Val, b: Val): number[] | undefined {
  if (!a.shape || !b.shape) return undefined;
  const r = Math.max(a.shape.length, b.shape.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a.shape[a.shape.length - r + i] ?? 1;
    const y = b.shape[b.shape.length - r + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The layout two operands meet in: NCHW when a non-constant operand is NCHW and the other can follow. */
export function meetLayout(vals: readonly Val[]): 'nhwc' | 'nchw' {
  const live = vals.filter((v) => !v.const);
  if (!live.some((v) => v.layout === 'nchw')) return 'nhwc';
  // A non-constant operand below rank 4 broadcasts against NHWC's trailing axes: meet in NHWC.
  if (live.some((v) => v.rank !== 4)) return 'nhwc';
  if (vals.some((v) => v.const && v.rank > 4)) return 'nhwc';
  return 'nchw';
}

export function elementwise(
  ctx: GraphCtx,
  vals: readonly Val[],
  build: (ts: string[], layout: 'nhwc' | 'nchw') => string,
  dtype?: OnnxElemType,
): Val {
  const layout = meetLayout(vals);
  const rank = Math.max(...vals.map((v) => v.rank));
  const ts = vals.map((v) => ctx.tensor(v, v.const && v.rank === 0 ? 'nhwc' : layout));
  const shape = vals.reduce<number[] | undefined>(
    (s, v) => (s === undefined ? undefined : broadcastShape({ ...v, shape: s }, v)),
    vals[0]!.shape ? [...vals[0]!.shape] : undefined,
  );
  return { tensor: build(ts, layout), dtype: dtype ?? vals[0]!.dtype, rank, layout: rank === 4 ? layout : 'nhwc', shape };
}

export function binary(onnxOp: string): OpRule {
  return (n, inputs, ctx) => {
    expect(n, inputs, 2);
    return elementwise(ctx, inputs, (ts) => ctx.node(onnxOp, ts, n.name));
  };
}

export const boolOut =
  (onnxOp: string): OpRule =>
  (n, inputs, ctx) => {
    expect(n, inputs, 2);
    return elementwise(ctx, inputs, (ts) => ctx.node(onnxOp, ts, n.name), 'bool');
  };

export function unary(onnxOp: string, attributes?: ReturnType<typeof attr.float>[]): OpRule {
  return (n, inputs, ctx) => {
    expect(n, inputs, 1);
    const x = inputs[0]!;
    return {
      ...x,
      const: undefined,
      lazy: undefined,
      squeezed: undefined,
      expanded: undefined,
      tensor: ctx.node(onnxOp, [ctx.tensor(x)], n.name, attributes ? { attributes } : undefined),
    };
  };
}

export function scalar(ctx: GraphCtx, name: string, dtype: OnnxElemType, value: number): string {
  return ctx.init(name, [], dtype === 'int32' ? Int32Array.of(value) : Float32Array.of(value));
}

export function clip(ctx: GraphCtx, x: string, base: string, [lo, hi]: readonly [number, number]): string {
  return ctx.node('Clip', [x, scalar(ctx, `${base}/min`, 'float32', lo), scalar(ctx, `${base}/max`, 'float32', hi)], base);
}
