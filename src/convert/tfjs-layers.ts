/**
 * @module TF.js layers model → ONNX bytes, for the few layer classes super-resolution models use.
 * Why our own converter: the embedded ESRGAN packages ship only TF.js weights, and tf2onnx would
 * pull Python into the image. The graph is rewritten to NCHW (ORT's native layout, so no
 * Transpose nodes) and wraps the model in the pipeline's fixed interface: `input` float32
 * [N,3,H,W] in 0..1 → `output` float32 [N,3,H·s,W·s] nominally 0..1, unclipped; a 0..255 model
 * gets its range baked in (×255 before, ÷255 after). Anything not understood fails with
 * MODEL_LOAD_FAILED naming the layer: a silently wrong conversion would upscale into noise.
 */
import { z } from 'zod';
import { WorkerError } from '../errors.js';
import { attr, createOnnxGraph, type OnnxGraph } from './onnx-graph.js';
import type { TfjsInbound, TfjsLayer, TfjsLayersModel, TfjsWeight } from './tfjs-package.js';

/** Bump whenever the emitted graph changes: it is part of every cache key. */
export const CONVERTER_VERSION = 'tfjs-layers-onnx/1';

export interface ConvertOptions {
  /** The range the TF.js model expects and returns: 1 (0..1) or 255 (0..255). */
  inputRange: 1 | 255;
  /** Graph name inside the ONNX file. */
  name: string;
}

/** A spatial size relative to the input's: `size = inputSize · scale + offset`. */
interface Extent {
  scale: number;
  offset: number;
}

/** A converted layer's output: its ONNX tensor, channel count and spatial extent. */
interface Value {
  tensor: string;
  channels: number;
  h: Extent;
  w: Extent;
}

/** What the converter learns about a model while walking it. */
export interface TfjsModelFacts {
  inputChannels: number;
  outputChannels: number;
  /** Output height = input height · scaleH (+ offsetH, non-zero only after "valid" convolutions). */
  scaleH: number;
  scaleW: number;
  offsetH: number;
  offsetW: number;
}

interface Ctx {
  graph: OnnxGraph;
  weights: ReadonlyMap<string, TfjsWeight>;
}

type Rule = (l: TfjsLayer, inputs: readonly Value[], ctx: Ctx) => Value;

function fail(l: { name: string; className: string }, why: string): WorkerError {
  return new WorkerError('MODEL_LOAD_FAILED', `layer "${l.name}" (${l.className}): ${why}`, {
    details: { layer: l.name, className: l.className },
  });
}

function parseConfig<T extends z.ZodType>(l: TfjsLayer, schema: T): z.infer<T> {
  const r = schema.safeParse(l.config);
  if (!r.success) throw fail(l, `unsupported config: ${z.prettifyError(r.error)}`);
  return r.data;
}

const pair = z
  .union([z.number().int().positive(), z.tuple([z.number().int().positive(), z.number().int().positive()])])
  .transform((v) => (typeof v === 'number' ? ([v, v] as const) : v));
const channelsLast = z.literal('channels_last').optional();
const out = (l: TfjsLayer): string => `${l.name}:0`;
const sameExtent = (a: Extent, b: Extent): boolean => a.scale === b.scale && a.offset === b.offset;

function weight(l: TfjsLayer, ctx: Ctx, suffix: string, shape: readonly number[]): TfjsWeight {
  const w = ctx.weights.get(`${l.name}/${suffix}`);
  if (!w) throw fail(l, `weight ${l.name}/${suffix} is missing`);
  if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
    throw fail(l, `weight ${l.name}/${suffix} has shape [${w.shape.join(',')}], expected [${shape.join(',')}]`);
  }
  return w;
}

function expectInputs(l: TfjsLayer, inputs: readonly Value[], min: number, max = min): void {
  if (inputs.length < min || inputs.length > max)
    throw fail(l, `takes ${min === max ? min : `${min}..${max}`} input(s), got ${inputs.length}`);
}

function expectSameSize(l: TfjsLayer, inputs: readonly Value[], sameChannels: boolean): void {
  const [first, ...rest] = inputs;
  for (const v of rest) {
    if (!sameExtent(v.h, first!.h) || !sameExtent(v.w, first!.w) || (sameChannels && v.channels !== first!.channels)) {
      throw fail(l, `inputs differ in shape (${first!.tensor} vs ${v.tensor})`);
    }
  }
}

const Conv2DConfig = z.object({
  filters: z.number().int().positive(),
  kernel_size: pair,
  strides: pair.optional(),
  padding: z.enum(['same', 'valid']),
  data_format: channelsLast,
  dilation_rate: pair.optional(),
  groups: z.literal(1).optional(),
  activation: z.enum(['linear', 'relu']).optional(),
  use_bias: z.boolean().optional(),
});

/** Keras Conv2D (NHWC, kernel [kh,kw,cin,cout]) → ONNX Conv (NCHW, kernel [cout,cin,kh,kw]). */
const conv2d: Rule = (l, inputs, ctx) => {
  expectInputs(l, inputs, 1);
  const x = inputs[0]!;
  const c = parseConfig(l, Conv2DConfig);
  const [kh, kw] = c.kernel_size;
  const strides = c.strides ?? [1, 1];
  const dilation = c.dilation_rate ?? [1, 1];
  if (strides.some((s) => s !== 1)) throw fail(l, `strides [${strides.join(',')}] are not supported (only 1)`);
  if (dilation.some((d) => d !== 1)) throw fail(l, `dilation_rate [${dilation.join(',')}] is not supported (only 1)`);
  const cin = x.channels;
  const cout = c.filters;
  const k = weight(l, ctx, 'kernel', [kh, kw, cin, cout]).data;
  const kernel = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let xx = 0; xx < kw; xx++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) kernel[((o * cin + i) * kh + y) * kw + xx] = k[((y * kw + xx) * cin + i) * cout + o]!;
  const inputsOnnx = [x.tensor, ctx.graph.addInitializer(`${l.name}/kernel`, [cout, cin, kh, kw], kernel)];
  if (c.use_bias ?? true) inputsOnnx.push(ctx.graph.addInitializer(`${l.name}/bias`, [cout], weight(l, ctx, 'bias', [cout]).data));
  // Keras "same" with stride 1 pads k-1 in total, the extra one (even k) at the end, as TF does.
  const [th, tw] = c.padding === 'same' ? [kh - 1, kw - 1] : [0, 0];
  const pads = [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
  const relu = c.activation === 'relu';
  const convOut = relu ? `${l.name}:conv` : out(l);
  ctx.graph.addNode('Conv', inputsOnnx, [convOut], {
    name: l.name,
    attributes: [
      attr.ints('kernel_shape', [kh, kw]),
      attr.ints('pads', pads),
      attr.ints('strides', [1, 1]),
      attr.ints('dilations', [1, 1]),
    ],
  });
  if (relu) ctx.graph.addNode('Relu', [convOut], [out(l)], { name: `${l.name}/relu` });
  return {
    tensor: out(l),
    channels: cout,
    h: { scale: x.h.scale, offset: x.h.offset - (kh - 1 - th) },
    w: { scale: x.w.scale, offset: x.w.offset - (kw - 1 - tw) },
  };
};

const activation: Rule = (l, inputs, ctx) => {
  expectInputs(l, inputs, 1);
  const c = parseConfig(l, z.object({ activation: z.enum(['linear', 'relu']) }));
  const x = inputs[0]!;
  if (c.activation === 'linear') return x;
  ctx.graph.addNode('Relu', [x.tensor], [out(l)], { name: l.name });
  return { ...x, tensor: out(l) };
};

const concatenate: Rule = (l, inputs, ctx) => {
  expectInputs(l, inputs, 2, Number.POSITIVE_INFINITY);
  const c = parseConfig(l, z.object({ axis: z.number().int().optional() }));
  const axis = c.axis ?? -1;
  if (axis !== 3 && axis !== -1) throw fail(l, `axis ${axis} is not supported (only the channel axis, 3 or -1)`);
  expectSameSize(l, inputs, false);
  ctx.graph.addNode(
    'Concat',
    inputs.map((v) => v.tensor),
    [out(l)],
    { name: l.name, attributes: [attr.int('axis', 1)] },
  );
  return { ...inputs[0]!, tensor: out(l), channels: inputs.reduce((n, v) => n + v.channels, 0) };
};

const add: Rule = (l, inputs, ctx) => {
  expectInputs(l, inputs, 2, Number.POSITIVE_INFINITY);
  expectSameSize(l, inputs, true);
  ctx.graph.addNode(
    inputs.length === 2 ? 'Add' : 'Sum',
    inputs.map((v) => v.tensor),
    [out(l)],
    { name: l.name },
  );
  return { ...inputs[0]!, tensor: out(l) };
};

const upSampling2d: Rule = (l, inputs, ctx) => {
  expectInputs(l, inputs, 1);
  const c = parseConfig(l, z.object({ size: pair.optional(), data_format: channelsLast, interpolation: z.literal('nearest').optional() }));
  const [sh, sw] = c.size ?? [2, 2];
  const x = inputs[0]!;
  const scales = ctx.graph.addInitializer(`${l.name}/scales`, [4], Float32Array.of(1, 1, sh, sw));
  // asymmetric + floor maps output pixel i to input pixel floor(i/s): an exact repeat, as Keras does.
  ctx.graph.addNode('Resize', [x.tensor, '', scales], [out(l)], {
    name: l.name,
    attributes: [
      attr.string('mode', 'nearest'),
      attr.string('coordinate_transformation_mode', 'asymmetric'),
      attr.string('nearest_mode', 'floor'),
    ],
  });
  return {
    tensor: out(l),
    channels: x.channels,
    h: { scale: x.h.scale * sh, offset: x.h.offset * sh },
    w: { scale: x.w.scale * sw, offset: x.w.offset * sw },
  };
};

/** upscalerjs' custom layer (esrgan-thick): x · beta, beta 0.2 in the package's code. */
const multiplyBeta: Rule = (l, inputs, ctx) => {
  expectInputs(l, inputs, 1);
  const c = parseConfig(l, z.object({ beta: z.number().optional() }));
  const beta = ctx.graph.addInitializer(`${l.name}/beta`, [], Float32Array.of(c.beta ?? 0.2));
  ctx.graph.addNode('Mul', [inputs[0]!.tensor, beta], [out(l)], { name: l.name });
  return { ...inputs[0]!, tensor: out(l) };
};

/** upscalerjs' custom PixelShuffle<s>x: tf.depthToSpace(x, s, 'NHWC'), which is ONNX DCR order. */
const pixelShuffle: Rule = (l, inputs, ctx) => {
  expectInputs(l, inputs, 1);
  const named = Number(/^PixelShuffle(\d+)x$/.exec(l.className)?.[1]);
  const c = parseConfig(l, z.object({ scale: z.number().int().positive().optional() }));
  if (c.scale !== undefined && c.scale !== named) throw fail(l, `config scale ${c.scale} contradicts the class name`);
  const x = inputs[0]!;
  if (named < 1 || x.channels % (named * named) !== 0) throw fail(l, `${x.channels} channels do not divide into ${named}×${named} blocks`);
  ctx.graph.addNode('DepthToSpace', [x.tensor], [out(l)], {
    name: l.name,
    attributes: [attr.int('blocksize', named), attr.string('mode', 'DCR')],
  });
  return {
    tensor: out(l),
    channels: x.channels / (named * named),
    h: { scale: x.h.scale * named, offset: x.h.offset * named },
    w: { scale: x.w.scale * named, offset: x.w.offset * named },
  };
};

const RULES: Readonly<Record<string, Rule>> = {
  Conv2D: conv2d,
  Activation: activation,
  Concatenate: concatenate,
  Add: add,
  UpSampling2D: upSampling2d,
  MultiplyBeta: multiplyBeta,
};

function ruleFor(l: TfjsLayer): Rule {
  const rule = RULES[l.className] ?? (/^PixelShuffle\d+x$/.test(l.className) ? pixelShuffle : undefined);
  if (!rule) {
    throw fail(
      l,
      `layer class ${l.className} is not supported by the TF.js → ONNX converter ` +
        `(supported: InputLayer, ${Object.keys(RULES).join(', ')}, PixelShuffle<n>x)`,
    );
  }
  return rule;
}

const InputLayerConfig = z.object({
  batch_input_shape: z.tuple([z.number().nullable(), z.number().nullable(), z.number().nullable(), z.number().int().positive()]),
  dtype: z.literal('float32').optional(),
});

/** Walks the graph from its output, emitting each layer once; returns the facts and the output value. */
function walk(model: TfjsLayersModel, graph: OnnxGraph, inputTensor: string): { facts: TfjsModelFacts; output: Value } {
  const whole = { name: model.name, className: model.className };
  if (model.className !== 'Functional' && model.className !== 'Model')
    throw fail(whole, `model class ${model.className} is not supported (only Functional)`);
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw fail(whole, `the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; only 1 and 1 are supported`);
  }
  const byName = new Map<string, TfjsLayer>();
  for (const l of model.layers) {
    if (byName.has(l.name)) throw fail(l, 'the layer name is used twice');
    byName.set(l.name, l);
  }
  const inputLayer = byName.get(model.inputs[0]!.layer);
  if (inputLayer?.className !== 'InputLayer') throw fail(whole, `input ${model.inputs[0]!.layer} is not an InputLayer`);
  const inputChannels = parseConfig(inputLayer, InputLayerConfig).batch_input_shape[3];
  const ctx: Ctx = { graph, weights: model.weights };
  const done = new Map<string, Value>([
    [inputLayer.name, { tensor: inputTensor, channels: inputChannels, h: { scale: 1, offset: 0 }, w: { scale: 1, offset: 0 } }],
  ]);
  const active = new Set<string>();

  const reference = (from: { name: string; className: string }, ref: TfjsInbound): TfjsLayer => {
    const l = byName.get(ref.layer);
    if (!l) throw fail(from, `input ${ref.layer} is not a layer of this model`);
    const noKwargs = typeof ref.kwargs === 'object' && ref.kwargs !== null && Object.keys(ref.kwargs).length === 0;
    if (ref.nodeIndex !== 0 || ref.tensorIndex !== 0 || !noKwargs) {
      throw fail(
        from,
        `input ${ref.layer}[${ref.nodeIndex}][${ref.tensorIndex}] with call arguments is not supported ` +
          '(shared layers, multi-output layers, kwargs)',
      );
    }
    return l;
  };
  const visit = (l: TfjsLayer): Value => {
    const seen = done.get(l.name);
    if (seen) return seen;
    if (l.className === 'InputLayer') throw fail(l, 'a second InputLayer is not supported');
    if (active.has(l.name)) throw fail(l, 'the graph has a cycle');
    const rule = ruleFor(l);
    if (l.inboundNodes.length !== 1) throw fail(l, `called ${l.inboundNodes.length} times; shared layers are not supported`);
    active.add(l.name);
    const inputs = l.inboundNodes[0]!.map((ref) => visit(reference(l, ref)));
    active.delete(l.name);
    const v = rule(l, inputs, ctx);
    done.set(l.name, v);
    return v;
  };
  const outputLayer = reference(whole, model.outputs[0]!);
  const output = visit(outputLayer);
  return {
    output,
    facts: {
      inputChannels,
      outputChannels: output.channels,
      scaleH: output.h.scale,
      scaleW: output.w.scale,
      offsetH: output.h.offset,
      offsetW: output.w.offset,
    },
  };
}

const dimName = (base: string, e: Extent): string =>
  (e.scale === 1 ? base : `${base}*${e.scale}`) + (e.offset === 0 ? '' : e.offset > 0 ? `+${e.offset}` : `${e.offset}`);

/** Converts; the result has the pipeline's interface (`input`/`output`, NCHW, 0..1). */
export function tfjsLayersToOnnx(model: TfjsLayersModel, opts: ConvertOptions): Uint8Array {
  return convertTfjsLayers(model, opts).bytes;
}

/** {@link tfjsLayersToOnnx}, plus what the walk learnt (channels, scale) to check against. */
export function convertTfjsLayers(model: TfjsLayersModel, opts: ConvertOptions): { bytes: Uint8Array; facts: TfjsModelFacts } {
  const graph = createOnnxGraph(opts.name);
  const inner = opts.inputRange === 255 ? 'input:x255' : 'input';
  const { facts, output } = walk(model, graph, inner);
  graph.addInput('input', ['N', facts.inputChannels, 'H', 'W']);
  if (opts.inputRange === 255) {
    const k = graph.addInitializer('range:255', [], Float32Array.of(255));
    graph.addNode('Mul', ['input', k], [inner], { name: 'range_in' });
    graph.addNode('Div', [output.tensor, k], ['output'], { name: 'range_out' });
  } else {
    graph.addNode('Identity', [output.tensor], ['output'], { name: 'range_out' });
  }
  graph.addOutput('output', ['N', facts.outputChannels, dimName('H', output.h), dimName('W', output.w)]);
  const bytes = graph.encode({
    producerName: 'foley-worker tfjs-layers converter',
    producerVersion: CONVERTER_VERSION,
    docString:
      `Converted from the TF.js layers model "${model.name}"; ` + `input/output NCHW float32 in 0..1 (source range 0..${opts.inputRange}).`,
    metadata: { converter: CONVERTER_VERSION, source_format: 'tfjs-layers-model', source_range: String(opts.inputRange) },
  });
  return { bytes, facts };
}

/** Channels and spatial scale of a model, checking every layer as the converter would. */
export function inspectTfjsLayersModel(model: TfjsLayersModel): TfjsModelFacts {
  return walk(model, createOnnxGraph(model.name), 'input').facts;
}

/** The upscaling factor (UpSampling2D sizes × PixelShuffle scales); MODEL_LOAD_FAILED if not uniform. */
export function modelScale(model: TfjsLayersModel): number {
  const f = inspectTfjsLayersModel(model);
  if (f.scaleH !== f.scaleW || f.offsetH !== 0 || f.offsetW !== 0) {
    const h = dimName('H', { scale: f.scaleH, offset: f.offsetH });
    const w = dimName('W', { scale: f.scaleW, offset: f.offsetW });
    throw new WorkerError('MODEL_LOAD_FAILED', `model "${model.name}" is not a uniform upscaler: output ${h} × ${w}`, {
      details: { model: model.name, ...f },
    });
  }
  return f.scaleH;
}
