/**
 * @module A small ONNX graph builder over onnx-proto (opset 17, IR version 8), so converters
 * describe a model as initializers and nodes and never touch protobuf details. Float32 by default;
 * int32/int64/bool initializers and typed inputs/outputs exist for graph models whose index
 * arithmetic (shapes, argmax, gather indices) is integer. Names are checked for clashes as they are added,
 * because a duplicated tensor name makes ORT fail later with a message that names neither side.
 * A model over protobuf's 2 GB (the larger MM-DiTs hold 2.5–4 GB of fp32 weights) is encoded with
 * its large initializers in an external data file (`encodeSplit`). A graph built with `weights: 'fp16'`
 * stores its large float weights in half precision and widens each where it is read (see
 * {@link WeightPrecision}).
 */
import onnxProto from 'onnx-proto';
import { toFloat16 } from '../inference/float16.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const DT = onnx.TensorProto.DataType;

/** Element types the converters emit. */
export type OnnxElemType = 'float32' | 'int32' | 'int64' | 'bool';

/** ONNX TensorProto.DataType of an element type (also what Cast's `to` takes). */
export function onnxDataType(t: OnnxElemType): number {
  switch (t) {
    case 'float32':
      return DT.FLOAT;
    case 'int32':
      return DT.INT32;
    case 'int64':
      return DT.INT64;
    case 'bool':
      return DT.BOOL;
  }
}

/** Initializer data: the array type picks the element type (a Uint8Array is bool). */
export type InitializerData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

function dataTypeOf(data: InitializerData): number {
  if (data instanceof Float32Array) return DT.FLOAT;
  if (data instanceof Int32Array) return DT.INT32;
  if (data instanceof BigInt64Array) return DT.INT64;
  return DT.BOOL;
}
const A = onnx.AttributeProto.AttributeType;

export const OPSET = 17;
export const IR_VERSION = 8;

/** One node attribute; build them with {@link attr}. */
export type OnnxAttribute = onnxProto.onnx.IAttributeProto;

/** Typed attribute constructors: ONNX needs the kind (1 vs 1.0) spelt out. */
export const attr = {
  int: (name: string, i: number): OnnxAttribute => ({ name, type: A.INT, i }),
  ints: (name: string, ints: readonly number[]): OnnxAttribute => ({ name, type: A.INTS, ints: [...ints] }),
  float: (name: string, f: number): OnnxAttribute => ({ name, type: A.FLOAT, f }),
  string: (name: string, s: string): OnnxAttribute => ({ name, type: A.STRING, s: new TextEncoder().encode(s) }),
};

/** A dimension: a fixed size, or a symbolic name (dim_param) for a dynamic one. */
export type Dim = number | string;

export interface EncodeOptions {
  producerName: string;
  producerVersion: string;
  docString?: string;
  /** Free-form key/value pairs stored in the model (source, converter version). */
  metadata?: Readonly<Record<string, string>>;
}

export interface OnnxGraph {
  /**
   * A constant (float32 unless the data is Int32Array, BigInt64Array, or Uint8Array for bool); returns its name.
   * `data.length` must match `dims`. `exact`: stays float32 under `weights: 'fp16'` (a table computed
   * here, such as RoPE's angles, not a learned weight).
   */
  addInitializer(name: string, dims: readonly number[], data: InitializerData, o?: { exact?: boolean }): string;
  /** One operator; `''` in `inputs` marks an omitted optional input. */
  addNode(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    o?: { name?: string; attributes?: readonly OnnxAttribute[] },
  ): void;
  /** A graph input, float32 unless `type` says otherwise. */
  addInput(name: string, dims: readonly Dim[], type?: OnnxElemType): void;
  addOutput(name: string, dims: readonly Dim[], type?: OnnxElemType): void;
  encode(o: EncodeOptions): Uint8Array;
  /** The bytes every initializer holds. */
  initializerBytes(): number;
  /**
   * The model with initializers of 1 KiB and more moved to `location`: each names its `location`
   * (relative to the model's folder, as ORT resolves it), `offset` and `length`; the data file
   * comes back as chunks in order (never one buffer over Node's limit).
   */
  encodeSplit(o: EncodeOptions & { location: string }): { model: Uint8Array; data: ExternalData };
}

/** A data file as written beside the model: its name (the `location` the model refers to) and its bytes in order. */
export interface ExternalData {
  location: string;
  chunks: Uint8Array[];
  byteLength: number;
}

/** Offsets in the data file are aligned to this (a page: ORT may memory-map the file). */
const EXTERNAL_ALIGN = 4096;
/** Initializers smaller than this stay in the model. */
const MIN_EXTERNAL_BYTES = 1024;

/** The initializers with the large ones' bytes moved out to one data file at `location`. */
function externalize(
  initializers: readonly onnxProto.onnx.ITensorProto[],
  location: string,
): { initializers: onnxProto.onnx.ITensorProto[]; data: ExternalData } {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const moved = initializers.map((t) => {
    const raw = t.rawData as Uint8Array;
    if (raw.byteLength < MIN_EXTERNAL_BYTES) return t;
    const pad = (EXTERNAL_ALIGN - (offset % EXTERNAL_ALIGN)) % EXTERNAL_ALIGN;
    if (pad > 0) chunks.push(new Uint8Array(pad));
    offset += pad;
    chunks.push(raw);
    const { rawData: _inModel, ...rest } = t;
    const entry: onnxProto.onnx.ITensorProto = {
      ...rest,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(raw.byteLength) },
      ],
    };
    offset += raw.byteLength;
    return entry;
  });
  return { initializers: moved, data: { location, chunks, byteLength: offset } };
}

function valueInfo(name: string, dims: readonly Dim[], type: OnnxElemType = 'float32'): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: type === 'float32' ? FLOAT : onnxDataType(type),
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * How a graph stores its float weights. `fp16`: every float32 initializer of {@link HALF_WEIGHTS_FROM}
 * values or more is stored as float16 and widened back to float32 by a Cast in front of its readers,
 * so the file and the session hold half the bytes while every operator still computes in float32.
 * Chosen over an fp16 graph (activations in half too) because the networks it serves were trained in
 * bf16, whose range fp16 lacks: a residual stream past 65504 becomes ∞ in fp16 but not here. The
 * error is fp16's rounding of each weight (relative 2⁻¹¹; none for a bf16 checkpoint's values in
 * fp16's normal range). ORT's graph optimizers fold each such Cast back into an fp32 copy at load,
 * so such a graph must be opened with them off (engines/learned/load.ts says what that measured).
 */
export type WeightPrecision = 'fp32' | 'fp16';

/**
 * Under `precision: 'auto'`, a network whose fp32 weights pass this is stored in fp16: a 24 GB GPU
 * (RunPod's smallest tier that runs these engines) holds 16 GiB of weights beside the activations of a
 * batch-2 step, the CUDA context and the other graphs of a window. HunyuanVideo-Foley XXL's flow
 * graph (19.1 GiB in fp32) is stored in fp16; XL (10.8 GiB) and every MMAudio network stay fp32.
 */
export const HALF_WEIGHTS_AUTO_FROM = 16 * 2 ** 30;

/** A converter's `precision` option: a stored precision, or `auto` by the network's size. */
export type PrecisionChoice = 'auto' | WeightPrecision;

/** `auto` resolved for a network of `fp32Bytes` of weights ({@link HALF_WEIGHTS_AUTO_FROM}). */
export function resolvePrecision(choice: PrecisionChoice | undefined, fp32Bytes: number): WeightPrecision {
  if (choice === 'fp32' || choice === 'fp16') return choice;
  return fp32Bytes > HALF_WEIGHTS_AUTO_FROM ? 'fp16' : 'fp32';
}

/** Initializers with fewer values than this (norms, most biases) stay float32 under `weights: 'fp16'`: they weigh nothing. */
export const HALF_WEIGHTS_FROM = 1024;

export function createOnnxGraph(name: string, o: { weights?: WeightPrecision } = {}): OnnxGraph {
  const initializer: onnxProto.onnx.ITensorProto[] = [];
  const node: onnxProto.onnx.INodeProto[] = [];
  /** The Casts widening half weights: first in the node list, as they read initializers alone. */
  const widen: onnxProto.onnx.INodeProto[] = [];
  const input: onnxProto.onnx.IValueInfoProto[] = [];
  const output: onnxProto.onnx.IValueInfoProto[] = [];
  const produced = new Set<string>();

  const claim = (tensor: string): void => {
    if (tensor === '') throw new TypeError('an ONNX tensor name must not be empty');
    if (produced.has(tensor)) throw new TypeError(`ONNX tensor "${tensor}" is produced twice`);
    produced.add(tensor);
  };

  return {
    addInitializer(tensor, dims, data, { exact = false } = {}) {
      const size = dims.reduce((a, b) => a * b, 1);
      if (size !== data.length)
        throw new RangeError(`initializer "${tensor}": dims [${dims.join(',')}] hold ${size} values, data has ${data.length}`);
      claim(tensor);
      if (o.weights === 'fp16' && !exact && data instanceof Float32Array && data.length >= HALF_WEIGHTS_FROM) {
        const stored = `${tensor}.fp16`;
        claim(stored);
        const half = toFloat16(data);
        initializer.push({ name: stored, dims: [...dims], dataType: DT.FLOAT16, rawData: new Uint8Array(half.buffer) });
        widen.push({ opType: 'Cast', input: [stored], output: [tensor], attribute: [attr.int('to', DT.FLOAT)] });
        return tensor;
      }
      // raw_data is little-endian, as typed arrays are on the hosts we run on (x86-64, arm64).
      const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      initializer.push({ name: tensor, dims: [...dims], dataType: dataTypeOf(data), rawData: raw });
      return tensor;
    },
    addNode(opType, inputs, outputs, o = {}) {
      for (const t of outputs) claim(t);
      node.push({
        opType,
        input: [...inputs],
        output: [...outputs],
        ...(o.name === undefined ? {} : { name: o.name }),
        ...(o.attributes === undefined ? {} : { attribute: [...o.attributes] }),
      });
    },
    addInput(tensor, dims, type) {
      claim(tensor);
      input.push(valueInfo(tensor, dims, type));
    },
    addOutput(tensor, dims, type) {
      output.push(valueInfo(tensor, dims, type));
    },
    encode: (o) => encodeModel(o, initializer),
    initializerBytes: () => initializer.reduce((n, t) => n + (t.rawData?.byteLength ?? 0), 0),
    encodeSplit(o) {
      const split = externalize(initializer, o.location);
      return { model: encodeModel(o, split.initializers), data: split.data };
    },
  };

  function encodeModel(o: EncodeOptions, initializers: onnxProto.onnx.ITensorProto[]): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: o.producerName,
      producerVersion: o.producerVersion,
      opsetImport: [{ domain: '', version: OPSET }],
      ...(o.docString === undefined ? {} : { docString: o.docString }),
      metadataProps: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: { name, input, output, initializer: initializers, node: [...widen, ...node] },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** Graphs with more initializer bytes than this are written with external data under `storage: 'auto'` (protobuf stops at 2 GB). */
export const EXTERNAL_DATA_FROM = 1.5 * 2 ** 30;

/** Where a converted graph's weights go: in the model, beside it (`location`), or `auto` by their size. */
export type GraphStorage = 'auto' | 'inline' | 'external';

/** One graph: the model's bytes and, with external data, the data file that must sit beside it under `data.location`. */
export interface ConvertedGraph {
  model: Uint8Array;
  data?: ExternalData;
}

/** A graph's metadata as ONNX keeps it (strings): where its weights came from, when known, then `entries`. */
export function graphMetadata(
  source: string | undefined,
  entries: Readonly<Record<string, string | number | boolean>>,
): Record<string, string> {
  return { ...(source === undefined ? {} : { source }), ...Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, String(v)])) };
}

/** Encodes a graph inline, or with its weights in `location` when asked or past {@link EXTERNAL_DATA_FROM}. */
export function encodeGraph(g: OnnxGraph, o: EncodeOptions & { storage?: GraphStorage | undefined; location: string }): ConvertedGraph {
  const { storage = 'auto', location, ...e } = o;
  const external = storage === 'external' || (storage === 'auto' && g.initializerBytes() > EXTERNAL_DATA_FROM);
  return external ? g.encodeSplit({ ...e, location }) : { model: g.encode(e) };
}
