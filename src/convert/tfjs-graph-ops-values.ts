/**
 * @module The TF op rules over values and shapes: casts, TF's floor division and modulo, relu6 and
 * rsqrt, expanding, squeezing, packing and unpacking, reshapes, gathers, strided slices, bias.
 */
import { attr, onnxDataType } from './onnx-graph.js';
import { opFail, tfDtype, type GraphCtx, type OpRule, type Val } from './tfjs-graph-types.js';
import { NCHW_AXIS, int64, expect, int, ints, constValues, normAxis, elementwise, clip } from './tfjs-graph-op-kit.js';

export const concatV2: OpRule = (n, inputs, ctx) => {
  if (inputs.length < 2) throw opFail(n, 'needs the values and an axis');
  const vals = inputs.slice(0, -1);
  const rank = vals[0]!.rank;
  const axis = normAxis(n, constValues(n, inputs.at(-1), 'axis')[0]!, rank);
  const layout = rank === 4 && vals.every((v) => v.const || v.layout === 'nchw') && vals.some((v) => !v.const) ? 'nchw' : 'nhwc';
  const t = ctx.node(
    'Concat',
    vals.map((v) => ctx.tensor(v, layout)),
    n.name,
    { attributes: [attr.int('axis', layout === 'nchw' ? NCHW_AXIS[axis]! : axis)] },
  );
  const shape = vals.every((v) => v.shape)
    ? vals[0]!.shape!.map((d, i) => (i === axis ? vals.reduce((s, v) => s + v.shape![i]!, 0) : d))
    : undefined;
  return { tensor: t, dtype: vals[0]!.dtype, rank, layout, shape };
};

export const cast: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 1);
  const x = inputs[0]!;
  const to = tfDtype(n, 'DstT');
  return {
    ...x,
    const: undefined,
    lazy: undefined,
    squeezed: undefined,
    expanded: undefined,
    dtype: to,
    tensor: ctx.node('Cast', [ctx.tensor(x)], n.name, { attributes: [attr.int('to', onnxDataType(to))] }),
  };
};

export const identity: OpRule = (n, inputs) => {
  if (inputs.length < 1) throw opFail(n, 'has no input');
  return inputs[0]!;
};

/** TF's floor division: ONNX Div truncates integers, so subtract the (floor) remainder first. */
export const floorDiv: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 2);
  return elementwise(ctx, inputs, ([a, b]) => {
    if (inputs[0]!.dtype === 'float32') return ctx.node('Floor', [ctx.node('Div', [a!, b!], `${n.name}/div`)], n.name);
    const mod = ctx.node('Mod', [a!, b!], `${n.name}/mod`, { attributes: [attr.int('fmod', 0)] });
    return ctx.node('Div', [ctx.node('Sub', [a!, mod], `${n.name}/sub`), b!], n.name);
  });
};

/** TF's FloorMod: the result has the divisor's sign (ONNX Mod fmod=0, integers only; floats by formula). */
export const floorMod: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 2);
  return elementwise(ctx, inputs, ([a, b]) => {
    if (inputs[0]!.dtype !== 'float32') return ctx.node('Mod', [a!, b!], n.name, { attributes: [attr.int('fmod', 0)] });
    const q = ctx.node('Floor', [ctx.node('Div', [a!, b!], `${n.name}/div`)], `${n.name}/floor`);
    return ctx.node('Sub', [a!, ctx.node('Mul', [q, b!], `${n.name}/mul`)], n.name);
  });
};

export const squaredDifference: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 2);
  return elementwise(ctx, inputs, ([a, b]) => {
    const d = ctx.node('Sub', [a!, b!], `${n.name}/sub`);
    return ctx.node('Mul', [d, d], n.name);
  });
};

export const relu6: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 1);
  const x = inputs[0]!;
  return {
    ...x,
    const: undefined,
    lazy: undefined,
    squeezed: undefined,
    expanded: undefined,
    tensor: clip(ctx, ctx.tensor(x), n.name, [0, 6]),
  };
};

export const rsqrt: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 1);
  const x = inputs[0]!;
  return {
    ...x,
    const: undefined,
    lazy: undefined,
    squeezed: undefined,
    expanded: undefined,
    tensor: ctx.node('Reciprocal', [ctx.node('Sqrt', [ctx.tensor(x)], `${n.name}/sqrt`)], n.name),
  };
};

export const unsqueeze = (ctx: GraphCtx, x: string, axis: number, base: string): string =>
  ctx.node('Unsqueeze', [x, ctx.init(`${base}/axes`, [1], int64([axis]))], base);
export const squeeze = (ctx: GraphCtx, x: string, axes: readonly number[], base: string): string =>
  ctx.node('Squeeze', [x, ctx.init(`${base}/axes`, [axes.length], int64(axes))], base);

export const expandDims: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 2);
  const x = inputs[0]!;
  const axis = normAxis(n, constValues(n, inputs[1], 'dim')[0]!, x.rank + 1);
  // Squeeze then ExpandDims on the same axis (MoveNet's input: unstack, expand, squeeze, stack) is
  // the identity: skipping it keeps a batch axis that the pair would pin to 1.
  if (x.squeezed && x.squeezed.axis === axis) return { ...x.squeezed.from, expanded: { from: x, axis } };
  const shape = x.shape ? [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)] : undefined;
  return {
    tensor: '',
    lazy: () => unsqueeze(ctx, ctx.tensor(x, 'nhwc'), axis, n.name),
    dtype: x.dtype,
    rank: x.rank + 1,
    layout: 'nhwc',
    shape,
    expanded: { from: x, axis },
  };
};

export const squeezeOp: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 1);
  const x = inputs[0]!;
  let axes = ints(n, 'squeeze_dims', []).map((a) => normAxis(n, a, x.rank));
  if (axes.length === 0) {
    if (!x.shape) throw opFail(n, 'squeezing every size-1 axis needs a known shape');
    axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  }
  if (axes.length === 1 && x.expanded && x.expanded.axis === axes[0]) return { ...x.expanded.from, squeezed: { from: x, axis: axes[0]! } };
  const shape = x.shape?.filter((_, i) => !axes.includes(i));
  const v: Val = {
    tensor: '',
    lazy: () => squeeze(ctx, ctx.tensor(x, 'nhwc'), axes, n.name),
    dtype: x.dtype,
    rank: x.rank - axes.length,
    layout: 'nhwc',
    shape,
  };
  if (axes.length === 1) v.squeezed = { from: x, axis: axes[0]! };
  return v;
};

export const unpack: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 1);
  const x = inputs[0]!;
  const axis = normAxis(n, int(n, 'axis', 0), x.rank);
  const num = int(n, 'num', 0);
  if (num < 1) throw opFail(n, 'num must be given');
  const shape = x.shape?.filter((_, i) => i !== axis);
  if (num === 1) {
    return [
      {
        tensor: '',
        lazy: () => squeeze(ctx, ctx.tensor(x, 'nhwc'), [axis], n.name),
        dtype: x.dtype,
        rank: x.rank - 1,
        layout: 'nhwc',
        shape,
        squeezed: { from: x, axis },
      },
    ];
  }
  const xt = ctx.tensor(x, 'nhwc');
  const parts = Array.from({ length: num }, (_, k) => ctx.fresh(`${n.name}/part${k}`));
  ctx.graph.addNode('Split', [xt, ctx.init(`${n.name}/split`, [num], int64(Array(num).fill(1)))], parts, {
    name: `${n.name}/split`,
    attributes: [attr.int('axis', axis)],
  });
  return parts.map((p, k) => ({
    tensor: squeeze(ctx, p, [axis], k === 0 ? n.name : `${n.name}:${k}`),
    dtype: x.dtype,
    rank: x.rank - 1,
    layout: 'nhwc',
    shape,
  }));
};

export const pack: OpRule = (n, inputs, ctx) => {
  if (inputs.length < 1) throw opFail(n, 'has no input');
  const rank = inputs[0]!.rank + 1;
  const axis = normAxis(n, int(n, 'axis', 0), rank);
  if (inputs.length === 1 && inputs[0]!.squeezed?.axis === axis) return inputs[0]!.squeezed.from;
  const parts = inputs.map((v, k) => unsqueeze(ctx, ctx.tensor(v, 'nhwc'), axis, `${n.name}/in${k}`));
  const t =
    parts.length === 1 ? ctx.node('Identity', parts, n.name) : ctx.node('Concat', parts, n.name, { attributes: [attr.int('axis', axis)] });
  const s0 = inputs[0]!.shape;
  const shape = s0 ? [...s0.slice(0, axis), inputs.length, ...s0.slice(axis)] : undefined;
  return { tensor: t, dtype: inputs[0]!.dtype, rank, layout: 'nhwc', shape };
};

export const reshape: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 2);
  const x = inputs[0]!;
  const target = constValues(n, inputs[1], 'shape');
  let shape: number[] | undefined;
  if (x.shape) {
    const total = x.shape.reduce((a, b) => a * b, 1);
    const known = target.reduce((a, b) => (b === -1 ? a : a * b), 1);
    shape = target.map((d) => (d === -1 ? total / known : d));
  }
  const t = ctx.node('Reshape', [ctx.tensor(x, 'nhwc'), ctx.init(`${n.name}/shape`, [target.length], int64(target))], n.name);
  return { tensor: t, dtype: x.dtype, rank: target.length, layout: 'nhwc', shape };
};

export const argMax: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 2);
  const x = inputs[0]!;
  const axis = normAxis(n, constValues(n, inputs[1], 'dimension')[0]!, x.rank);
  const to = tfDtype(n, 'output_type', 'int64');
  // TF breaks ties towards the first index, as ONNX does by default (select_last_index=0).
  let t = ctx.node('ArgMax', [ctx.tensor(x, 'nhwc')], to === 'int64' ? n.name : `${n.name}/i64`, {
    attributes: [attr.int('axis', axis), attr.int('keepdims', 0)],
  });
  if (to !== 'int64') t = ctx.node('Cast', [t], n.name, { attributes: [attr.int('to', onnxDataType(to))] });
  return { tensor: t, dtype: to, rank: x.rank - 1, layout: 'nhwc', shape: x.shape?.filter((_, i) => i !== axis) };
};

export const toInt64 = (ctx: GraphCtx, v: Val, base: string): string =>
  v.dtype === 'int64'
    ? ctx.tensor(v, 'nhwc')
    : ctx.node('Cast', [ctx.tensor(v, 'nhwc')], base, { attributes: [attr.int('to', onnxDataType('int64'))] });

export const gatherNd: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 2);
  const [p, i] = inputs as [Val, Val];
  const t = ctx.node('GatherND', [ctx.tensor(p, 'nhwc'), toInt64(ctx, i, `${n.name}/indices`)], n.name);
  const depth = i.shape?.at(-1);
  const shape = p.shape && i.shape && depth !== undefined ? [...i.shape.slice(0, -1), ...p.shape.slice(depth)] : undefined;
  return { tensor: t, dtype: p.dtype, rank: i.rank - 1 + p.rank - (depth ?? 0), layout: 'nhwc', shape };
};

export const gatherV2: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 3);
  const [p, i] = inputs as [Val, Val];
  if (int(n, 'batch_dims', 0) !== 0) throw opFail(n, 'batch_dims is not supported');
  const axis = normAxis(n, constValues(n, inputs[2], 'axis')[0]!, p.rank);
  const t = ctx.node('Gather', [ctx.tensor(p, 'nhwc'), toInt64(ctx, i, `${n.name}/indices`)], n.name, {
    attributes: [attr.int('axis', axis)],
  });
  const shape = p.shape && i.shape ? [...p.shape.slice(0, axis), ...i.shape, ...p.shape.slice(axis + 1)] : undefined;
  return { tensor: t, dtype: p.dtype, rank: p.rank - 1 + i.rank, layout: 'nhwc', shape };
};

/** StridedSlice without ellipsis or new axes: ONNX Slice plus a Squeeze for shrunk axes. */
export const stridedSlice: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 4);
  const x = inputs[0]!;
  const begin = constValues(n, inputs[1], 'begin');
  const end = constValues(n, inputs[2], 'end');
  const strides = constValues(n, inputs[3], 'strides');
  if (int(n, 'ellipsis_mask', 0) || int(n, 'new_axis_mask', 0)) throw opFail(n, 'ellipsis_mask and new_axis_mask are not supported');
  const bm = int(n, 'begin_mask', 0);
  const em = int(n, 'end_mask', 0);
  const sm = int(n, 'shrink_axis_mask', 0);
  const BIG = 2 ** 31 - 1;
  const starts: number[] = [];
  const ends: number[] = [];
  const shrink: number[] = [];
  const shape = x.shape ? [...x.shape] : undefined;
  for (let a = 0; a < begin.length; a++) {
    const s = strides[a]!;
    let b = bm & (1 << a) ? (s > 0 ? 0 : BIG) : begin[a]!;
    let e = em & (1 << a) ? (s > 0 ? BIG : -BIG) : end[a]!;
    if (sm & (1 << a)) {
      e = b === -1 ? BIG : b + 1;
      shrink.push(a);
    }
    starts.push(b);
    ends.push(e);
    if (shape) {
      const d = shape[a]!;
      const clampB = b < 0 ? Math.max(b + d, 0) : Math.min(b, d);
      const clampE = e < 0 ? Math.max(e + d, 0) : Math.min(e, d);
      shape[a] = s > 0 ? Math.max(0, Math.ceil((clampE - clampB) / s)) : Math.max(0, Math.ceil((clampB - clampE) / -s));
      b = clampB;
    }
  }
  const axes = begin.map((_, a) => a);
  let t = ctx.node(
    'Slice',
    [
      ctx.tensor(x, 'nhwc'),
      ctx.init(`${n.name}/starts`, [axes.length], int64(starts)),
      ctx.init(`${n.name}/ends`, [axes.length], int64(ends)),
      ctx.init(`${n.name}/axes`, [axes.length], int64(axes)),
      ctx.init(`${n.name}/steps`, [axes.length], int64(strides)),
    ],
    shrink.length ? `${n.name}/slice` : n.name,
  );
  if (shrink.length) t = squeeze(ctx, t, shrink, n.name);
  return { tensor: t, dtype: x.dtype, rank: x.rank - shrink.length, layout: 'nhwc', shape: shape?.filter((_, i) => !shrink.includes(i)) };
};

export const biasAdd: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 2);
  return elementwise(ctx, inputs, (ts) => ctx.node('Add', ts, n.name));
};
