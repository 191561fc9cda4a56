/**
 * @module A small ONNX graph builder over onnx-proto (opset 17, IR version 8), so converters
 * describe a model as initializers and nodes and never touch protobuf details. Float32 by default;
 * int32/int64/bool initializers and typed inputs/outputs exist for graph models whose index
 * arithmetic (shapes, argmax, gather indices) is integer. Names are checked for clashes as they are added,
 * because a duplicated tensor name makes ORT fail later with a message that names neither side.
 * A model over protobuf's 2 GB (the larger MM-DiTs hold 2.5–4 GB of fp32 weights) is encoded with
 * its large initializers in an external data file (`encodeSplit`).
 */
import onnxProto from 'onnx-proto';

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
   * `data.length` must match `dims`.
   */
  addInitializer(name: string, dims: readonly number[], data: InitializerData): string;
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

export function createOnnxGraph(name: string): OnnxGraph {
  const initializer: onnxProto.onnx.ITensorProto[] = [];
  const node: onnxProto.onnx.INodeProto[] = [];
  const input: onnxProto.onnx.IValueInfoProto[] = [];
  const output: onnxProto.onnx.IValueInfoProto[] = [];
  const produced = new Set<string>();

  const claim = (tensor: string): void => {
    if (tensor === '') throw new TypeError('an ONNX tensor name must not be empty');
    if (produced.has(tensor)) throw new TypeError(`ONNX tensor "${tensor}" is produced twice`);
    produced.add(tensor);
  };

  return {
    addInitializer(tensor, dims, data) {
      const size = dims.reduce((a, b) => a * b, 1);
      if (size !== data.length)
        throw new RangeError(`initializer "${tensor}": dims [${dims.join(',')}] hold ${size} values, data has ${data.length}`);
      claim(tensor);
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
      graph: { name, input, output, initializer: initializers, node },
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

/** Encodes a graph inline, or with its weights in `location` when asked or past {@link EXTERNAL_DATA_FROM}. */
export function encodeGraph(g: OnnxGraph, o: EncodeOptions & { storage?: GraphStorage | undefined; location: string }): ConvertedGraph {
  const { storage = 'auto', location, ...e } = o;
  const external = storage === 'external' || (storage === 'auto' && g.initializerBytes() > EXTERNAL_DATA_FROM);
  return external ? g.encodeSplit({ ...e, location }) : { model: g.encode(e) };
}
