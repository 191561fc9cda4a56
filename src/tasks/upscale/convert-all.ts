/**
 * @module `--convert-models`: converts every embedded model at every scale into the cache, so an
 * image built with it (the Dockerfile does) starts its first upscale job without converting.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { EMBEDDED_SR_MODELS, loadEmbeddedSrModel } from '../../convert/esrgan.js';
import { toJobErrorBody } from '../../errors.js';

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
  return failed === 0 ? 0 : 1;
}
