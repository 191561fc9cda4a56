/**
 * @module The TF op rules over space: convolutions (fused activations, TF's SAME padding), pooling,
 * resizing (TF's corner flags → ONNX coordinate modes), and reductions over constant axes.
 */
import { attr } from './onnx-graph.js';
import { opFail, type GraphCtx, type OpRule, type Val } from './tfjs-graph-types.js';
import type { TfNode } from './tfjs-graph-package.js';
import { NCHW_AXIS, int64, expect, attrOf, str, bool, ints, constValues, normAxis, clip } from './tfjs-graph-op-kit.js';

/** The activation a fused conv ends with. */
export function activation(ctx: GraphCtx, n: TfNode, x: string, op: string | undefined): string {
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
export function padAttrs(n: TfNode, padding: string): ReturnType<typeof attr.ints>[] {
  if (padding === 'SAME') return [attr.string('auto_pad', 'SAME_UPPER')];
  if (padding === 'VALID') return [attr.ints('pads', [0, 0, 0, 0])];
  if (padding === 'EXPLICIT') {
    const p = ints(n, 'explicit_paddings', []);
    if (p.length !== 8 || p[0] || p[1] || p[6] || p[7]) throw opFail(n, `explicit_paddings [${p.join(',')}] must pad only H and W`);
    return [attr.ints('pads', [p[2]!, p[4]!, p[3]!, p[5]!])];
  }
  throw opFail(n, `padding ${padding} is not supported`);
}

export function outSize(size: number, w: Window, axis: 0 | 1, n: TfNode): number {
  const k = (w.kernel[axis] - 1) * w.dilations[axis] + 1;
  const s = w.strides[axis];
  if (w.padding === 'SAME') return Math.ceil(size / s);
  if (w.padding === 'VALID') return Math.ceil((size - k + 1) / s);
  const p = ints(n, 'explicit_paddings', []);
  return Math.floor((size + p[2 + 2 * axis]! + p[3 + 2 * axis]! - k) / s) + 1;
}

export function window(n: TfNode, kernel: [number, number], stridesKey = 'strides'): Window {
  if (str(n, 'data_format', 'NHWC') !== 'NHWC') throw opFail(n, `data_format ${str(n, 'data_format', '')} is not supported (only NHWC)`);
  const s = ints(n, stridesKey, [1, 1, 1, 1]);
  const d = ints(n, 'dilations', [1, 1, 1, 1]);
  if (s[0] !== 1 || s[3] !== 1 || d[0] !== 1 || d[3] !== 1) throw opFail(n, 'strides or dilations over batch/channels are not supported');
  return { kernel, strides: [s[1]!, s[2]!], dilations: [d[1]!, d[2]!], padding: str(n, 'padding', 'VALID') };
}

export function spatialShape(x: Val, w: Window, n: TfNode, channels: number): number[] | undefined {
  if (!x.shape) return undefined;
  return [x.shape[0]!, outSize(x.shape[1]!, w, 0, n), outSize(x.shape[2]!, w, 1, n), channels];
}

/** Conv2D, _FusedConv2D, DepthwiseConv2dNative, FusedDepthwiseConv2dNative. */
export function conv(depthwise: boolean, fused: boolean): OpRule {
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

export function pool(onnxOp: 'MaxPool' | 'AveragePool'): OpRule {
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
export function reduce(onnxOp: string): OpRule {
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

/** ResizeBilinear / ResizeNearestNeighbor: TF's two flags → ONNX's coordinate_transformation_mode. */
export function resize(mode: 'linear' | 'nearest'): OpRule {
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
