/**
 * @module TF.js graph model → ONNX bytes. Walks the TensorFlow graph back from the outputs the
 * caller names (so in-graph post-processing that ONNX handles badly, TopK and NMS, is simply cut
 * off and done in TypeScript) and emits one or a few ONNX nodes per TF op (the rules live in
 * tfjs-graph-ops.ts). The model keeps TF's NHWC at its edges; inside, 4-D activations are
 * carried NCHW (ORT's native conv layout) and a Transpose appears only where an op needs the
 * other order. Anything not understood fails with MODEL_LOAD_FAILED naming the node.
 */
import { WorkerError } from '../errors.js';
import { attr, createOnnxGraph, type Dim } from './onnx-graph.js';
import { OP_RULES } from './tfjs-graph-ops.js';
import type { TfConst, TfjsGraphModel, TfNode } from './tfjs-graph-package.js';
import { opFail, tfDtype, type GraphCtx, type Val } from './tfjs-graph-types.js';

export type { GraphCtx, OpRule, Val } from './tfjs-graph-types.js';

/** Bump whenever the emitted graph changes: it is part of every cache key. */
export const GRAPH_CONVERTER_VERSION = 'tfjs-graph-onnx/2';

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** A constant's data rearranged for NCHW broadcasting: padded to rank 4 (leading 1s), then [0,3,1,2]. */
function constAsNchw(c: TfConst): { dims: number[]; data: Float32Array | Int32Array } {
  const s = [...c.shape];
  while (s.length < 4) s.unshift(1);
  const [n, h, w, ch] = s as [number, number, number, number];
  const out = c.dtype === 'int32' ? new Int32Array(c.data.length) : new Float32Array(c.data.length);
  for (let a = 0; a < n; a++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < ch; k++) out[((a * ch + k) * h + y) * w + x] = c.data[((a * h + y) * w + x) * ch + k]!;
  return { dims: [n, ch, h, w], data: out };
}

export interface GraphConvertOptions {
  /** Graph name inside the ONNX file. */
  name: string;
  /** TF tensor names to expose as outputs (`node` or `node:k`); they keep their TF names and NHWC. */
  outputs: readonly string[];
  /** ONNX dims per Placeholder (NHWC), e.g. `['N','H','W',3]`; default: the declared shape. */
  inputs?: Readonly<Record<string, readonly Dim[]>>;
  /** See {@link GraphCtx.dynamicResize}; pair it with symbolic H/W input dims. */
  dynamicResize?: boolean;
  /** Extra metadata stored in the model. */
  metadata?: Readonly<Record<string, string>>;
}

/** TF.js graph → ONNX; returns the model bytes. */
export function convertTfjsGraph(model: TfjsGraphModel, opts: GraphConvertOptions): Uint8Array {
  const graph = createOnnxGraph(opts.name);
  const byName = new Map<string, TfNode>();
  for (const n of model.nodes) {
    if (byName.has(n.name)) throw opFail(n, 'the node name is used twice');
    byName.set(n.name, n);
  }
  const used = new Set<string>();
  let counter = 0;
  const fresh = (base: string): string => {
    let name = base;
    while (used.has(name)) name = `${base}/_${++counter}`;
    used.add(name);
    return name;
  };
  const transposed = new Map<string, string>();
  const emitted = new Map<() => string, string>();
  const ctx: GraphCtx = {
    graph,
    dynamicResize: opts.dynamicResize ?? false,
    fresh,
    init(base, dims, data) {
      return graph.addInitializer(fresh(base), dims, data);
    },
    node(op, inputs, base, o) {
      const out = fresh(base);
      graph.addNode(op, inputs, [out], { name: out, ...(o?.attributes ? { attributes: o.attributes } : {}) });
      return out;
    },
    tensor(v, layout = v.layout) {
      if (v.lazy) {
        let t = emitted.get(v.lazy);
        if (t === undefined) {
          t = v.lazy();
          emitted.set(v.lazy, t);
        }
        v = { ...v, tensor: t, lazy: undefined };
      }
      const key = `${v.tensor}\0${v.const ? `const:${constKey(v)}` : ''}\0${layout}`;
      const seen = transposed.get(key);
      if (seen) return seen;
      let t: string;
      if (v.const) {
        const c = v.const;
        if (layout === 'nchw' && c.shape.length <= 4 && c.shape.length > 0) {
          const { dims, data } = constAsNchw(c);
          t = ctx.init(`${v.tensor || 'const'}/nchw`, dims, data);
        } else {
          t = ctx.init(v.tensor || 'const', c.shape, c.data);
        }
      } else if (layout === v.layout || v.rank !== 4) {
        t = v.tensor;
      } else {
        t = ctx.node('Transpose', [v.tensor], `${v.tensor}/${layout}`, {
          attributes: [attr.ints('perm', layout === 'nchw' ? TO_NCHW : TO_NHWC)],
        });
      }
      transposed.set(key, t);
      return t;
    },
  };
  const constIds = new WeakMap<TfConst, number>();
  let constCounter = 0;
  function constKey(v: Val): number {
    let id = constIds.get(v.const!);
    if (id === undefined) {
      id = constCounter++;
      constIds.set(v.const!, id);
    }
    return id;
  }

  const done = new Map<string, readonly Val[]>();
  const active = new Set<string>();
  const inputDims = new Map<string, readonly Dim[]>();

  const outputOf = (ref: string, from: { name: string; op: string }): Val => {
    const m = /^(.*?)(?::(\d+))?$/.exec(ref)!;
    const node = byName.get(m[1]!);
    if (!node) throw opFail(from, `input ${ref} is not a node of this graph`);
    const vals = visit(node);
    const k = Number(m[2] ?? 0);
    const v = vals[k];
    if (!v) throw opFail(node, `has no output ${k}`);
    return v;
  };

  function visit(n: TfNode): readonly Val[] {
    const seen = done.get(n.name);
    if (seen) return seen;
    if (active.has(n.name)) throw opFail(n, 'the graph has a cycle');
    active.add(n.name);
    let vals: readonly Val[];
    if (n.op === 'Const') {
      const c = model.consts.get(n.name);
      if (!c) throw opFail(n, 'Const without a value');
      vals = [{ tensor: n.name, dtype: c.dtype, rank: c.shape.length, layout: 'nhwc', shape: c.shape, const: c }];
    } else if (n.op === 'Placeholder') {
      const a = n.attr['shape'];
      const declared = a?.kind === 'shape' ? a.dims : [];
      const dims = opts.inputs?.[n.name] ?? declared.map((d, i) => (d >= 0 ? d : `${n.name}_d${i}`));
      const dtype = tfDtype(n, 'dtype');
      used.add(n.name);
      graph.addInput(n.name, dims, dtype);
      inputDims.set(n.name, dims);
      vals = [
        {
          tensor: n.name,
          dtype,
          rank: dims.length,
          layout: 'nhwc',
          shape: declared.every((d) => d >= 0) && declared.length === dims.length ? declared : undefined,
        },
      ];
    } else {
      const rule = OP_RULES[n.op];
      if (!rule)
        throw opFail(
          n,
          `op ${n.op} is not supported by the TF.js graph → ONNX converter ` +
            `(supported: Const, Placeholder, ${Object.keys(OP_RULES).join(', ')})`,
        );
      const inputs = n.inputs.filter((i) => !i.startsWith('^')).map((i) => outputOf(i, n));
      const r = rule(n, inputs, ctx);
      vals = Array.isArray(r) ? (r as readonly Val[]) : [r as Val];
    }
    active.delete(n.name);
    done.set(n.name, vals);
    return vals;
  }

  if (opts.outputs.length === 0) throw new WorkerError('MODEL_LOAD_FAILED', 'no outputs named for the graph conversion');
  // Output tensors keep their TF names: reserve them so that inner tensors get other names.
  for (const ref of opts.outputs) used.add(ref);
  for (const ref of opts.outputs) {
    const v = outputOf(ref, { name: ref, op: 'output' });
    const name = ref;
    graph.addNode('Identity', [ctx.tensor(v, 'nhwc')], [name], { name: `${name}/output` });
    const dims: Dim[] = Array.from({ length: v.rank }, (_, i) =>
      !ctx.dynamicResize && v.shape?.[i] !== undefined && i > 0 ? v.shape[i]! : `${ref}_d${i}`,
    );
    graph.addOutput(name, dims, v.dtype);
  }
  return graph.encode({
    producerName: 'foley-worker tfjs-graph converter',
    producerVersion: GRAPH_CONVERTER_VERSION,
    docString: `Converted from a TF.js graph model; outputs ${opts.outputs.join(', ')} (NHWC, as in TensorFlow).`,
    metadata: { converter: GRAPH_CONVERTER_VERSION, source_format: 'tfjs-graph-model', ...(opts.metadata ?? {}) },
  });
}
