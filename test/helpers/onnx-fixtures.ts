/**
 * Tiny ONNX graphs built in TypeScript with onnx-proto (toolchain.md §3), with their plain-JS
 * reference, so inference tests need no download.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const F = onnx.TensorProto.DataType.FLOAT;

const vi = (name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: F, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

export interface MlpFixture {
  bytes: Uint8Array;
  /** y = tanh(x·W + B), x [N,4] → y [N,3]. */
  reference(x: Float32Array, n: number): Float32Array;
}

export function mmAddTanh(seed = 1): MlpFixture {
  let s = seed;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const W = Float32Array.from({ length: 12 }, rnd);
  const B = Float32Array.from({ length: 3 }, rnd);
  const bytes = onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'foley-worker-fixtures',
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'mm_add_tanh',
        input: [vi('x', ['N', 4])],
        output: [vi('y', ['N', 3])],
        initializer: [
          { name: 'W', dims: [4, 3], dataType: F, rawData: new Uint8Array(W.buffer.slice(0)) },
          { name: 'B', dims: [3], dataType: F, floatData: [...B] },
        ],
        node: [
          { opType: 'MatMul', input: ['x', 'W'], output: ['xw'] },
          { opType: 'Add', input: ['xw', 'B'], output: ['xwb'] },
          { opType: 'Tanh', input: ['xwb'], output: ['y'] },
        ],
      },
    }),
  ).finish();
  return {
    bytes,
    reference(x, n) {
      const y = new Float32Array(n * 3);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < 3; j++) {
          let acc = B[j]!;
          for (let k = 0; k < 4; k++) acc += x[i * 4 + k]! * W[k * 3 + j]!;
          y[i * 3 + j] = Math.tanh(acc);
        }
      return y;
    },
  };
}

const I64 = onnx.TensorProto.DataType.INT64;
const str = (name: string, v: string): onnxProto.onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) });

/** Resize input [N,3,H,W] → [N,3,sH,sW] by repeating each pixel s×s (nearest, asymmetric, floor). */
function nearestNode(input: string, output: string): onnxProto.onnx.INodeProto {
  return {
    opType: 'Resize',
    input: [input, '', 'scales'],
    output: [output],
    attribute: [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')],
  };
}

function upscalerModel(name: string, scale: number, extra: { initializer: onnxProto.onnx.ITensorProto[]; node: onnxProto.onnx.INodeProto[] } | undefined): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'foley-worker-fixtures',
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name,
        input: [vi('input', ['N', 3, 'H', 'W'])],
        output: [vi('output', ['N', 3, 'OH', 'OW'])],
        initializer: [{ name: 'scales', dims: [4], dataType: F, floatData: [1, 1, scale, scale] }, ...(extra?.initializer ?? [])],
        node: extra ? [nearestNode('input', 'up'), ...extra.node] : [nearestNode('input', 'output')],
      },
    }),
  ).finish();
}

/**
 * A super-resolution model whose right answer is known: each input pixel becomes an s×s block.
 * Same interface as the embedded models: `input` [N,3,H,W] in 0..1 → `output` [N,3,sH,sW].
 */
export function nearestUpscaler(scale: number): Uint8Array {
  return upscalerModel(`nearest_x${scale}`, scale, undefined);
}

/**
 * The nearest upscaler, except that a tile of more than `maxPixels` pixels asks ORT for a 16 TiB
 * buffer, which fails the way a GPU out of memory does ("Failed to allocate memory"): a model
 * that runs out of memory with big tiles and works with small ones.
 */
export function upscalerOutOfMemoryAbove(scale: number, maxPixels: number): Uint8Array {
  const i64 = (name: string, v: number[], dims: number[] = []): onnxProto.onnx.ITensorProto => ({ name, dims, dataType: I64, int64Data: v });
  return upscalerModel(`nearest_x${scale}_oom_above_${maxPixels}`, scale, {
    initializer: [i64('two', [2]), i64('three', [3]), i64('limit', [maxPixels]), i64('huge', [2 ** 42]), i64('one', [1]), i64('axis0', [0], [1])],
    node: [
      { opType: 'Shape', input: ['input'], output: ['shape'] },
      { opType: 'Gather', input: ['shape', 'two'], output: ['h'] },
      { opType: 'Gather', input: ['shape', 'three'], output: ['w'] },
      { opType: 'Mul', input: ['h', 'w'], output: ['pixels'] },
      { opType: 'Greater', input: ['pixels', 'limit'], output: ['tooBig'] },
      { opType: 'Where', input: ['tooBig', 'huge', 'one'], output: ['size'] },
      { opType: 'Unsqueeze', input: ['size', 'axis0'], output: ['sizeVec'] },
      { opType: 'ConstantOfShape', input: ['sizeVec'], output: ['scratch'] },
      { opType: 'ReduceSum', input: ['scratch'], output: ['zero'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      { opType: 'Add', input: ['up', 'zero'], output: ['output'] },
    ],
  });
}
