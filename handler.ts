/**
 * @module The worker's entry point (`node dist/handler.js`): read the configuration, build the
 * Foley handler, and hand it to the RunPod runtime in the mode the environment asks for.
 */
import { loadConfig } from './src/config.js';
import { toJobErrorBody } from './src/errors.js';
import { createFoleyHandler } from './src/job/handler.js';
import { createLogger } from './src/log.js';
import { resolveMediaBinaries, type MediaBinaries } from './src/media/binaries.js';
import { startWorker } from './src/runtime/start.js';

async function main(): Promise<number> {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, pretty: config.logPretty });
  let binaries: MediaBinaries | undefined;
  const handler = createFoleyHandler({
    config,
    // Resolved on first use and kept: a missing ffmpeg fails jobs with FFMPEG_NOT_FOUND instead
    // of stopping the worker, so /health and the error stay reachable.
    binaries: () => {
      if (!binaries) {
        binaries = resolveMediaBinaries({ ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath, searchPath: config.searchPath });
        log.info({ sources: binaries.sources }, 'ffmpeg found');
      }
      return binaries;
    },
  });
  return startWorker({ handler, config, log, cwd: process.cwd() });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Startup errors (bad env or flags) are reported in the same coded shape as job errors.
    process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'worker could not start', error: toJobErrorBody(e) })}\n`);
    process.exitCode = 1;
  },
);
