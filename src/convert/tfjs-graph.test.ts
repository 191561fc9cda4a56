/**
 * Per-op parity of the TF.js graph → ONNX converter: for each TF op it maps, a tiny graph model
 * (one or two ops on a Placeholder) run by tfjs-converter on the CPU backend (the reference) and,
 * converted, by ONNX Runtime. Inputs are seeded random; float tolerance 1e-4 absolute (values
 * are O(1)), integer and boolean results exact.
 */
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfconv from '@tensorflow/tfjs-converter';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { isWorkerError } from '../errors.js';
import { convertTfjsGraph } from './tfjs-graph.js';
import { halfToFloat, parseTfjsGraphModel } from './tfjs-graph-package.js';

type Dt = 'float32' | 'int32';
interface ConstSpec {
  name: string;
  dtype: Dt;
  shape: number[];
  values: number[];
  /** Stored as float16 (as human's weights are). */
  half?: boolean;
}
interface NodeSpec {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

const T = (t: Dt | 'bool' = 'float32') => ({ type: t === 'float32' ? 'DT_FLOAT' : t === 'int32' ? 'DT_INT32' : 'DT_BOOL' });
const S = (s: string) => ({ s: Buffer.from(s).toString('base64') });
const I = (i: number) => ({ i: String(i) });
const B = (b: boolean) => ({ b });
const LI = (i: number[]) => ({ list: { i: i.map(String) } });
const LS = (s: string[]) => ({ list: { s: s.map((x) => Buffer.from(x).toString('base64')) } });

let seed = 1;
function rand(n: number, lo = -1, hi = 1): number[] {
  return Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return lo + ((hi - lo) * seed) / 2 ** 31;
  });
}
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

function placeholder(name: string, shape: number[], dtype: Dt = 'float32'): NodeSpec {
  return { name, op: 'Placeholder', attr: { dtype: T(dtype), shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } } };
}

function floatToHalf(v: number): number {
  // Round-to-nearest via the float32 bits; enough for test weights in normal range.
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign;
  return sign | (exp << 10) | Math.round(mant / 8192);
}

/** A graph-model JSON and its one weight shard. */
function buildModel(nodes: NodeSpec[], consts: ConstSpec[]): { json: object; weights: Uint8Array } {
  const parts: Buffer[] = [];
  const specs = consts.map((c) => {
    if (c.half) {
      const b = Buffer.alloc(c.values.length * 2);
      c.values.forEach((v, i) => {
        b.writeUInt16LE(floatToHalf(v), 2 * i);
      });
      parts.push(b);
      return { name: c.name, shape: c.shape, dtype: c.dtype, quantization: { dtype: 'float16', original_dtype: 'float32' } };
    }
    const b = Buffer.alloc(c.values.length * 4);
    c.values.forEach((v, i) => {
      if (c.dtype === 'int32') b.writeInt32LE(v, 4 * i);
      else b.writeFloatLE(v, 4 * i);
    });
    parts.push(b);
    return { name: c.name, shape: c.shape, dtype: c.dtype };
  });
  const constNodes = consts.map((c) => ({ name: c.name, op: 'Const', attr: { dtype: T(c.dtype), value: { tensor: {} } } }));
  const json = {
    format: 'graph-model',
    generatedBy: 'test',
    convertedBy: 'test',
    modelTopology: { node: [...constNodes, ...nodes], library: {}, versions: {} },
    weightsManifest: [{ paths: ['w.bin'], weights: specs }],
  };
  return { json, weights: new Uint8Array(Buffer.concat(parts)) };
}

interface Case {
  nodes: NodeSpec[];
  consts?: ConstSpec[];
  inputs: { name: string; shape: number[]; dtype?: Dt; values?: number[] }[];
  outputs: string[];
  tol?: number;
}

async function runBoth(
  c: Case,
  o: { dynamic?: { dims: Record<string, (number | string)[]>; feedShapes: Record<string, number[]> } } = {},
): Promise<void> {
  const { json, weights } = buildModel(c.nodes, c.consts ?? []);
  const feedsSpec = c.inputs.map((i) => {
    const shape = o.dynamic?.feedShapes[i.name] ?? i.shape;
    const dtype = i.dtype ?? 'float32';
    const values = i.values ?? (dtype === 'int32' ? rand(size(shape), -20, 20).map(Math.round) : rand(size(shape)));
    return { name: i.name, shape, dtype, values };
  });
  // Reference: tfjs-converter on the CPU backend.
  const model = await tfconv.loadGraphModel(
    tfc.io.fromMemory({
      modelTopology: (json as { modelTopology: object }).modelTopology,
      weightSpecs: (json as { weightsManifest: { weights: tfc.io.WeightsManifestEntry[] }[] }).weightsManifest[0]!.weights,
      weightData: weights.slice().buffer,
    }),
  );
  const tfFeeds = Object.fromEntries(feedsSpec.map((f) => [f.name, tfc.tensor(f.values, f.shape, f.dtype)]));
  const tfOut = model.execute(tfFeeds, c.outputs);
  const refs = await Promise.all(
    (Array.isArray(tfOut) ? tfOut : [tfOut]).map(async (t) => ({ data: Array.from(await t.data(), Number), shape: t.shape })),
  );
  // Ours.
  const bytes = convertTfjsGraph(parseTfjsGraphModel(json, [weights]), {
    name: 'case',
    outputs: c.outputs,
    ...(o.dynamic ? { inputs: o.dynamic.dims, dynamicResize: true } : {}),
  });
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const out = await s.run(
    Object.fromEntries(
      feedsSpec.map((f) => [
        f.name,
        new ort.Tensor(f.dtype, f.dtype === 'int32' ? Int32Array.from(f.values) : Float32Array.from(f.values), f.shape),
      ]),
    ),
  );
  c.outputs.forEach((name, k) => {
    const got = out[name]!;
    expect([...got.dims]).toEqual(refs[k]!.shape);
    const a = Array.from(got.data as ArrayLike<number | bigint>, Number);
    const b = refs[k]!.data;
    const tol = got.type === 'float32' ? (c.tol ?? 1e-4) : 0;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst, `${name}: max |ONNX − TF.js|`).toBeLessThanOrEqual(tol);
  });
  await s.release();
}

/** x [1,h,w,c] → op → y. */
function single({
  op,
  inputs,
  attr,
  consts,
  xShape,
  xDtype = 'float32',
}: {
  op: string;
  inputs: string[];
  attr: Record<string, unknown>;
  consts: ConstSpec[];
  xShape: number[];
  xDtype?: Dt;
}): Case {
  return {
    nodes: [placeholder('x', xShape, xDtype), { name: 'y', op, input: inputs, attr }],
    consts,
    inputs: [{ name: 'x', shape: xShape, dtype: xDtype }],
    outputs: ['y'],
  };
}

const conv = (name: string, shape: number[], half = false): ConstSpec => ({
  name,
  dtype: 'float32',
  shape,
  values: rand(size(shape), -0.5, 0.5),
  half,
});
const ci = (name: string, values: number[], shape = [values.length]): ConstSpec => ({ name, dtype: 'int32', shape, values });
const cf = (name: string, values: number[], shape = [values.length]): ConstSpec => ({ name, dtype: 'float32', shape, values });

const convAttr = (strides: number[], padding: string, fused?: string[]) => ({
  T: T(),
  strides: LI(strides),
  padding: S(padding),
  data_format: S('NHWC'),
  dilations: LI([1, 1, 1, 1]),
  ...(fused ? { fused_ops: LS(fused), num_args: I(1) } : {}),
});

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

describe('TF.js graph ops against tfjs-converter', () => {
  const X = [1, 9, 11, 4];
  it.each([
    [
      'Conv2D SAME stride 2',
      single({ op: 'Conv2D', inputs: ['x', 'k'], attr: convAttr([1, 2, 2, 1], 'SAME'), consts: [conv('k', [3, 3, 4, 6])], xShape: X }),
    ],
    [
      'Conv2D VALID',
      single({ op: 'Conv2D', inputs: ['x', 'k'], attr: convAttr([1, 1, 1, 1], 'VALID'), consts: [conv('k', [3, 2, 4, 5])], xShape: X }),
    ],
    [
      '_FusedConv2D BiasAdd+Relu6 (float16 weights)',
      single({
        op: '_FusedConv2D',
        inputs: ['x', 'k', 'b'],
        attr: convAttr([1, 1, 1, 1], 'SAME', ['BiasAdd', 'Relu6']),
        consts: [conv('k', [1, 1, 4, 8], true), conv('b', [8], true)],
        xShape: X,
      }),
    ],
    [
      '_FusedConv2D BiasAdd+Relu stride 2',
      single({
        op: '_FusedConv2D',
        inputs: ['x', 'k', 'b'],
        attr: convAttr([1, 2, 2, 1], 'SAME', ['BiasAdd', 'Relu']),
        consts: [conv('k', [3, 3, 4, 8]), conv('b', [8])],
        xShape: X,
      }),
    ],
    [
      '_FusedConv2D BiasAdd',
      single({
        op: '_FusedConv2D',
        inputs: ['x', 'k', 'b'],
        attr: convAttr([1, 1, 1, 1], 'VALID', ['BiasAdd']),
        consts: [conv('k', [3, 3, 4, 3]), conv('b', [3])],
        xShape: X,
      }),
    ],
    [
      'DepthwiseConv2dNative SAME stride 2, multiplier 2',
      single({
        op: 'DepthwiseConv2dNative',
        inputs: ['x', 'k'],
        attr: convAttr([1, 2, 2, 1], 'SAME'),
        consts: [conv('k', [3, 3, 4, 2])],
        xShape: X,
      }),
    ],
    [
      'FusedDepthwiseConv2dNative BiasAdd+Relu',
      single({
        op: 'FusedDepthwiseConv2dNative',
        inputs: ['x', 'k', 'b'],
        attr: convAttr([1, 1, 1, 1], 'SAME', ['BiasAdd', 'Relu']),
        consts: [conv('k', [5, 5, 4, 1]), conv('b', [4])],
        xShape: X,
      }),
    ],
    [
      'FusedDepthwiseConv2dNative BiasAdd+Relu6',
      single({
        op: 'FusedDepthwiseConv2dNative',
        inputs: ['x', 'k', 'b'],
        attr: convAttr([1, 2, 2, 1], 'SAME', ['BiasAdd', 'Relu6']),
        consts: [conv('k', [3, 3, 4, 1]), conv('b', [4])],
        xShape: X,
      }),
    ],
    [
      'MaxPool 3×3 SAME stride 1',
      single({
        op: 'MaxPool',
        inputs: ['x'],
        attr: { T: T(), ksize: LI([1, 3, 3, 1]), strides: LI([1, 1, 1, 1]), padding: S('SAME'), data_format: S('NHWC') },
        consts: [],
        xShape: X,
      }),
    ],
    [
      'MaxPool 2×2 VALID stride 2',
      single({
        op: 'MaxPool',
        inputs: ['x'],
        attr: { T: T(), ksize: LI([1, 2, 2, 1]), strides: LI([1, 2, 2, 1]), padding: S('VALID'), data_format: S('NHWC') },
        consts: [],
        xShape: X,
      }),
    ],
    [
      'Mean keep_dims over H,W',
      single({ op: 'Mean', inputs: ['x', 'a'], attr: { T: T(), keep_dims: B(true) }, consts: [ci('a', [1, 2])], xShape: X }),
    ],
    [
      'Mean without keep_dims',
      single({ op: 'Mean', inputs: ['x', 'a'], attr: { T: T(), keep_dims: B(false) }, consts: [ci('a', [1, 2])], xShape: X }),
    ],
    [
      'ResizeBilinear legacy (neither flag) ×2',
      single({
        op: 'ResizeBilinear',
        inputs: ['x', 's'],
        attr: { T: T(), align_corners: B(false), half_pixel_centers: B(false) },
        consts: [ci('s', [18, 22])],
        xShape: X,
      }),
    ],
    [
      'ResizeBilinear half_pixel_centers ×2',
      single({
        op: 'ResizeBilinear',
        inputs: ['x', 's'],
        attr: { T: T(), align_corners: B(false), half_pixel_centers: B(true) },
        consts: [ci('s', [18, 22])],
        xShape: X,
      }),
    ],
    [
      'ResizeBilinear align_corners, odd size',
      single({
        op: 'ResizeBilinear',
        inputs: ['x', 's'],
        attr: { T: T(), align_corners: B(true), half_pixel_centers: B(false) },
        consts: [ci('s', [13, 7])],
        xShape: X,
      }),
    ],
    [
      'ResizeBilinear half_pixel_centers, shrink',
      single({
        op: 'ResizeBilinear',
        inputs: ['x', 's'],
        attr: { T: T(), align_corners: B(false), half_pixel_centers: B(true) },
        consts: [ci('s', [4, 5])],
        xShape: X,
      }),
    ],
    ['Relu', single({ op: 'Relu', inputs: ['x'], attr: { T: T() }, consts: [], xShape: X })],
    [
      'Relu6 (inputs beyond both clip points)',
      {
        ...single({ op: 'Relu6', inputs: ['x'], attr: { T: T() }, consts: [], xShape: [1, 3, 3, 2] }),
        inputs: [{ name: 'x', shape: [1, 3, 3, 2], values: rand(18, -10, 10) }],
      },
    ],
    ['Sigmoid', single({ op: 'Sigmoid', inputs: ['x'], attr: { T: T() }, consts: [], xShape: X })],
    ['Identity', single({ op: 'Identity', inputs: ['x'], attr: { T: T() }, consts: [], xShape: X })],
    [
      'Mul by a [1,1,1,C] constant',
      single({ op: 'Mul', inputs: ['x', 'c'], attr: { T: T() }, consts: [cf('c', rand(4), [1, 1, 1, 4])], xShape: X }),
    ],
    ['Add a [C] constant', single({ op: 'Add', inputs: ['c', 'x'], attr: { T: T() }, consts: [cf('c', rand(4))], xShape: X })],
    ['AddV2 a scalar', single({ op: 'AddV2', inputs: ['x', 'c'], attr: { T: T() }, consts: [cf('c', [3], [])], xShape: X })],
    [
      'Sub a [H,W,1] constant',
      single({ op: 'Sub', inputs: ['x', 'c'], attr: { T: T() }, consts: [cf('c', rand(99), [9, 11, 1])], xShape: X }),
    ],
    ['RealDiv by a constant', single({ op: 'RealDiv', inputs: ['x', 'c'], attr: { T: T() }, consts: [cf('c', rand(4, 1, 2))], xShape: X })],
    ['SquaredDifference', single({ op: 'SquaredDifference', inputs: ['x', 'c'], attr: { T: T() }, consts: [cf('c', rand(4))], xShape: X })],
    [
      'Cast int32 → float32',
      single({ op: 'Cast', inputs: ['x'], attr: { SrcT: T('int32'), DstT: T('float32') }, consts: [], xShape: X, xDtype: 'int32' }),
    ],
    [
      'FloorDiv int32 (negatives floor)',
      single({ op: 'FloorDiv', inputs: ['x', 'c'], attr: { T: T('int32') }, consts: [ci('c', [3], [])], xShape: [1, 20], xDtype: 'int32' }),
    ],
    [
      'FloorMod int32 (negatives)',
      single({ op: 'FloorMod', inputs: ['x', 'c'], attr: { T: T('int32') }, consts: [ci('c', [7], [])], xShape: [1, 20], xDtype: 'int32' }),
    ],
    ['FloorDiv float', single({ op: 'FloorDiv', inputs: ['x', 'c'], attr: { T: T() }, consts: [cf('c', [0.3], [])], xShape: [2, 10] })],
    [
      'Reshape',
      single({ op: 'Reshape', inputs: ['x', 's'], attr: { T: T(), Tshape: T('int32') }, consts: [ci('s', [1, -1, 4])], xShape: X }),
    ],
    [
      'ExpandDims',
      single({ op: 'ExpandDims', inputs: ['x', 'd'], attr: { T: T(), Tdim: T('int32') }, consts: [ci('d', [-1], [])], xShape: [2, 3, 4] }),
    ],
    ['Squeeze', single({ op: 'Squeeze', inputs: ['x'], attr: { T: T(), squeeze_dims: LI([0]) }, consts: [], xShape: [1, 3, 4] })],
    [
      'ArgMax → int32',
      single({
        op: 'ArgMax',
        inputs: ['x', 'd'],
        attr: { T: T(), Tidx: T('int32'), output_type: T('int32') },
        consts: [ci('d', [1], [])],
        xShape: [3, 50],
      }),
    ],
    [
      'StridedSlice with masks and shrink',
      single({
        op: 'StridedSlice',
        inputs: ['x', 'b', 'e', 's'],
        attr: {
          T: T(),
          Index: T('int32'),
          begin_mask: I(1),
          end_mask: I(1),
          shrink_axis_mask: I(4),
          ellipsis_mask: I(0),
          new_axis_mask: I(0),
        },
        consts: [ci('b', [0, 1, 2]), ci('e', [0, 3, 3]), ci('s', [1, 1, 1])],
        xShape: [2, 5, 4],
      }),
    ],
    [
      'Equal against a max-pool (peak mask)',
      {
        nodes: [
          placeholder('x', X),
          {
            name: 'p',
            op: 'MaxPool',
            input: ['x'],
            attr: { T: T(), ksize: LI([1, 3, 3, 1]), strides: LI([1, 1, 1, 1]), padding: S('SAME'), data_format: S('NHWC') },
          },
          { name: 'y', op: 'Equal', input: ['x', 'p'], attr: { T: T() } },
        ],
        inputs: [{ name: 'x', shape: X }],
        outputs: ['y'],
      },
    ],
    [
      'Unpack into 3, Pack on another axis',
      {
        nodes: [
          placeholder('x', [3, 4, 5]),
          { name: 'u', op: 'Unpack', input: ['x'], attr: { T: T(), num: I(3), axis: I(0) } },
          { name: 'y', op: 'Pack', input: ['u:2', 'u', 'u:1'], attr: { T: T(), N: I(3), axis: I(2) } },
        ],
        inputs: [{ name: 'x', shape: [3, 4, 5] }],
        outputs: ['y'],
      },
    ],
    [
      'GatherNd with int32 indices',
      single({
        op: 'GatherNd',
        inputs: ['x', 'i'],
        attr: { Tparams: T(), Tindices: T('int32') },
        consts: [ci('i', [0, 1, 2, 0, 3, 1, 0, 0, 0], [3, 3])],
        xShape: [1, 4, 3, 5],
      }),
    ],
    [
      'GatherV2',
      single({
        op: 'GatherV2',
        inputs: ['x', 'i', 'a'],
        attr: { Tparams: T(), Tindices: T('int32'), Taxis: T('int32'), batch_dims: I(0) },
        consts: [ci('i', [3, 0, 2]), ci('a', [1], [])],
        xShape: [2, 4, 3],
      }),
    ],
    [
      'ConcatV2 on channels after convs (NCHW inside)',
      {
        nodes: [
          placeholder('x', X),
          { name: 'c1', op: 'Conv2D', input: ['x', 'k1'], attr: convAttr([1, 1, 1, 1], 'SAME') },
          { name: 'c2', op: 'Relu', input: ['x'], attr: { T: T() } },
          { name: 'y', op: 'ConcatV2', input: ['c1', 'c2', 'ax'], attr: { T: T(), N: I(2), Tidx: T('int32') } },
          { name: 'z', op: 'Mul', input: ['y', 'c1s'], attr: { T: T() } },
        ],
        consts: [conv('k1', [1, 1, 4, 2]), ci('ax', [-1], []), cf('c1s', rand(6))],
        inputs: [{ name: 'x', shape: X }],
        outputs: ['y', 'z'],
      },
    ],
  ] as [string, Case][])('%s', async (_, c) => {
    await runBoth(c);
  });

  it('hard-swish and squeeze-excite: NCHW operands meet NCHW (no transposes needed for parity)', async () => {
    await runBoth({
      nodes: [
        placeholder('x', X),
        { name: 'c', op: '_FusedConv2D', input: ['x', 'k', 'b'], attr: convAttr([1, 1, 1, 1], 'SAME', ['BiasAdd']) },
        { name: 'a', op: 'Add', input: ['c', 'three'], attr: { T: T() } },
        { name: 'r', op: 'Relu6', input: ['a'], attr: { T: T() } },
        { name: 'm', op: 'Mul', input: ['sixth', 'c'], attr: { T: T() } },
        { name: 'hs', op: 'Mul', input: ['m', 'r'], attr: { T: T() } },
        { name: 'se', op: 'Mean', input: ['hs', 'ax'], attr: { T: T(), keep_dims: B(true) } },
        { name: 'y', op: 'Mul', input: ['se', 'hs'], attr: { T: T() } },
      ],
      consts: [conv('k', [3, 3, 4, 6]), conv('b', [6]), cf('three', [3], []), cf('sixth', [1 / 6], []), ci('ax', [1, 2])],
      inputs: [{ name: 'x', shape: X }],
      outputs: ['y'],
    });
  });

  it('dynamicResize: converted at the declared size, run at another (the resize follows by scale)', async () => {
    const declared = [1, 16, 16, 3];
    const c: Case = {
      nodes: [
        placeholder('x', declared),
        { name: 'd', op: 'Conv2D', input: ['x', 'k'], attr: convAttr([1, 2, 2, 1], 'SAME') },
        { name: 'y', op: 'ResizeBilinear', input: ['d', 's'], attr: { T: T(), align_corners: B(false), half_pixel_centers: B(false) } },
      ],
      consts: [conv('k', [3, 3, 3, 4]), ci('s', [16, 16])],
      inputs: [{ name: 'x', shape: declared }],
      outputs: ['y'],
    };
    // The reference graph has the fixed size 16×16 baked in, so compare at the declared size with
    // the dynamic model, then check the dynamic model's output size at 32×24.
    await runBoth(c, { dynamic: { dims: { x: ['N', 'H', 'W', 3] }, feedShapes: {} } });
    const { json, weights } = buildModel(c.nodes, c.consts!);
    const bytes = convertTfjsGraph(parseTfjsGraphModel(json, [weights]), {
      name: 'dyn',
      outputs: ['y'],
      inputs: { x: ['N', 'H', 'W', 3] },
      dynamicResize: true,
    });
    const s = await ort.InferenceSession.create(bytes);
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from(rand(2 * 24 * 32 * 3)), [2, 24, 32, 3]) });
    expect([...out.y!.dims]).toEqual([2, 24, 32, 4]);
  });
});

describe('TF.js graph package reading and failures', () => {
  it('float16 decoding covers normals, subnormals, infinities', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.33325, 5);
    expect(halfToFloat(0x0001)).toBeCloseTo(5.96e-8, 9);
    expect(halfToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
  });

  it('an unsupported op fails with MODEL_LOAD_FAILED naming the node', () => {
    const { json, weights } = buildModel(
      [placeholder('x', [1, 4]), { name: 'topk', op: 'TopKV2', input: ['x', 'k'], attr: {} }],
      [ci('k', [2], [])],
    );
    let err: unknown;
    try {
      convertTfjsGraph(parseTfjsGraphModel(json, [weights]), { name: 't', outputs: ['topk'] });
    } catch (e) {
      err = e;
    }
    expect(isWorkerError(err) && err.code).toBe('MODEL_LOAD_FAILED');
    expect((err as Error).message).toMatch(/topk.*TopKV2/);
  });

  it('a weight shard shorter than the manifest fails with MODEL_LOAD_FAILED', () => {
    const { json, weights } = buildModel([placeholder('x', [1, 4])], [conv('k', [3, 3, 4, 4])]);
    expect(() => parseTfjsGraphModel(json, [weights.subarray(0, 100)])).toThrow(
      expect.objectContaining({ code: 'MODEL_LOAD_FAILED' }) as Error,
    );
  });

  it('a JSON that is not a graph model fails with MODEL_LOAD_FAILED', () => {
    expect(() => parseTfjsGraphModel({ format: 'layers-model', modelTopology: {}, weightsManifest: [] }, [])).toThrow(
      expect.objectContaining({ code: 'MODEL_LOAD_FAILED' }) as Error,
    );
  });
});
