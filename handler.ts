/**
 * @module The worker's entry point (`node dist/handler.js`): read the configuration, warm up
 * (hardware, models on the volume, ONNX provider), open the default engines' sessions, build the
 * handler for every task, and hand it to the RunPod runtime in the mode the environment asks for.
 */
import { loadConfig } from './src/config.js';
import { toJobErrorBody } from './src/errors.js';
import { createHandler } from './src/dispatch/handler.js';
import { publicLimits } from './src/job/limits.js';
import type { WorkerModels } from './src/inference/warm-up.js';
import { cpuInference } from './src/inference/worker-inference.js';
import { createLogger } from './src/log.js';
import { resolveMediaBinaries, type MediaBinaries } from './src/media/binaries.js';
import { loadPlaygroundPages, playgroundDir } from './src/playground/pages.js';
import { startWorker } from './src/runtime/start.js';

async function main(): Promise<number> {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, pretty: config.logPretty });
  if (config.flags['download-models'] || config.flags['verify-models']) {
    const { runDownloadModelsCommand } = await import('./src/models/prepare.js');
    return runDownloadModelsCommand({ config, log, verify: config.flags['verify-models'] });
  }
  if (config.flags['self-test']) {
    const { runSelfTest } = await import('./src/cli/self-test.js');
    return runSelfTest({ config, log });
  }
  if (config.flags['convert-models']) {
    const { runConvertModelsCommand } = await import('./src/cli/convert-models.js');
    return runConvertModelsCommand({ config, log });
  }
  // Before any job: ensure MODELS on the volume (zero requests when already complete), detect the
  // hardware tier and settle the ONNX execution provider. A failure here must not stop the
  // built-in engine, which needs none of it: it is logged, and the worker serves on.
  // Every engine's licence, in /health and in every result's metadata: the operator chose the weights, the client should know.
  const { engineLicences } = await import('./src/tasks/registry.js');
  const engines = { foley_engine: config.models.foleyEngine ?? null, licences: engineLicences() };
  let describeWorker: (() => unknown) | undefined;
  let models: WorkerModels | undefined;
  try {
    const { warmUpModels } = await import('./src/inference/warm-up.js');
    models = await warmUpModels({ config, log });
    const info = models.describe();
    log.info({ worker: info }, 'worker ready');
    describeWorker = () => ({ ...info, engines });
  } catch (e) {
    log.error({ err: e, error: toJobErrorBody(e) }, 'warm-up failed: learned models are unavailable; the built-in engine still works');
  }
  let binaries: MediaBinaries | undefined;
  const deps = {
    config,
    models,
    // Warm-up's sessions and hardware; without warm-up, the CPU's.
    inference: models ?? cpuInference({ config, log }),
    log,
    // Resolved on first use and kept: a missing ffmpeg fails jobs with FFMPEG_NOT_FOUND instead
    // of stopping the worker, so /health and the error stay reachable.
    binaries: () => {
      if (!binaries) {
        binaries = resolveMediaBinaries({ ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath, searchPath: config.searchPath });
        log.info({ sources: binaries.sources }, 'ffmpeg found');
      }
      return binaries;
    },
    ...(describeWorker ? { describeWorker } : {}),
  };
  // The sessions the default engines need go into the worker's cache now, before the first job
  // is taken. A model that does not load is a warning, never a stop: its jobs try again.
  const { warmDefaultSessions } = await import('./src/tasks/warm-sessions.js');
  await warmDefaultSessions(deps, log);
  const handler = createHandler(deps);
  const { payloadJsonSchema } = await import('./src/dispatch/schema.js');
  // The local API's playground page; read only when the API starts.
  const pages = () => {
    const found = loadPlaygroundPages();
    if (!found) log.warn({ dir: playgroundDir() }, 'the playground page is not built (npm run build): GET / answers 404');
    return found;
  };
  // /health's `worker`: the hardware and models (when warm-up worked) and what a client may send.
  const limits = publicLimits(config);
  const health = () => ({ ...(describeWorker ? (describeWorker() as object) : { engines }), limits });
  return startWorker({ handler, config, log, cwd: process.cwd(), payloadSchema: payloadJsonSchema, pages, describeWorker: health });
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
