/**
 * @module `--convert-models`: converts every embedded model into the cache — the super-resolution
 * models at every scale and the Foley task's vision models — so an image built with it (the
 * Dockerfile does) starts its first job without converting.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { EMBEDDED_SR_MODELS, loadEmbeddedSrModel } from '../convert/esrgan.js';
import { convertHumanModel, HUMAN_MODELS, humanModelsIn, type HumanModelName } from '../convert/human.js';
import { toJobErrorBody } from '../errors.js';

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
  return failed === 0 ? 0 : 1;
}
