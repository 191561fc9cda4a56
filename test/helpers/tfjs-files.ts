/**
 * A TF.js model's files (model.json + shards) as an in-memory IO handler, for the reference runs of
 * @tensorflow/tfjs in the parity tests.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tfc from '@tensorflow/tfjs-core';

export async function tfjsFromFiles(modelJson: string): Promise<tfc.io.IOHandler> {
  const json = JSON.parse(await readFile(modelJson, 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tfc.io.WeightsManifestEntry[] }[];
  };
  const shards = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(join(dirname(modelJson), p))));
  const all = Buffer.concat(shards);
  return tfc.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  });
}
