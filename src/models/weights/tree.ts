/**
 * @module A checkpoint's nested dicts and lists flattened to dotted names, as torch names
 * parameters: `{'generator': {'blocks.0.weight': t}}` → `generator.blocks.0.weight`. A pickle can
 * make a container hold itself, or share one dict a million times by memo: each container is
 * visited once (a second visit is refused), nesting is bounded, and so is the number of leaves.
 */
import { PickleTuple } from './pickle.js';
import { loadFailed, type WeightsScalar } from './tensor-info.js';

export interface FlattenInput {
  file: string;
  root: unknown;
  isTensor(value: unknown): boolean;
  maxLeaves: number;
}

export interface Flattened {
  tensors: Map<string, unknown>;
  metadata: Map<string, WeightsScalar>;
}

const MAX_DEPTH = 64;

function scalar(value: unknown): WeightsScalar | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

function children(value: unknown): Iterable<[unknown, unknown]> | undefined {
  if (value instanceof Map) return value.entries();
  if (Array.isArray(value)) return value.entries();
  if (value instanceof PickleTuple) return value.items.entries();
  return undefined;
}

export function flattenCheckpoint(input: FlattenInput): Flattened {
  const { file } = input;
  const out: Flattened = { tensors: new Map(), metadata: new Map() };
  const seen = new Set<unknown>();
  const add = (map: Map<string, unknown>, name: string, value: unknown) => {
    if (out.tensors.has(name) || out.metadata.has(name)) throw loadFailed(file, `names "${name}" twice once flattened`);
    if (out.tensors.size + out.metadata.size >= input.maxLeaves) throw loadFailed(file, `holds more than ${input.maxLeaves} values`);
    map.set(name, value);
  };
  const visit = (value: unknown, name: string, depth: number): void => {
    if (input.isTensor(value)) {
      add(out.tensors, name, value);
      return;
    }
    const kids = children(value);
    if (!kids) {
      const s = scalar(value);
      if (s !== undefined) add(out.metadata, name, s);
      return; // Anything else (a bare global) carries no weights.
    }
    if (seen.has(value))
      throw loadFailed(file, `reuses the container at "${name}" (shared or self-referencing dicts are not a state dict)`);
    if (depth >= MAX_DEPTH) throw loadFailed(file, `nests dicts more than ${MAX_DEPTH} deep`);
    seen.add(value);
    for (const [key, child] of kids) {
      const k = scalar(key);
      if (k === undefined) throw loadFailed(file, `has a dict key at "${name}" that is not a string or number`);
      visit(child, name === '' ? String(k) : `${name}.${k}`, depth + 1);
    }
  };
  visit(input.root, '', 0);
  return out;
}
