/**
 * @module Reads a TF.js "graph-model" (model.json with a TensorFlow GraphDef in `modelTopology.node`,
 * plus weight shards) into plain data for the graph converter: nodes with decoded attributes, and
 * every Const's value. Unlike layers models, the packaged graph models we convert (vladmandic/human's
 * CenterNet and MoveNet) store their float weights as float16 ("quantization": {dtype: float16}),
 * so float16 and uint8/uint16 affine quantisation are dequantised here, as tfjs-converter does.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { modelLoadFailed, readModelJsonBytes, readShardGroups, shardPaths } from './tfjs-files.js';

const AttrSchema = z.looseObject({
  s: z.string().optional(),
  i: z.union([z.string(), z.number()]).optional(),
  f: z.number().optional(),
  b: z.boolean().optional(),
  type: z.string().optional(),
  list: z
    .looseObject({
      s: z.array(z.string()).optional(),
      i: z.array(z.union([z.string(), z.number()])).optional(),
      f: z.array(z.number()).optional(),
    })
    .optional(),
  shape: z
    .looseObject({
      dim: z.array(z.looseObject({ size: z.union([z.string(), z.number()]).optional() })).optional(),
      unknownRank: z.boolean().optional(),
    })
    .optional(),
});

const NodeSchema = z.object({
  name: z.string(),
  op: z.string(),
  input: z.array(z.string()).optional(),
  attr: z.record(z.string(), AttrSchema).optional(),
});

const WeightSpecSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.string(),
  quantization: z
    .object({
      dtype: z.enum(['float16', 'uint8', 'uint16']),
      min: z.number().optional(),
      scale: z.number().optional(),
      original_dtype: z.string().optional(),
    })
    .optional(),
});

const GraphJsonSchema = z.object({
  format: z.literal('graph-model'),
  modelTopology: z.looseObject({ node: z.array(NodeSchema) }),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(WeightSpecSchema) })),
});
type GraphJson = z.infer<typeof GraphJsonSchema>;

/** A decoded node attribute: strings are UTF-8 decoded, integers are numbers. */
export type TfAttr =
  | { kind: 's'; s: string }
  | { kind: 'i'; i: number }
  | { kind: 'f'; f: number }
  | { kind: 'b'; b: boolean }
  | { kind: 'type'; type: string }
  | { kind: 'list'; s: string[]; i: number[]; f: number[] }
  | { kind: 'shape'; dims: number[] }
  | { kind: 'other' };

export interface TfNode {
  name: string;
  op: string;
  /** `name`, `name:1` (second output) or `^name` (control dependency). */
  inputs: readonly string[];
  attr: Readonly<Record<string, TfAttr>>;
}

export type TfConstData = Float32Array | Int32Array;

export interface TfConst {
  dtype: 'float32' | 'int32';
  shape: readonly number[];
  data: TfConstData;
}

export interface TfjsGraphModel {
  nodes: readonly TfNode[];
  /** Const values by node name (a graph model's weights are its Const nodes). */
  consts: ReadonlyMap<string, TfConst>;
}

const fail = modelLoadFailed;

const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

function decodeAttr(a: z.infer<typeof AttrSchema>): TfAttr {
  if (a.s !== undefined) return { kind: 's', s: b64(a.s) };
  if (a.i !== undefined) return { kind: 'i', i: Number(a.i) };
  if (a.f !== undefined) return { kind: 'f', f: a.f };
  if (a.b !== undefined) return { kind: 'b', b: a.b };
  if (a.type !== undefined) return { kind: 'type', type: a.type };
  if (a.list !== undefined) return { kind: 'list', s: (a.list.s ?? []).map(b64), i: (a.list.i ?? []).map(Number), f: a.list.f ?? [] };
  if (a.shape !== undefined) return { kind: 'shape', dims: (a.shape.dim ?? []).map((d) => Number(d.size ?? -1)) };
  // Protobuf JSON omits false/0 defaults: `{}` is b=false or i=0, which readers below default to.
  return { kind: 'other' };
}

/** IEEE 754 half → float (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function decodeWeights(json: GraphJson, groups: readonly Uint8Array[], where: string): Map<string, TfConst> {
  const consts = new Map<string, TfConst>();
  json.weightsManifest.forEach((group, g) => {
    const raw = groups[g]!;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    let offset = 0;
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const bytesPer = q ? (q.dtype === 'uint8' ? 1 : 2) : 4;
      if (offset + count * bytesPer > raw.byteLength)
        throw fail(`${where}: weight group ${g + 1} is too short for ${w.name}`, { weight: w.name });
      if (w.dtype !== 'float32' && w.dtype !== 'int32')
        throw fail(`${where}: weight ${w.name} is ${w.dtype}; only float32 and int32 are supported`, { weight: w.name });
      let data: TfConstData;
      if (w.dtype === 'int32') {
        if (q) throw fail(`${where}: quantised int32 weight ${w.name} is not supported`, { weight: w.name });
        data = new Int32Array(count);
        for (let k = 0; k < count; k++) data[k] = view.getInt32(offset + 4 * k, true);
      } else {
        data = new Float32Array(count);
        if (!q) for (let k = 0; k < count; k++) data[k] = view.getFloat32(offset + 4 * k, true);
        else if (q.dtype === 'float16') for (let k = 0; k < count; k++) data[k] = halfToFloat(view.getUint16(offset + 2 * k, true));
        else {
          // Affine quantisation, as tfjs-converter dequantises it: v·scale + min.
          const scale = q.scale ?? 1;
          const min = q.min ?? 0;
          for (let k = 0; k < count; k++)
            data[k] = (q.dtype === 'uint8' ? view.getUint8(offset + k) : view.getUint16(offset + 2 * k, true)) * scale + min;
        }
      }
      if (consts.has(w.name)) throw fail(`${where}: weight ${w.name} is listed twice`, { weight: w.name });
      consts.set(w.name, { dtype: w.dtype, shape: w.shape, data });
      offset += count * bytesPer;
    }
    if (offset !== raw.byteLength)
      throw fail(`${where}: weight group ${g + 1} holds ${raw.byteLength} bytes, the manifest describes ${offset}`);
  });
  return consts;
}

/** model.json's parsed JSON plus one byte array per manifest group → the graph. Pure. */
export function parseTfjsGraphModel(json: unknown, groups: readonly Uint8Array[], where = 'model.json'): TfjsGraphModel {
  const r = GraphJsonSchema.safeParse(json);
  if (!r.success) throw fail(`${where} is not a TF.js graph model: ${z.prettifyError(r.error)}`, { file: where });
  const m = r.data;
  if (groups.length !== m.weightsManifest.length)
    throw fail(`${where}: ${m.weightsManifest.length} weight groups in the manifest, ${groups.length} given`);
  const consts = decodeWeights(m, groups, where);
  const nodes = m.modelTopology.node.map((n) => ({
    name: n.name,
    op: n.op,
    inputs: n.input ?? [],
    attr: Object.fromEntries(Object.entries(n.attr ?? {}).map(([k, v]) => [k, decodeAttr(v)])),
  }));
  for (const n of nodes) {
    if (n.op === 'Const' && !consts.has(n.name)) throw fail(`${where}: Const ${n.name} has no weight`, { node: n.name });
  }
  return { nodes, consts };
}

/** model.json and its shard paths (kept inside the model's folder). */
async function readJson(modelJsonPath: string): Promise<{ json: unknown; shards: string[][] }> {
  const text = await readModelJsonBytes(modelJsonPath);
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (e) {
    throw fail(`${modelJsonPath} is not JSON: ${(e as Error).message}`, { file: modelJsonPath }, e);
  }
  const manifest = z.object({ weightsManifest: z.array(z.object({ paths: z.array(z.string()) })) }).safeParse(json);
  if (!manifest.success) throw fail(`${modelJsonPath} has no weightsManifest`, { file: modelJsonPath });
  return { json, shards: shardPaths(modelJsonPath, manifest.data.weightsManifest) };
}

/** model.json and its shards, in manifest order (what a converted model's cache key covers). */
export async function listTfjsGraphFiles(modelJsonPath: string): Promise<string[]> {
  const { shards } = await readJson(modelJsonPath);
  return [resolve(modelJsonPath), ...shards.flat()];
}

/** Reads a graph model from disk; MODEL_LOAD_FAILED when anything is off. */
export async function readTfjsGraphPackage(modelJsonPath: string): Promise<TfjsGraphModel> {
  const { json, shards } = await readJson(modelJsonPath);
  const groups = await readShardGroups(shards);
  return parseTfjsGraphModel(json, groups, modelJsonPath);
}
