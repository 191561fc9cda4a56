/**
 * @module The ONNX pieces a BigVGAN generator is made of, on our graph builder: Conv1d and
 * ConvTranspose1d (weights already folded), the anti-aliased Snake/SnakeBeta activation
 * (`Activation1d`: replicate pad → ×2 transposed low-pass → snake → replicate pad → strided
 * low-pass), and the final tanh or clamp. Tensors are `[B, C, T]` float32 with B and T dynamic.
 */
import { attr, type OnnxGraph } from '../onnx-graph.js';
import { type ConvGraphContext, fresh, type SnakeSpec, snake } from '../snake-conv.js';
import { ALIAS_FREE, resampleFilter, resampleGeometry } from './filter.js';

// Conv1d, ConvTranspose1d, Snake and Add are shared with DAC (src/convert/snake-conv.ts).
export { add, type ConvSpec, conv1d, convTranspose1d, type SnakeSpec } from '../snake-conv.js';

export interface GraphContext extends ConvGraphContext {
  /** Per channel count: the two depthwise filters, shared by every activation of that width. */
  filters: Map<number, { up: string; down: string }>;
  /** Shared small constants by name. */
  constants: Set<string>;
}

export function graphContext(graph: OnnxGraph): GraphContext {
  return { graph, filters: new Map(), constants: new Set(), counter: 0 };
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
