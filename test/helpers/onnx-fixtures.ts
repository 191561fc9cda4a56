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
