/**
 * @module One rule per TensorFlow op: how a TF node becomes ONNX nodes (tfjs-graph.ts walks the
 * graph). Rules read TF's "tensor attributes" (axes, sizes, shapes) from Const inputs, keep 4-D
 * activations NCHW where the op allows, and work out TF shapes where cheap (the resize rule needs
 * them to turn fixed sizes into scale factors). Semantics follow TensorFlow, not ONNX, where the
 * two differ: floor division and modulo, SAME padding, resize coordinate modes.
 */
import { attr, onnxDataType, type OnnxElemType } from './onnx-graph.js';
import { opFail, tfDtype, type GraphCtx, type OpRule, type Val } from './tfjs-graph-types.js';
import type { TfAttr, TfNode } from './tfjs-graph-package.js';

/** NHWC axis → NCHW axis. */
const NCHW_AXIS = [0, 2, 3, 1];

const int64 = (values: readonly number[]): BigInt64Array => BigInt64Array.from(values.map((v) => BigInt(v)));

function expect(n: TfNode, inputs: readonly Val[], count: number): void {
  if (inputs.length !== count) throw opFail(n, `takes ${count} input(s), got ${inputs.length}`);
}

function attrOf<K extends TfAttr['kind']>(n: TfNode, key: string, kind: K): Extract<TfAttr, { kind: K }> | undefined {
  const a = n.attr[key];
  if (a === undefined || a.kind === 'other') return undefined;
  if (a.kind !== kind) throw opFail(n, `attribute ${key} is a ${a.kind}, expected ${kind}`);
  return a as Extract<TfAttr, { kind: K }>;
}
const str = (n: TfNode, key: string, fallback: string): string => attrOf(n, key, 's')?.s ?? fallback;
const int = (n: TfNode, key: string, fallback: number): number => attrOf(n, key, 'i')?.i ?? fallback;
const bool = (n: TfNode, key: string, fallback: boolean): boolean => attrOf(n, key, 'b')?.b ?? fallback;
const ints = (n: TfNode, key: string, fallback: readonly number[]): readonly number[] => {
  const l = attrOf(n, key, 'list');
  return l && l.i.length > 0 ? l.i : fallback;
};

/** A Const input's values as numbers. */
function constValues(n: TfNode, v: Val | undefined, what: string): number[] {
  if (!v?.const) throw opFail(n, `${what} must be a constant`);
  return Array.from(v.const.data, Number);
}

const normAxis = (n: TfNode, axis: number, rank: number): number => {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw opFail(n, `axis ${axis} is out of range for rank ${rank}`);
  return a;
};

function broadcastShape(a: Val, b: Val): number[] | undefined {
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
function meetLayout(vals: readonly Val[]): 'nhwc' | 'nchw' {
  const live = vals.filter((v) => !v.const);
  if (!live.some((v) => v.layout === 'nchw')) return 'nhwc';
  // A non-constant operand below rank 4 broadcasts against NHWC's trailing axes: meet in NHWC.
  if (live.some((v) => v.rank !== 4)) return 'nhwc';
  if (vals.some((v) => v.const && v.rank > 4)) return 'nhwc';
  return 'nchw';
}

function elementwise(
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

function binary(onnxOp: string): OpRule {
  return (n, inputs, ctx) => {
    expect(n, inputs, 2);
    return elementwise(ctx, inputs, (ts) => ctx.node(onnxOp, ts, n.name));
  };
}

const boolOut =
  (onnxOp: string): OpRule =>
  (n, inputs, ctx) => {
    expect(n, inputs, 2);
    return elementwise(ctx, inputs, (ts) => ctx.node(onnxOp, ts, n.name), 'bool');
  };

function unary(onnxOp: string, attributes?: ReturnType<typeof attr.float>[]): OpRule {
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

function scalar(ctx: GraphCtx, name: string, dtype: OnnxElemType, value: number): string {
  return ctx.init(name, [], dtype === 'int32' ? Int32Array.of(value) : Float32Array.of(value));
}

function clip(ctx: GraphCtx, x: string, base: string, [lo, hi]: readonly [number, number]): string {
  return ctx.node('Clip', [x, scalar(ctx, `${base}/min`, 'float32', lo), scalar(ctx, `${base}/max`, 'float32', hi)], base);
}

/** The activation a fused conv ends with. */
function activation(ctx: GraphCtx, n: TfNode, x: string, op: string | undefined): string {
  switch (op) {
    case undefined:
      return x;
    case 'Relu':
      return ctx.node('Relu', [x], `${n.name}/relu`);
    case 'Relu6':
      return clip(ctx, x, `${n.name}/relu6`, [0, 6]);
    case 'Sigmoid':
      return ctx.node('Sigmoid', [x], `${n.name}/sigmoid`);
    case 'Elu':
      return ctx.node('Elu', [x], `${n.name}/elu`);
    case 'LeakyRelu': {
      const a = attrOf(n, 'leakyrelu_alpha', 'f')?.f ?? 0.2;
      return ctx.node('LeakyRelu', [x], `${n.name}/leakyrelu`, { attributes: [attr.float('alpha', a)] });
    }
    default:
      throw opFail(n, `fused activation ${op} is not supported`);
  }
}

interface Window {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  padding: string;
}

/** ONNX padding attributes for TF's SAME/VALID/EXPLICIT; SAME_UPPER is TF's SAME (extra pixel at the end). */
function padAttrs(n: TfNode, padding: string): ReturnType<typeof attr.ints>[] {
  if (padding === 'SAME') return [attr.string('auto_pad', 'SAME_UPPER')];
  if (padding === 'VALID') return [attr.ints('pads', [0, 0, 0, 0])];
  if (padding === 'EXPLICIT') {
    const p = ints(n, 'explicit_paddings', []);
    if (p.length !== 8 || p[0] || p[1] || p[6] || p[7]) throw opFail(n, `explicit_paddings [${p.join(',')}] must pad only H and W`);
    return [attr.ints('pads', [p[2]!, p[4]!, p[3]!, p[5]!])];
  }
  throw opFail(n, `padding ${padding} is not supported`);
}

function outSize(size: number, w: Window, axis: 0 | 1, n: TfNode): number {
  const k = (w.kernel[axis] - 1) * w.dilations[axis] + 1;
  const s = w.strides[axis];
  if (w.padding === 'SAME') return Math.ceil(size / s);
  if (w.padding === 'VALID') return Math.ceil((size - k + 1) / s);
  const p = ints(n, 'explicit_paddings', []);
  return Math.floor((size + p[2 + 2 * axis]! + p[3 + 2 * axis]! - k) / s) + 1;
}

function window(n: TfNode, kernel: [number, number], stridesKey = 'strides'): Window {
  if (str(n, 'data_format', 'NHWC') !== 'NHWC') throw opFail(n, `data_format ${str(n, 'data_format', '')} is not supported (only NHWC)`);
  const s = ints(n, stridesKey, [1, 1, 1, 1]);
  const d = ints(n, 'dilations', [1, 1, 1, 1]);
  if (s[0] !== 1 || s[3] !== 1 || d[0] !== 1 || d[3] !== 1) throw opFail(n, 'strides or dilations over batch/channels are not supported');
  return { kernel, strides: [s[1]!, s[2]!], dilations: [d[1]!, d[2]!], padding: str(n, 'padding', 'VALID') };
}

function spatialShape(x: Val, w: Window, n: TfNode, channels: number): number[] | undefined {
  if (!x.shape) return undefined;
  return [x.shape[0]!, outSize(x.shape[1]!, w, 0, n), outSize(x.shape[2]!, w, 1, n), channels];
}

/** Conv2D, _FusedConv2D, DepthwiseConv2dNative, FusedDepthwiseConv2dNative. */
function conv(depthwise: boolean, fused: boolean): OpRule {
  return (n, inputs, ctx) => {
    const x = inputs[0];
    const filter = inputs[1];
    if (x?.rank !== 4) throw opFail(n, 'input must be a 4-D tensor');
    if (filter?.const?.shape.length !== 4 || filter.const.dtype !== 'float32')
      throw opFail(n, 'the filter must be a constant float 4-D tensor');
    const [kh, kw, cin, cm] = filter.const.shape as [number, number, number, number];
    const k = filter.const.data as Float32Array;
    const cout = depthwise ? cin * cm : cm;
    const kernel = new Float32Array(k.length);
    if (depthwise) {
      // TF [kh,kw,cin,mult] → ONNX [cin·mult, 1, kh, kw] with group = cin (output channel c·mult + m, as TF).
      for (let y = 0; y < kh; y++)
        for (let xx = 0; xx < kw; xx++)
          for (let c = 0; c < cin; c++)
            for (let m = 0; m < cm; m++) kernel[((c * cm + m) * kh + y) * kw + xx] = k[((y * kw + xx) * cin + c) * cm + m]!;
    } else {
      // TF [kh,kw,cin,cout] → ONNX [cout,cin,kh,kw].
      for (let y = 0; y < kh; y++)
        for (let xx = 0; xx < kw; xx++)
          for (let i = 0; i < cin; i++)
            for (let o = 0; o < cout; o++) kernel[((o * cin + i) * kh + y) * kw + xx] = k[((y * kw + xx) * cin + i) * cout + o]!;
    }
    const w = window(n, [kh, kw]);
    const onnxInputs = [ctx.tensor(x, 'nchw'), ctx.init(`${n.name}/kernel`, depthwise ? [cout, 1, kh, kw] : [cout, cin, kh, kw], kernel)];
    let act: string | undefined;
    if (fused) {
      const ops = attrOf(n, 'fused_ops', 'list')?.s ?? [];
      if (ops[0] !== 'BiasAdd' || ops.length > 2)
        throw opFail(n, `fused_ops [${ops.join(',')}] are not supported (BiasAdd plus one activation)`);
      const bias = inputs[2];
      if (!bias?.const || bias.const.data.length !== cout) throw opFail(n, `the bias must be a constant of ${cout} values`);
      onnxInputs.push(ctx.init(`${n.name}/bias`, [cout], bias.const.data as Float32Array));
      act = ops[1];
    } else if (inputs.length !== 2) throw opFail(n, `takes 2 inputs, got ${inputs.length}`);
    const convOut = ctx.node('Conv', onnxInputs, act ? `${n.name}/conv` : n.name, {
      attributes: [
        attr.ints('kernel_shape', [kh, kw]),
        attr.ints('strides', w.strides),
        attr.ints('dilations', w.dilations),
        attr.int('group', depthwise ? cin : 1),
        ...padAttrs(n, w.padding),
      ],
    });
    return { tensor: activation(ctx, n, convOut, act), dtype: 'float32', rank: 4, layout: 'nchw', shape: spatialShape(x, w, n, cout) };
  };
}

function pool(onnxOp: 'MaxPool' | 'AveragePool'): OpRule {
  return (n, inputs, ctx) => {
    expect(n, inputs, 1);
    const x = inputs[0]!;
    const k = ints(n, 'ksize', []);
    if (k.length !== 4 || k[0] !== 1 || k[3] !== 1) throw opFail(n, `ksize [${k.join(',')}] is not supported`);
    const w = window(n, [k[1]!, k[2]!]);
    // TF's AvgPool SAME averages over the real pixels only: ONNX's count_include_pad=0 (the default).
    const t = ctx.node(onnxOp, [ctx.tensor(x, 'nchw')], n.name, {
      attributes: [attr.ints('kernel_shape', w.kernel), attr.ints('strides', w.strides), ...padAttrs(n, w.padding)],
    });
    return { tensor: t, dtype: x.dtype, rank: 4, layout: 'nchw', shape: spatialShape(x, w, n, x.shape?.[3] ?? 0) };
  };
}

/** Mean, Sum, Max, Min, Prod over constant axes. */
function reduce(onnxOp: string): OpRule {
  return (n, inputs, ctx) => {
    expect(n, inputs, 2);
    const x = inputs[0]!;
    const axes = [...new Set(constValues(n, inputs[1], 'reduction_indices').map((a) => normAxis(n, a, x.rank)))];
    const keep = bool(n, 'keep_dims', false);
    const layout = x.layout === 'nchw' && keep ? 'nchw' : 'nhwc';
    const onnxAxes = layout === 'nchw' ? axes.map((a) => NCHW_AXIS[a]!) : axes;
    const t = ctx.node(onnxOp, [ctx.tensor(x, layout)], n.name, {
      attributes: [attr.ints('axes', onnxAxes), attr.int('keepdims', keep ? 1 : 0)],
    });
    const shape = x.shape
      ? keep
        ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x.shape.filter((_, i) => !axes.includes(i))
      : undefined;
    return { tensor: t, dtype: x.dtype, rank: keep ? x.rank : x.rank - axes.length, layout, shape };
  };
}

const concatV2: OpRule = (n, inputs, ctx) => {
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

/** ResizeBilinear / ResizeNearestNeighbor: TF's two flags → ONNX's coordinate_transformation_mode. */
function resize(mode: 'linear' | 'nearest'): OpRule {
  return (n, inputs, ctx) => {
    expect(n, inputs, 2);
    const x = inputs[0]!;
    const [h, w] = constValues(n, inputs[1], 'size') as [number, number];
    const alignCorners = bool(n, 'align_corners', false);
    const halfPixel = bool(n, 'half_pixel_centers', false);
    if (alignCorners && halfPixel) throw opFail(n, 'align_corners and half_pixel_centers together are invalid in TensorFlow');
    const coord = alignCorners ? 'align_corners' : halfPixel ? (mode === 'nearest' ? 'tf_half_pixel_for_nn' : 'half_pixel') : 'asymmetric';
    const attributes = [attr.string('mode', mode), attr.string('coordinate_transformation_mode', coord)];
    if (mode === 'nearest') attributes.push(attr.string('nearest_mode', alignCorners ? 'round_prefer_ceil' : 'floor'));
    const xt = ctx.tensor(x, 'nchw');
    let t: string;
    if (ctx.dynamicResize && x.shape) {
      // Scale factors of the declared model (e.g. 16→32): the same resize at any input size.
      const scales = ctx.init(`${n.name}/scales`, [4], Float32Array.of(1, 1, h / x.shape[1]!, w / x.shape[2]!));
      t = ctx.node('Resize', [xt, '', scales], n.name, { attributes });
    } else {
      // ONNX opset 17 sizes cover every axis: N and C from the tensor itself.
      const nc = ctx.node(
        'Slice',
        [ctx.node('Shape', [xt], `${n.name}/shape`), ctx.init(`${n.name}/s0`, [1], int64([0])), ctx.init(`${n.name}/s2`, [1], int64([2]))],
        `${n.name}/nc`,
      );
      const sizes = ctx.node('Concat', [nc, ctx.init(`${n.name}/hw`, [2], int64([h, w]))], `${n.name}/sizes`, {
        attributes: [attr.int('axis', 0)],
      });
      t = ctx.node('Resize', [xt, '', '', sizes], n.name, { attributes });
    }
    return { tensor: t, dtype: 'float32', rank: 4, layout: 'nchw', shape: x.shape ? [x.shape[0]!, h, w, x.shape[3]!] : undefined };
  };
}

const cast: OpRule = (n, inputs, ctx) => {
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

const identity: OpRule = (n, inputs) => {
  if (inputs.length < 1) throw opFail(n, 'has no input');
  return inputs[0]!;
};

/** TF's floor division: ONNX Div truncates integers, so subtract the (floor) remainder first. */
const floorDiv: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 2);
  return elementwise(ctx, inputs, ([a, b]) => {
    if (inputs[0]!.dtype === 'float32') return ctx.node('Floor', [ctx.node('Div', [a!, b!], `${n.name}/div`)], n.name);
    const mod = ctx.node('Mod', [a!, b!], `${n.name}/mod`, { attributes: [attr.int('fmod', 0)] });
    return ctx.node('Div', [ctx.node('Sub', [a!, mod], `${n.name}/sub`), b!], n.name);
  });
};

/** TF's FloorMod: the result has the divisor's sign (ONNX Mod fmod=0, integers only; floats by formula). */
const floorMod: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 2);
  return elementwise(ctx, inputs, ([a, b]) => {
    if (inputs[0]!.dtype !== 'float32') return ctx.node('Mod', [a!, b!], n.name, { attributes: [attr.int('fmod', 0)] });
    const q = ctx.node('Floor', [ctx.node('Div', [a!, b!], `${n.name}/div`)], `${n.name}/floor`);
    return ctx.node('Sub', [a!, ctx.node('Mul', [q, b!], `${n.name}/mul`)], n.name);
  });
};

const squaredDifference: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 2);
  return elementwise(ctx, inputs, ([a, b]) => {
    const d = ctx.node('Sub', [a!, b!], `${n.name}/sub`);
    return ctx.node('Mul', [d, d], n.name);
  });
};

const relu6: OpRule = (n, inputs, ctx) => {
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

const rsqrt: OpRule = (n, inputs, ctx) => {
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

const unsqueeze = (ctx: GraphCtx, x: string, axis: number, base: string): string =>
  ctx.node('Unsqueeze', [x, ctx.init(`${base}/axes`, [1], int64([axis]))], base);
const squeeze = (ctx: GraphCtx, x: string, axes: readonly number[], base: string): string =>
  ctx.node('Squeeze', [x, ctx.init(`${base}/axes`, [axes.length], int64(axes))], base);

const expandDims: OpRule = (n, inputs, ctx) => {
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

const squeezeOp: OpRule = (n, inputs, ctx) => {
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

const unpack: OpRule = (n, inputs, ctx) => {
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

const pack: OpRule = (n, inputs, ctx) => {
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

const reshape: OpRule = (n, inputs, ctx) => {
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

const argMax: OpRule = (n, inputs, ctx) => {
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

const toInt64 = (ctx: GraphCtx, v: Val, base: string): string =>
  v.dtype === 'int64'
    ? ctx.tensor(v, 'nhwc')
    : ctx.node('Cast', [ctx.tensor(v, 'nhwc')], base, { attributes: [attr.int('to', onnxDataType('int64'))] });

const gatherNd: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 2);
  const [p, i] = inputs as [Val, Val];
  const t = ctx.node('GatherND', [ctx.tensor(p, 'nhwc'), toInt64(ctx, i, `${n.name}/indices`)], n.name);
  const depth = i.shape?.at(-1);
  const shape = p.shape && i.shape && depth !== undefined ? [...i.shape.slice(0, -1), ...p.shape.slice(depth)] : undefined;
  return { tensor: t, dtype: p.dtype, rank: i.rank - 1 + p.rank - (depth ?? 0), layout: 'nhwc', shape };
};

const gatherV2: OpRule = (n, inputs, ctx) => {
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
const stridedSlice: OpRule = (n, inputs, ctx) => {
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

const biasAdd: OpRule = (n, inputs, ctx) => {
  expect(n, inputs, 2);
  return elementwise(ctx, inputs, (ts) => ctx.node('Add', ts, n.name));
};

export const OP_RULES: Readonly<Record<string, OpRule>> = {
  Identity: identity,
  Add: binary('Add'),
  AddV2: binary('Add'),
  BiasAdd: biasAdd,
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  RealDiv: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Pow: binary('Pow'),
  SquaredDifference: squaredDifference,
  FloorDiv: floorDiv,
  FloorMod: floorMod,
  Equal: boolOut('Equal'),
  Greater: boolOut('Greater'),
  Less: boolOut('Less'),
  Relu: unary('Relu'),
  Relu6: relu6,
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Sqrt: unary('Sqrt'),
  Rsqrt: rsqrt,
  Neg: unary('Neg'),
  Abs: unary('Abs'),
  Floor: unary('Floor'),
  Elu: unary('Elu'),
  Cast: cast,
  Conv2D: conv(false, false),
  _FusedConv2D: conv(false, true),
  DepthwiseConv2dNative: conv(true, false),
  FusedDepthwiseConv2dNative: conv(true, true),
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AveragePool'),
  Mean: reduce('ReduceMean'),
  Sum: reduce('ReduceSum'),
  Max: reduce('ReduceMax'),
  Min: reduce('ReduceMin'),
  ConcatV2: concatV2,
  ResizeBilinear: resize('linear'),
  ResizeNearestNeighbor: resize('nearest'),
  ExpandDims: expandDims,
  Squeeze: squeezeOp,
  Unpack: unpack,
  Pack: pack,
  Reshape: reshape,
  ArgMax: argMax,
  GatherNd: gatherNd,
  GatherV2: gatherV2,
  StridedSlice: stridedSlice,
};
