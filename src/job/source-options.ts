/**
 * @module The guards every source of a job is materialized under (path roots, byte limit, the
 * URL download's address policy and timeouts), from the configuration and the task's deps, so
 * an image or an audio track is held to exactly what a video is.
 */
import type { TaskDeps, TaskJob } from './task.js';
import type { SourceOptions } from './source.js';

export function jobSourceOptions(deps: TaskDeps, job: TaskJob): SourceOptions {
  const { config } = deps;
  const { limits } = config;
  return {
    roots: [config.volumeDir, config.samplesDir],
    workDir: job.workDir,
    maxInputBytes: config.maxInputBytes,
    download: {
      allowPrivate: limits.allowPrivateUrls,
      timeoutMs: limits.downloadTimeoutMs,
      connectTimeoutMs: limits.connectTimeoutMs,
      maxRedirects: limits.maxRedirects,
      ...deps.download,
    },
    signal: job.ctx.signal,
  };
}
