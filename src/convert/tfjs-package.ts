/**
 * @module Reads a TF.js "layers-model" (model.json + weight shards) into plain data for the
 * converter. Only the parts the converter uses are validated (zod), and only float32 weights are
 * accepted: quantised or integer weights would need dequantising, which no model we ship needs,
 * so they fail loudly here instead of converting to garbage.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { modelLoadFailed, readModelJsonBytes, readShardGroups, shardPaths } from './tfjs-files.js';

/** `[layerName, nodeIndex, tensorIndex, kwargs]`, Keras 2's reference to another layer's output. */
const InboundSchema = z.tuple([z.string(), z.number().int(), z.number().int()]).rest(z.unknown());

const LayerSchema = z.object({
  class_name: z.string(),
  name: z.string().optional(),
  config: z.looseObject({ name: z.string().optional() }),
  inbound_nodes: z.array(z.array(InboundSchema)),
});

const WeightSpecSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.string(),
  quantization: z.unknown().optional(),
});

const ModelJsonSchema = z.object({
  format: z.string().optional(),
  modelTopology: z.object({
    model_config: z.object({
      class_name: z.string(),
      config: z.object({
        name: z.string().optional(),
        layers: z.array(LayerSchema),
        input_layers: z.array(InboundSchema),
        output_layers: z.array(InboundSchema),
      }),
    }),
  }),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(WeightSpecSchema) })),
});
type ModelJson = z.infer<typeof ModelJsonSchema>;

/** Another layer's output that feeds this one. */
export interface TfjsInbound {
  layer: string;
  nodeIndex: number;
  tensorIndex: number;
  /** Call kwargs; the converter accepts only none. */
  kwargs: unknown;
}

export interface TfjsLayer {
  className: string;
  name: string;
  config: Readonly<Record<string, unknown>>;
  /** One entry per call of the layer (shared layers have several); each lists its inputs. */
  inboundNodes: readonly (readonly TfjsInbound[])[];
}

export interface TfjsWeight {
  shape: readonly number[];
  data: Float32Array;
}

export interface TfjsLayersModel {
  name: string;
  /** Keras model class: "Functional" (or "Model") for the graphs we convert. */
  className: string;
  layers: readonly TfjsLayer[];
  inputs: readonly TfjsInbound[];
  outputs: readonly TfjsInbound[];
  /** By full weight name, e.g. `F_0/kernel`. */
  weights: ReadonlyMap<string, TfjsWeight>;
}

const fail = modelLoadFailed;

function parseJson(json: unknown, where: string): ModelJson {
  const r = ModelJsonSchema.safeParse(json);
  if (!r.success) throw fail(`${where} is not a TF.js layers model: ${z.prettifyError(r.error)}`, { file: where });
  return r.data;
}

const inbound = (t: readonly unknown[]): TfjsInbound => ({
  layer: t[0] as string,
  nodeIndex: t[1] as number,
  tensorIndex: t[2] as number,
  kwargs: t[3] ?? {},
});

/**
 * model.json's parsed JSON plus one byte array per `weightsManifest` group (that group's shards
 * concatenated in manifest order) → the model. Pure: {@link readTfjsLayersPackage} does the I/O.
 */
export function parseTfjsLayersModel(json: unknown, groups: readonly Uint8Array[], where = 'model.json'): TfjsLayersModel {
  const m = parseJson(json, where);
  if (groups.length !== m.weightsManifest.length) {
    throw fail(`${where}: ${m.weightsManifest.length} weight groups in the manifest, ${groups.length} given`);
  }
  const weights = new Map<string, TfjsWeight>();
  m.weightsManifest.forEach((group, g) => {
    const bytes = groups[g]!;
    // Copy once into a fresh buffer: Float32Array views need 4-byte alignment.
    const aligned = new Uint8Array(bytes.byteLength);
    aligned.set(bytes);
    let offset = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32' || w.quantization !== undefined) {
        const kind = w.quantization === undefined ? w.dtype : `${w.dtype} quantised`;
        throw fail(`${where}: weight ${w.name} is ${kind}; only unquantised float32 weights are supported`, {
          weight: w.name,
          dtype: w.dtype,
        });
      }
      const count = w.shape.reduce((a, b) => a * b, 1);
      if (offset + count * 4 > aligned.byteLength) {
        throw fail(`${where}: weight group ${g + 1} holds ${aligned.byteLength} bytes, too few for ${w.name} at offset ${offset}`, {
          weight: w.name,
        });
      }
      if (weights.has(w.name)) throw fail(`${where}: weight ${w.name} is listed twice`, { weight: w.name });
      weights.set(w.name, { shape: w.shape, data: new Float32Array(aligned.buffer, offset, count) });
      offset += count * 4;
    }
    if (offset !== aligned.byteLength) {
      throw fail(`${where}: weight group ${g + 1} holds ${aligned.byteLength} bytes, the manifest describes ${offset}`);
    }
  });
  const config = m.modelTopology.model_config.config;
  return {
    name: config.name ?? 'model',
    className: m.modelTopology.model_config.class_name,
    layers: config.layers.map((l, i) => {
      const name = l.name ?? l.config.name;
      if (name === undefined) throw fail(`${where}: layer ${i} (${l.class_name}) has no name`);
      return { className: l.class_name, name, config: l.config, inboundNodes: l.inbound_nodes.map((node) => node.map(inbound)) };
    }),
    inputs: config.input_layers.map(inbound),
    outputs: config.output_layers.map(inbound),
    weights,
  };
}

async function readModelJson(modelJsonPath: string): Promise<{ json: ModelJson; bytes: number; shards: string[][] }> {
  const text = await readModelJsonBytes(modelJsonPath);
  let raw: unknown;
  try {
    raw = JSON.parse(text.toString('utf8'));
  } catch (e) {
    throw fail(`${modelJsonPath} is not JSON: ${(e as Error).message}`, { file: modelJsonPath }, e);
  }
  const json = parseJson(raw, modelJsonPath);
  return { json, bytes: text.byteLength, shards: shardPaths(modelJsonPath, json.weightsManifest) };
}

/** model.json and its shards, in manifest order (what a converted model's cache key covers). */
export async function listTfjsPackageFiles(modelJsonPath: string): Promise<string[]> {
  const { shards } = await readModelJson(modelJsonPath);
  return [resolve(modelJsonPath), ...shards.flat()];
}

/** Reads model.json and its shards from disk; MODEL_LOAD_FAILED when anything is off. */
export async function readTfjsLayersPackage(
  modelJsonPath: string,
): Promise<{ model: TfjsLayersModel; sourceFiles: string[]; sourceBytes: number }> {
  const { json, bytes, shards } = await readModelJson(modelJsonPath);
  const groups = await readShardGroups(shards);
  const sourceBytes = groups.reduce((n, g) => n + g.byteLength, bytes);
  const model = parseTfjsLayersModel(json, groups, modelJsonPath);
  return { model, sourceFiles: [resolve(modelJsonPath), ...shards.flat()], sourceBytes };
}
