/**
 * @module The vision models that ship inside `@vladmandic/human` (MIT; weights from TF Hub /
 * Google, Apache-2.0): CenterNet (MobileNetV3, 80 COCO classes) and MoveNet Lightning (17 body
 * keypoints). Both are TF.js graph models; the first use converts each to ONNX into the
 * content-addressed cache (cache.ts), cut where the in-graph post-processing (TopK, ArgMax,
 * GatherNd) begins: that part is done in TypeScript (src/vision/), batch-friendly.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { WorkerError } from '../errors.js';
import { cachedConversion } from './cache.js';
import { GRAPH_CONVERTER_VERSION, convertTfjsGraph, type GraphConvertOptions } from './tfjs-graph.js';
import { listTfjsGraphFiles, readTfjsGraphPackage } from './tfjs-graph-package.js';

export const HUMAN_PACKAGE = '@vladmandic/human';

const MN = 'StatefulPartitionedCall';

/** What each converted model takes and gives (all NHWC, as in the TF.js model). */
export const HUMAN_MODELS = {
  centernet: {
    file: 'centernet.json',
    input: 'tower_0/images',
    /** Float RGB 0..255 [N,H,W,3], H and W multiples of 32 (the declared size is 512×512). */
    dims: ['N', 'H', 'W', 3],
    /** Class heatmap after sigmoid [N,H/4,W/4,80]; box extents in input pixels [N,H/4,W/4,4] (left, top, right, bottom). */
    outputs: ['tower_0/keypoints', 'tower_0/wh'],
    dynamicResize: true,
  },
  'movenet-lightning': {
    file: 'movenet-lightning.json',
    input: 'input',
    /** Int32 RGB 0..255 [N,192,192,3]. */
    dims: ['N', 192, 192, 3],
    /**
     * Keypoint heatmaps after sigmoid [N,48,48,17]; person-centre score weighted towards the
     * crop's centre [N,48,48,1]; keypoint offsets from the centre [N,48,48,34] (y,x per keypoint,
     * in heatmap cells); sub-cell offsets [N,48,48,34].
     */
    outputs: [`${MN}/Sigmoid`, `${MN}/truediv_2`, `${MN}/kpt_regress_0/conv2d_6/BiasAdd`, `${MN}/kpt_offset_0/conv2d_7/BiasAdd`],
    dynamicResize: false,
  },
} as const;

export type HumanModelName = keyof typeof HUMAN_MODELS;

function packageRoot(): string {
  try {
    // The package's exports map hides package.json; its main entry sits in dist/.
    let dir = dirname(createRequire(import.meta.url).resolve(HUMAN_PACKAGE));
    while (!existsSync(join(dir, 'models'))) {
      const up = dirname(dir);
      if (up === dir) throw new Error('no models folder');
      dir = up;
    }
    return dir;
  } catch (e) {
    throw new WorkerError('MODEL_NOT_AVAILABLE', `${HUMAN_PACKAGE} is not installed`, { cause: e, details: { package: HUMAN_PACKAGE } });
  }
}

/** Absolute path of a model's model.json inside the installed package. */
/** Each model's model.json in `dir` (VISION_MODELS_DIR), for models kept outside the package. */
export function humanModelsIn(dir: string): Record<HumanModelName, string> {
  return Object.fromEntries(
    (Object.keys(HUMAN_MODELS) as HumanModelName[]).map((name) => [name, join(dir, HUMAN_MODELS[name].file)]),
  ) as Record<HumanModelName, string>;
}

export function humanModelJson(name: HumanModelName): string {
  const path = join(packageRoot(), 'models', HUMAN_MODELS[name].file);
  if (!existsSync(path))
    throw new WorkerError('MODEL_NOT_AVAILABLE', `${HUMAN_PACKAGE} has no models/${HUMAN_MODELS[name].file}`, { details: { model: name } });
  return path;
}

/** The conversion options of a model (exported for the parity tests). */
export function humanConvertOptions(name: HumanModelName): GraphConvertOptions {
  const m = HUMAN_MODELS[name];
  return {
    name,
    outputs: m.outputs,
    inputs: { [m.input]: m.dims },
    dynamicResize: m.dynamicResize,
    metadata: { source_package: HUMAN_PACKAGE, source_model: m.file },
  };
}

export interface ConvertedHumanModel {
  /** The ONNX file in the cache. */
  path: string;
  hit: boolean;
  /** Wall time of conversion (or of the cache check on a hit), ms. */
  ms: number;
}

/** Converts (or finds in `cacheDir`) a human model's ONNX form. MODEL_LOAD_FAILED when it cannot. */
export async function convertHumanModel(name: HumanModelName, o: { cacheDir: string; modelJson?: string }): Promise<ConvertedHumanModel> {
  const t0 = performance.now();
  const modelJson = o.modelJson ?? humanModelJson(name);
  const opts = humanConvertOptions(name);
  const r = await cachedConversion({
    cacheDir: o.cacheDir,
    sourceFiles: await listTfjsGraphFiles(modelJson),
    // The cut (outputs) and input dims are part of what is built: part of the key.
    converterVersion: `${GRAPH_CONVERTER_VERSION};${name};${JSON.stringify(opts)}`,
    convert: async () => convertTfjsGraph(await readTfjsGraphPackage(modelJson), opts),
  });
  return { path: r.path, hit: r.hit, ms: performance.now() - t0 };
}
