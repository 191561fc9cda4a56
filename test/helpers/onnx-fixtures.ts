/**
 * Tiny ONNX graphs built in TypeScript with onnx-proto (toolchain.md §3), with their plain-JS
 * reference, so inference tests need no download.
 */
import onnxProto from 'onnx-proto';
import { attr, createOnnxGraph, type OnnxGraph } from '../../src/convert/onnx-graph.js';

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
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 2 - 1;
  };
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

const PRODUCER = { producerName: 'foley-worker-fixtures', producerVersion: '1' };

/**
 * A graph with `input` [N,3,H,W] whose `up` tensor is the nearest ×s resize of it (each pixel
 * an s×s block: Resize nearest, asymmetric, floor). The caller ends it in `output`.
 */
function nearestGraph(name: string, scale: number): OnnxGraph {
  const g = createOnnxGraph(name);
  g.addInput('input', ['N', 3, 'H', 'W']);
  g.addInitializer('scales', [4], Float32Array.of(1, 1, scale, scale));
  g.addNode('Resize', ['input', '', 'scales'], ['up'], {
    attributes: [
      attr.string('mode', 'nearest'),
      attr.string('coordinate_transformation_mode', 'asymmetric'),
      attr.string('nearest_mode', 'floor'),
    ],
  });
  g.addOutput('output', ['N', 3, 'OH', 'OW']);
  return g;
}

/**
 * A super-resolution model whose right answer is known: each input pixel becomes an s×s block.
 * Same interface as the embedded models: `input` [N,3,H,W] in 0..1 → `output` [N,3,sH,sW].
 */
export function nearestUpscaler(scale: number): Uint8Array {
  const g = nearestGraph(`nearest_x${scale}`, scale);
  g.addNode('Identity', ['up'], ['output']);
  return g.encode(PRODUCER);
}

/**
 * The nearest upscaler, except that a tile of more than `maxPixels` pixels asks ORT for a 16 TiB
 * buffer, which fails the way a GPU out of memory does ("Failed to allocate memory"): a model
 * that runs out of memory with big tiles and works with small ones.
 */
export function upscalerOutOfMemoryAbove(scale: number, maxPixels: number): Uint8Array {
  const g = nearestGraph(`nearest_x${scale}_oom_above_${maxPixels}`, scale);
  g.addInitializer('limit', [1], Float32Array.of(maxPixels));
  // 2^42 floats: exact in float32, and far more memory than any machine has.
  g.addInitializer('huge', [1], Float32Array.of(2 ** 42));
  g.addInitializer('one', [1], Float32Array.of(1));
  g.addNode('Shape', ['input'], ['h'], { attributes: [attr.int('start', 2), attr.int('end', 3)] });
  g.addNode('Shape', ['input'], ['w'], { attributes: [attr.int('start', 3), attr.int('end', 4)] });
  g.addNode('Cast', ['h'], ['hf'], { attributes: [attr.int('to', F)] });
  g.addNode('Cast', ['w'], ['wf'], { attributes: [attr.int('to', F)] });
  g.addNode('Mul', ['hf', 'wf'], ['pixels']);
  g.addNode('Greater', ['pixels', 'limit'], ['tooBig']);
  g.addNode('Where', ['tooBig', 'huge', 'one'], ['sizeF']);
  g.addNode('Cast', ['sizeF'], ['size'], { attributes: [attr.int('to', onnx.TensorProto.DataType.INT64)] });
  g.addNode('ConstantOfShape', ['size'], ['scratch']);
  g.addNode('ReduceSum', ['scratch'], ['zero'], { attributes: [attr.int('keepdims', 0)] });
  g.addNode('Add', ['up', 'zero'], ['output']);
  return g.encode(PRODUCER);
}

/**
 * A stand-in for a RIFE 4.x export with RIFE's interface: `img0`, `img1` [N,3,H,W] and
 * `timestep` → `output` [N,3,H,W] = img0 + t·(img1 − img0), a blend whose value encodes t.
 * `timestep: 'scalar'` takes [N,1,1,1]; `'map'` takes only a full [N,1,H,W] map (it is
 * concatenated to img0 on the channel axis, which fails for any other shape), as some exports do.
 * `align`: refuses (a Reshape that cannot fit) an H or W that is not a multiple of it, as RIFE's
 * flow pyramid does. `oomAbove`: more than this many N·H·W pixels in a run asks ORT for a 16 TiB
 * buffer (as `upscalerOutOfMemoryAbove`), failing the way a GPU out of memory does.
 */
export function rifeBlend(timestep: 'scalar' | 'map' = 'scalar', align = 32, oomAbove?: number): Uint8Array {
  const g = createOnnxGraph(`rife_blend_${timestep}`);
  g.addInput('img0', ['N', 3, 'H', 'W']);
  g.addInput('img1', ['N', 3, 'H', 'W']);
  g.addInput('timestep', timestep === 'scalar' ? ['N', 1, 1, 1] : ['N', 1, 'H', 'W']);
  let t = 'timestep';
  if (timestep === 'map') {
    g.addNode('Concat', ['img0', 'timestep'], ['cat'], { attributes: [attr.int('axis', 1)] });
    g.addInitializer('s3', [1], BigInt64Array.of(3n));
    g.addInitializer('s4', [1], BigInt64Array.of(4n));
    g.addInitializer('ax1', [1], BigInt64Array.of(1n));
    g.addNode('Slice', ['cat', 's3', 's4', 'ax1'], ['tmap']);
    t = 'tmap';
  }
  // Alignment check: Mod(H, align) zeros reshaped to an empty tensor (allowzero) fails unless it is 0; same for W.
  g.addInitializer('align', [1], BigInt64Array.of(BigInt(align)));
  g.addInitializer('empty', [1], BigInt64Array.of(0n));
  for (const [axis, name] of [
    [2, 'h'],
    [3, 'w'],
  ] as const) {
    g.addNode('Shape', ['img0'], [`${name}Dim`], { attributes: [attr.int('start', axis), attr.int('end', axis + 1)] });
    g.addNode('Mod', [`${name}Dim`, 'align'], [`${name}Rem`]);
    g.addNode('ConstantOfShape', [`${name}Rem`], [`${name}Left`]);
    g.addNode('Reshape', [`${name}Left`, 'empty'], [`${name}None`], { attributes: [attr.int('allowzero', 1)] });
    g.addNode('ReduceSum', [`${name}None`], [`${name}Zero`], { attributes: [attr.int('keepdims', 0)] });
  }
  g.addNode('Add', ['hZero', 'wZero'], ['z']);
  g.addNode('Sub', ['img1', 'img0'], ['d']);
  g.addNode('Mul', ['d', t], ['td']);
  g.addNode('Add', ['img0', 'td'], ['blend']);
  if (oomAbove === undefined) {
    g.addNode('Add', ['blend', 'z'], ['output']);
  } else {
    g.addInitializer('limit', [1], Float32Array.of(oomAbove));
    g.addInitializer('huge', [1], Float32Array.of(2 ** 42));
    g.addInitializer('one', [1], Float32Array.of(1));
    g.addNode('Shape', ['img0'], ['nDim'], { attributes: [attr.int('start', 0), attr.int('end', 1)] });
    for (const d of ['n', 'h', 'w']) g.addNode('Cast', [`${d}Dim`], [`${d}F`], { attributes: [attr.int('to', F)] });
    g.addNode('Mul', ['nF', 'hF'], ['nh']);
    g.addNode('Mul', ['nh', 'wF'], ['pixels']);
    g.addNode('Greater', ['pixels', 'limit'], ['tooBig']);
    g.addNode('Where', ['tooBig', 'huge', 'one'], ['sizeF']);
    g.addNode('Cast', ['sizeF'], ['size'], { attributes: [attr.int('to', onnx.TensorProto.DataType.INT64)] });
    g.addNode('ConstantOfShape', ['size'], ['scratch']);
    g.addNode('ReduceSum', ['scratch'], ['oomZero'], { attributes: [attr.int('keepdims', 0)] });
    g.addNode('Add', ['z', 'oomZero'], ['z2']);
    g.addNode('Add', ['blend', 'z2'], ['output']);
  }
  g.addOutput('output', ['N', 3, 'H', 'W']);
  return g.encode(PRODUCER);
}

/**
 * A float16 graph: `x` [N,4] float16 → `y` = x·2 + 1, float16, its constants float16 too (as an
 * fp16 export's are). Every value it is tested on is exact in float16.
 */
export function halfAffine(): Uint8Array {
  const H = onnx.TensorProto.DataType.FLOAT16;
  const half = (name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: H, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  // 2.0 and 1.0 as IEEE half bits.
  const bits = (v: number): Uint8Array => new Uint8Array(Uint16Array.of(v).buffer);
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      ...PRODUCER,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'half_affine',
        input: [half('x', ['N', 4])],
        output: [half('y', ['N', 4])],
        initializer: [
          { name: 'two', dims: [1], dataType: H, rawData: bits(0x4000) },
          { name: 'one', dims: [1], dataType: H, rawData: bits(0x3c00) },
        ],
        node: [
          { opType: 'Mul', input: ['x', 'two'], output: ['x2'] },
          { opType: 'Add', input: ['x2', 'one'], output: ['y'] },
        ],
      },
    }),
  ).finish();
}

export interface ExternalDataFixture extends MlpFixture {
  /** The graph, whose weights live in `data` (a file named `dataFile` beside it). */
  bytes: Uint8Array;
  data: Uint8Array;
  dataFile: string;
}

/**
 * {@link mmAddTanh} saved the way exporters save graphs over protobuf's 2 GB: the graph in
 * `model.onnx`, its initializers in `model.onnx.data` (ONNX external data: location, offset,
 * length per tensor), W first and B after it at a 64-byte boundary, as onnx's save does.
 */
export function externalDataMlp(seed = 5, dataFile = 'model.onnx.data'): ExternalDataFixture {
  const inline = mmAddTanh(seed);
  const model = onnx.ModelProto.decode(inline.bytes);
  const graph = model.graph!;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const init of graph.initializer ?? []) {
    const raw = init.rawData && init.rawData.length > 0 ? init.rawData : new Uint8Array(Float32Array.from(init.floatData ?? []).buffer);
    const at = Math.ceil(offset / 64) * 64;
    if (at > offset) chunks.push(new Uint8Array(at - offset));
    chunks.push(raw);
    init.rawData = new Uint8Array(0);
    init.floatData = [];
    init.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    init.externalData = [
      { key: 'location', value: dataFile },
      { key: 'offset', value: String(at) },
      { key: 'length', value: String(raw.length) },
    ];
    offset = at + raw.length;
  }
  const data = new Uint8Array(offset);
  let p = 0;
  for (const c of chunks) {
    data.set(c, p);
    p += c.length;
  }
  return { bytes: onnx.ModelProto.encode(model).finish(), data, dataFile, reference: inline.reference };
}
