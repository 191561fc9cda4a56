// A worker process for cross-process tests: `--download-models` as the built entry runs it.
// Argv and env are the worker's; FOLEY_BUILD_DIR names the compiled sources.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.env.FOLEY_BUILD_DIR;
const load = (p) => import(pathToFileURL(join(dir, p)).href);
const { loadConfig } = await load('src/config.js');
const { createLogger } = await load('src/log.js');
const { runDownloadModelsCommand } = await load('src/models/prepare.js');
const config = loadConfig(process.env, process.argv.slice(2));
const log = createLogger({ level: 'debug' });
process.exitCode = await runDownloadModelsCommand({ config, log, logEveryMs: 200 });
