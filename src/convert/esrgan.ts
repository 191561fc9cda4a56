/**
 * @module The super-resolution models that ship inside the image as npm packages (upscalerjs'
 * ESRGAN slim/medium/thick, MIT): no Hub download, no network volume. They come as TF.js layers
 * models, so the first use converts one to ONNX into a content-addressed cache and every later
 * use (and every other worker on the same volume) loads the cached file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { WorkerError } from '../errors.js';
import { cachedConversion } from './cache.js';
import { CONVERTER_VERSION, convertTfjsLayers } from './tfjs-layers.js';
import { listTfjsPackageFiles, readTfjsLayersPackage } from './tfjs-package.js';

export interface EmbeddedSrModel {
  packageName: string;
  licence: 'MIT';
  /** The range the TF.js model works in; the converted ONNX model always takes and gives 0..1. */
  inputRange: 1 | 255;
  scales: readonly number[];
  description: string;
}

export const EMBEDDED_SR_MODELS = {
  'esrgan-slim': {
    packageName: '@upscalerjs/esrgan-slim',
    licence: 'MIT',
    inputRange: 255,
    scales: [2, 3, 4, 8],
    description: 'RDN with 2 residual dense blocks (about 0.2 M parameters): the fastest.',
  },
  'esrgan-medium': {
    packageName: '@upscalerjs/esrgan-medium',
    licence: 'MIT',
    inputRange: 255,
    scales: [2, 3, 4, 8],
    description: 'RDN with 10 residual dense blocks (about 0.7 M parameters): between slim and thick.',
  },
  'esrgan-thick': {
    packageName: '@upscalerjs/esrgan-thick',
    licence: 'MIT',
    inputRange: 1,
    scales: [2, 3, 4, 8],
    description: 'RRDN with 10 residual-in-residual dense blocks (about 7 M parameters): the largest and slowest.',
  },
} as const satisfies Readonly<Record<string, EmbeddedSrModel>>;

export type EmbeddedSrModelName = keyof typeof EMBEDDED_SR_MODELS;

function entry(name: string, scale: number): EmbeddedSrModel {
  const m = (EMBEDDED_SR_MODELS as Readonly<Record<string, EmbeddedSrModel>>)[name];
  if (!m) {
    throw new WorkerError(
      'MODEL_NOT_AVAILABLE',
      `no embedded super-resolution model "${name}" (available: ${Object.keys(EMBEDDED_SR_MODELS).join(', ')})`,
      {
        details: { model: name },
      },
    );
  }
  if (!m.scales.includes(scale)) {
    throw new WorkerError('MODEL_NOT_AVAILABLE', `${name} has no ×${scale} model (available: ${m.scales.join(', ')})`, {
      details: { model: name, scale },
    });
  }
  return m;
}

/**
 * The package's root folder. Its `exports` map does not export package.json, so resolve its main
 * entry and walk up to the folder whose package.json carries the package's name.
 */
function packageRoot(packageName: string): string {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve(packageName));
  } catch (e) {
    throw new WorkerError('MODEL_NOT_AVAILABLE', `${packageName} is not installed`, { cause: e, details: { package: packageName } });
  }
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === packageName) return dir;
      } catch {
        // A folder's package.json that is not JSON is not the package's: keep walking.
      }
    }
    const up = dirname(dir);
    if (up === dir)
      throw new WorkerError('MODEL_NOT_AVAILABLE', `cannot find the folder of ${packageName}`, { details: { package: packageName } });
    dir = up;
  }
}

/** Absolute path of `models/x<scale>/model.json` inside the installed package. */
export function embeddedModelJson(name: EmbeddedSrModelName | (string & {}), scale: number): string {
  const m = entry(name, scale);
  const path = join(packageRoot(m.packageName), 'models', `x${scale}`, 'model.json');
  if (!existsSync(path)) {
    throw new WorkerError('MODEL_NOT_AVAILABLE', `${m.packageName} has no models/x${scale}/model.json`, {
      details: { package: m.packageName, scale },
    });
  }
  return path;
}

export interface LoadedSrModel {
  /** The converted ONNX file in the cache. */
  path: string;
  /** True when an earlier conversion was reused. */
  hit: boolean;
  scale: number;
  /** Size of the TF.js sources (model.json and shards). */
  sourceBytes: number;
}

/** Converts (or finds in `cacheDir`) the ONNX form of an embedded model. */
export async function loadEmbeddedSrModel(
  name: EmbeddedSrModelName | (string & {}),
  scale: number,
  o: { cacheDir: string },
): Promise<LoadedSrModel> {
  const m = entry(name, scale);
  const modelJson = embeddedModelJson(name, scale);
  const sourceFiles = await listTfjsPackageFiles(modelJson);
  let sourceBytes = 0;
  for (const f of sourceFiles) sourceBytes += (await stat(f)).size;
  const r = await cachedConversion({
    cacheDir: o.cacheDir,
    sourceFiles,
    converterVersion: CONVERTER_VERSION,
    convert: async () => {
      const { model } = await readTfjsLayersPackage(modelJson);
      const { bytes, facts } = convertTfjsLayers(model, { inputRange: m.inputRange, name: `${name}-x${scale}` });
      const uniform = facts.scaleH === scale && facts.scaleW === scale && facts.offsetH === 0 && facts.offsetW === 0;
      if (!uniform || facts.inputChannels !== 3 || facts.outputChannels !== 3) {
        throw new WorkerError('MODEL_LOAD_FAILED', `${name} ×${scale} is not a ×${scale} RGB upscaler`, {
          details: { model: name, scale, ...facts },
        });
      }
      return bytes;
    },
  });
  return { path: r.path, hit: r.hit, scale, sourceBytes };
}
