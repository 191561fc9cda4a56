/**
 * @module The ONNX pieces a BigVGAN generator is made of, on our graph builder: Conv1d and
 * ConvTranspose1d (weights already folded), the anti-aliased Snake/SnakeBeta activation
 * (`Activation1d`: replicate pad → ×2 transposed low-pass → snake → replicate pad → strided
 * low-pass), and the final tanh or clamp. Tensors are `[B, C, T]` float32 with B and T dynamic.
 */
import { attr, type OnnxGraph } from '../onnx-graph.js';
import { ALIAS_FREE, resampleFilter, resampleGeometry } from './filter.js';
import type { Tensor32 } from './weights.js';

export interface GraphContext {
  graph: OnnxGraph;
  /** Per channel count: the two depthwise filters, shared by every activation of that width. */
  filters: Map<number, { up: string; down: string }>;
  /** Shared small constants by name. */
  constants: Set<string>;
  counter: number;
}

export function graphContext(graph: OnnxGraph): GraphContext {
  return { graph, filters: new Map(), constants: new Set(), counter: 0 };
}

function fresh(ctx: GraphContext, what: string): string {
  ctx.counter += 1;
  return `${what}_${ctx.counter}`;
}

function int64s(ctx: GraphContext, name: string, values: readonly number[]): string {
  if (!ctx.constants.has(name)) {
    ctx.graph.addInitializer(
      name,
      [values.length],
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
    ctx.constants.add(name);
  }
  return name;
}

export function scalar(ctx: GraphContext, name: string, value: number): string {
  if (!ctx.constants.has(name)) {
    ctx.graph.addInitializer(name, [], Float32Array.of(value));
    ctx.constants.add(name);
  }
  return name;
}

export interface ConvSpec {
  /** Initializer names are `<name>.weight` / `<name>.bias` (the state dict's module, so a graph reads like the checkpoint). */
  name: string;
  weight: Tensor32;
  bias?: Tensor32 | undefined;
  dilation?: number;
  padding: number;
}

/** torch Conv1d (stride 1): weight `[out, in, k]`, symmetric zero padding. */
export function conv1d(ctx: GraphContext, x: string, spec: ConvSpec): string {
  const { graph } = ctx;
  const inputs = [x, graph.addInitializer(`${spec.name}.weight`, spec.weight.shape, spec.weight.data)];
  if (spec.bias) inputs.push(graph.addInitializer(`${spec.name}.bias`, spec.bias.shape, spec.bias.data));
  const y = fresh(ctx, spec.name);
  graph.addNode('Conv', inputs, [y], {
    attributes: [
      attr.ints('kernel_shape', [spec.weight.shape[2]!]),
      attr.ints('dilations', [spec.dilation ?? 1]),
      attr.ints('pads', [spec.padding, spec.padding]),
      attr.ints('strides', [1]),
    ],
  });
  return y;
}

/** torch ConvTranspose1d: weight `[in, out, k]` (ONNX's layout too), stride, `padding` cropped from both ends. */
export function convTranspose1d(ctx: GraphContext, x: string, spec: ConvSpec & { stride: number }): string {
  const { graph } = ctx;
  const inputs = [x, graph.addInitializer(`${spec.name}.weight`, spec.weight.shape, spec.weight.data)];
  if (spec.bias) inputs.push(graph.addInitializer(`${spec.name}.bias`, spec.bias.shape, spec.bias.data));
  const y = fresh(ctx, spec.name);
  graph.addNode('ConvTranspose', inputs, [y], {
    attributes: [
      attr.ints('kernel_shape', [spec.weight.shape[2]!]),
      attr.ints('strides', [spec.stride]),
      attr.ints('pads', [spec.padding, spec.padding]),
    ],
  });
  return y;
}

/** Snake: x + 1/(α + 1e-9)·sin²(αx); SnakeBeta: x + 1/(β + 1e-9)·sin²(αx); log-scale parameters are exp'd first. */
export interface SnakeSpec {
  name: string;
  alpha: Tensor32;
  /** SnakeBeta's β; absent for Snake (the magnitude is α's). */
  beta?: Tensor32;
  logscale: boolean;
}

/**
 * α and 1/(β + 1e-9) as `[1, C, 1]` constants, rounded to float32 at each step as torch computes
 * them (exp, + 1e-9, reciprocal): only the elementwise part is left to the graph.
 */
function snakeConstants(spec: SnakeSpec): { a: Float32Array; inv: Float32Array } {
  const f = Math.fround;
  const lift = (v: number) => (spec.logscale ? f(Math.exp(v)) : v);
  const a = Float32Array.from(spec.alpha.data, lift);
  const magnitude = spec.beta ? Float32Array.from(spec.beta.data, lift) : a;
  const inv = Float32Array.from(magnitude, (m) => f(1 / f(m + 1e-9)));
  return { a, inv };
}

function snake(ctx: GraphContext, x: string, spec: SnakeSpec): string {
  const { graph } = ctx;
  const channels = spec.alpha.data.length;
  const { a, inv } = snakeConstants(spec);
  const alpha = graph.addInitializer(`${spec.name}.alpha`, [1, channels, 1], a);
  const scale = graph.addInitializer(`${spec.name}.inv_magnitude`, [1, channels, 1], inv);
  const [ax, s, s2, t, y] = ['ax', 'sin', 'sin2', 'scaled', 'out'].map((p) => fresh(ctx, `${spec.name}.${p}`)) as [
    string,
    string,
    string,
    string,
    string,
  ];
  graph.addNode('Mul', [x, alpha], [ax]);
  graph.addNode('Sin', [ax], [s]);
  graph.addNode('Mul', [s, s], [s2]);
  graph.addNode('Mul', [scale, s2], [t]);
  graph.addNode('Add', [x, t], [y]);
  return y;
}

/** The depthwise resampling filters for `channels`: up scaled by the ratio (upstream multiplies the output by it), down as is. */
function filtersFor(ctx: GraphContext, channels: number): { up: string; down: string } {
  const known = ctx.filters.get(channels);
  if (known) return known;
  const { ratio, kernelSize } = ALIAS_FREE;
  const taps = resampleFilter(ratio, kernelSize);
  const up = new Float32Array(channels * kernelSize);
  const down = new Float32Array(channels * kernelSize);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < kernelSize; i++) {
      up[c * kernelSize + i] = taps[i]! * ratio;
      down[c * kernelSize + i] = taps[i]!;
    }
  }
  const made = {
    up: ctx.graph.addInitializer(`alias_free.up_filter_${channels}`, [channels, 1, kernelSize], up),
    down: ctx.graph.addInitializer(`alias_free.down_filter_${channels}`, [channels, 1, kernelSize], down),
  };
  ctx.filters.set(channels, made);
  return made;
}

/** Upstream's Activation1d around a snake: [B,C,T] → [B,C,2T] → snake → [B,C,T]. */
export function antiAliasedSnake(ctx: GraphContext, x: string, spec: SnakeSpec): string {
  const { graph } = ctx;
  const channels = spec.alpha.data.length;
  const { ratio, kernelSize } = ALIAS_FREE;
  const geo = resampleGeometry(ratio, kernelSize);
  const filters = filtersFor(ctx, channels);
  const edge = [attr.string('mode', 'edge')];

  const padded = fresh(ctx, `${spec.name}.up_pad`);
  graph.addNode('Pad', [x, int64s(ctx, 'alias_free.up_pads', [0, 0, geo.pad, 0, 0, geo.pad])], [padded], { attributes: edge });
  const up = fresh(ctx, `${spec.name}.up`);
  graph.addNode('ConvTranspose', [padded, filters.up], [up], {
    attributes: [
      attr.int('group', channels),
      attr.ints('kernel_shape', [kernelSize]),
      attr.ints('strides', [ratio]),
      attr.ints('pads', [geo.cropLeft, geo.cropRight]),
    ],
  });
  const activated = snake(ctx, up, spec);
  const downPadded = fresh(ctx, `${spec.name}.down_pad`);
  const downPads = int64s(ctx, 'alias_free.down_pads', [0, 0, geo.downLeft, 0, 0, geo.downRight]);
  graph.addNode('Pad', [activated, downPads], [downPadded], { attributes: edge });
  const down = fresh(ctx, `${spec.name}.down`);
  graph.addNode('Conv', [downPadded, filters.down], [down], {
    attributes: [
      attr.int('group', channels),
      attr.ints('kernel_shape', [kernelSize]),
      attr.ints('strides', [ratio]),
      attr.ints('pads', [0, 0]),
    ],
  });
  return down;
}

/** `a + b` (a residual or the sum of a stage's resblocks, in upstream's order). */
export function add(ctx: GraphContext, a: string, b: string): string {
  const y = fresh(ctx, 'add');
  ctx.graph.addNode('Add', [a, b], [y]);
  return y;
}

/** `x / n` (a stage's mean over its resblocks: a Div, as upstream's `xs / num_kernels`). */
export function divide(ctx: GraphContext, x: string, n: number): string {
  const y = fresh(ctx, 'mean');
  ctx.graph.addNode('Div', [x, scalar(ctx, `const.${n}`, n)], [y]);
  return y;
}

/** The last step: tanh (v1, and v2 with use_tanh_at_final) or clamp to [-1, 1]. */
export function finalActivation(ctx: GraphContext, x: string, o: { tanh: boolean; output: string }): void {
  if (o.tanh) {
    ctx.graph.addNode('Tanh', [x], [o.output]);
  } else {
    ctx.graph.addNode('Clip', [x, scalar(ctx, 'const.-1', -1), scalar(ctx, 'const.1', 1)], [o.output]);
  }
}
