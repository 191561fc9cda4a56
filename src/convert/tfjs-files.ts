/**
 * @module The files of a TF.js model, layers or graph alike: model.json names its weight shards
 * in `weightsManifest` groups; the shards are read group by group. Shard paths come from the file,
 * so they must stay inside the model's folder. Every failure is MODEL_LOAD_FAILED.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { WorkerError } from '../errors.js';

export function modelLoadFailed(message: string, details?: unknown, cause?: unknown): WorkerError {
  return new WorkerError('MODEL_LOAD_FAILED', message, { details, cause });
}

/** model.json's bytes (MODEL_LOAD_FAILED when unreadable). */
export async function readModelJsonBytes(modelJsonPath: string): Promise<Buffer> {
  try {
    return await readFile(modelJsonPath);
  } catch (e) {
    throw modelLoadFailed(`cannot read ${modelJsonPath}: ${(e as Error).message}`, { file: modelJsonPath }, e);
  }
}

/** The manifest's shard paths, absolute, refused when one leaves the model's folder. */
export function shardPaths(modelJsonPath: string, manifest: ReadonlyArray<{ paths: readonly string[] }>): string[][] {
  const dir = dirname(modelJsonPath);
  return manifest.map((g) =>
    g.paths.map((p) => {
      const abs = resolve(dir, p);
      const rel = relative(dir, abs);
      if (rel.startsWith('..') || isAbsolute(rel))
        throw modelLoadFailed(`${modelJsonPath}: weight path ${p} leaves the model's folder`, { path: p });
      return abs;
    }),
  );
}

/** One byte array per manifest group: its shards read and joined in order. */
export async function readShardGroups(shards: readonly (readonly string[])[]): Promise<Buffer[]> {
  const groups: Buffer[] = [];
  for (const paths of shards) {
    const parts: Uint8Array[] = [];
    for (const p of paths) {
      try {
        parts.push(await readFile(p));
      } catch (e) {
        throw modelLoadFailed(`cannot read weight shard ${p}: ${(e as Error).message}`, { file: p }, e);
      }
    }
    groups.push(Buffer.concat(parts));
  }
  return groups;
}
