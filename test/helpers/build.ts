/**
 * Compiles the sources once into dist/.test-build (not dist/ itself, which other tests run from),
 * for tests that spawn worker processes. Under dist/ so node_modules still resolves.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = new URL('../..', import.meta.url).pathname;
export const TEST_BUILD = join(ROOT, 'dist', '.test-build');

let built: Promise<string> | undefined;

export function buildForChildren(): Promise<string> {
  built ??= promisify(execFile)(
    join(ROOT, 'node_modules', '.bin', 'tsc'),
    ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', TEST_BUILD, '--tsBuildInfoFile', join(TEST_BUILD, '.tsbuildinfo')],
    {
      cwd: ROOT,
    },
  ).then(() => TEST_BUILD);
  return built;
}
