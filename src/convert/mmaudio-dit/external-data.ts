/**
 * @module ONNX's external data for graphs over protobuf's 2 GB (learned-foley.md §3): the medium and
 * large MM-DiTs' flow graphs hold 2.5–4 GB of fp32 weights. {@link recordingGraph} is an
 * {@link OnnxGraph} (built on `createOnnxGraph`, so names are checked the same way) that also keeps
 * what was added, so that `encodeSplit` can write the large initializers to a separate data file:
 * `model.onnx` names `location` (relative to the model's folder, as ORT resolves it), `offset` and
 * `length` for each; the data file is returned as chunks in order (never one buffer over Node's limit).
 */
import onnxProto from 'onnx-proto';
import {
  createOnnxGraph,
  type Dim,
  type EncodeOptions,
  type InitializerData,
  IR_VERSION,
  OPSET,
  type OnnxAttribute,
  type OnnxElemType,
  type OnnxGraph,
  onnxDataType,
} from '../onnx-graph.js';

const { onnx } = onnxProto;

/** Offsets in the data file are aligned to this (a page: ORT may memory-map the file). */
const ALIGN = 4096;
/** Initializers smaller than this stay in the model. */
const MIN_EXTERNAL_BYTES = 1024;

/** A data file as written beside the model: its name (the `location` the model refers to) and its bytes in order. */
export interface ExternalData {
  location: string;
  chunks: Uint8Array[];
  byteLength: number;
}

export interface RecordingGraph extends OnnxGraph {
  /** The bytes every initializer holds. */
  initializerBytes(): number;
  /** The model with initializers of 1 KiB and more moved to `location`. */
  encodeSplit(o: EncodeOptions & { location: string }): { model: Uint8Array; data: ExternalData };
}

function elemType(data: InitializerData): OnnxElemType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  return 'bool';
}

function valueInfo(name: string, dims: readonly Dim[], type: OnnxElemType = 'float32'): onnxProto.onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: onnxDataType(type), shape: { dim } } } };
}

export function recordingGraph(name: string): RecordingGraph {
  const inner = createOnnxGraph(name);
  const initializers: { name: string; dims: number[]; data: InitializerData }[] = [];
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const inputs: onnxProto.onnx.IValueInfoProto[] = [];
  const outputs: onnxProto.onnx.IValueInfoProto[] = [];
  return {
    addInitializer(tensor, dims, data) {
      inner.addInitializer(tensor, dims, data);
      initializers.push({ name: tensor, dims: [...dims], data });
      return tensor;
    },
    addNode(opType, ins, outs, o = {}) {
      inner.addNode(opType, ins, outs, o);
      const attribute: OnnxAttribute[] | undefined = o.attributes === undefined ? undefined : [...o.attributes];
      nodes.push({ opType, input: [...ins], output: [...outs], ...(o.name ? { name: o.name } : {}), ...(attribute ? { attribute } : {}) });
    },
    addInput(tensor, dims, type) {
      inner.addInput(tensor, dims, type);
      inputs.push(valueInfo(tensor, dims, type));
    },
    addOutput(tensor, dims, type) {
      inner.addOutput(tensor, dims, type);
      outputs.push(valueInfo(tensor, dims, type));
    },
    encode: (o) => inner.encode(o),
    initializerBytes: () => initializers.reduce((n, i) => n + i.data.byteLength, 0),
    encodeSplit(o) {
      const chunks: Uint8Array[] = [];
      let offset = 0;
      const initializer = initializers.map(({ name: tensor, dims, data }) => {
        const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const dataType = onnxDataType(elemType(data));
        if (raw.byteLength < MIN_EXTERNAL_BYTES) return { name: tensor, dims, dataType, rawData: raw };
        const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
        if (pad > 0) chunks.push(new Uint8Array(pad));
        offset += pad;
        chunks.push(raw);
        const entry = {
          name: tensor,
          dims,
          dataType,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: o.location },
            { key: 'offset', value: String(offset) },
            { key: 'length', value: String(raw.byteLength) },
          ],
        };
        offset += raw.byteLength;
        return entry;
      });
      const model = onnx.ModelProto.create({
        irVersion: IR_VERSION,
        producerName: o.producerName,
        producerVersion: o.producerVersion,
        opsetImport: [{ domain: '', version: OPSET }],
        ...(o.docString === undefined ? {} : { docString: o.docString }),
        metadataProps: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })),
        graph: { name, input: inputs, output: outputs, initializer, node: nodes },
      });
      return { model: onnx.ModelProto.encode(model).finish(), data: { location: o.location, chunks, byteLength: offset } };
    },
  };
}
