/**
 * @module `--convert-models`: converts every embedded model into the cache — the super-resolution
 * models at every scale and the Foley task's vision models — so an image built with it (the
 * Dockerfile does) starts its first job without converting. With FOLEY_ENGINE naming a learned
 * network, its weights are fetched onto the volume and converted into ENGINE_GRAPHS_DIR too (run
 * it from a pod that mounts the volume).
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { EMBEDDED_SR_MODELS, loadEmbeddedSrModel } from '../convert/esrgan.js';
import { convertHumanModel, HUMAN_MODELS, humanModelsIn, type HumanModelName } from '../convert/human.js';
import { toJobErrorBody } from '../errors.js';
import { isHvfEngineName, isMmaudioEngineName } from '../models/engine-files.js';
import { prepareModels } from '../models/prepare.js';
import { convertHvfAhead } from '../pipelines/foley/engines/hunyuan/index.js';
import { convertMmaudioAhead } from '../pipelines/foley/engines/mmaudio/index.js';

export async function runConvertModelsCommand({ config, log }: { config: Readonly<Config>; log: Logger }): Promise<number> {
  let failed = 0;
  for (const [name, entry] of Object.entries(EMBEDDED_SR_MODELS)) {
    for (const scale of entry.scales) {
      const t = performance.now();
      try {
        const m = await loadEmbeddedSrModel(name as keyof typeof EMBEDDED_SR_MODELS, scale, { cacheDir: config.models.convertedDir });
        log.info({ model: name, scale, path: m.path, cached: m.hit, ms: Math.round(performance.now() - t) }, 'embedded model ready');
      } catch (e) {
        failed++;
        log.error({ model: name, scale, error: toJobErrorBody(e) }, 'embedded model could not be converted');
      }
    }
  }
  const sources = config.models.visionDir ? humanModelsIn(config.models.visionDir) : undefined;
  for (const name of Object.keys(HUMAN_MODELS) as HumanModelName[]) {
    try {
      const m = await convertHumanModel(name, { cacheDir: config.models.convertedDir, ...(sources ? { modelJson: sources[name] } : {}) });
      log.info({ model: name, path: m.path, cached: m.hit, ms: Math.round(m.ms) }, 'vision model ready');
    } catch (e) {
      failed++;
      log.error({ model: name, error: toJobErrorBody(e) }, 'vision model could not be converted');
    }
  }
  failed += await convertLearnedEngine({ config, log });
  return failed === 0 ? 0 : 1;
}

/**
 * FOLEY_ENGINE's weights onto the volume (MODELS' store: lock, resume, sha256) and converted into
 * ENGINE_GRAPHS_DIR, so the workers that mount the volume start without converting. 0 or 1 failure.
 */
async function convertLearnedEngine({ config, log }: { config: Readonly<Config>; log: Logger }): Promise<number> {
  const name = config.models.foleyEngine;
  if (name === undefined || !(isMmaudioEngineName(name) || isHvfEngineName(name))) return 0;
  try {
    const registry = await prepareModels({ config, log });
    const onComponent = (c: { component: string; hit: boolean; convertMs: number }): void =>
      log.info({ engine: name, component: c.component, cached: c.hit, ms: Math.round(c.convertMs) }, 'learned engine graph ready');
    if (isMmaudioEngineName(name)) await convertMmaudioAhead(name, { registry, models: config.models, onComponent });
    else await convertHvfAhead(name, { registry, models: config.models, onComponent });
    return 0;
  } catch (e) {
    log.error({ engine: name, error: toJobErrorBody(e) }, 'learned engine could not be converted');
    return 1;
  }
}
