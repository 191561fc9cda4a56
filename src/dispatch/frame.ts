/**
 * @module The job frame: what every task's job shares. It makes the scratch directory (removed
 * when the job ends, success or failure; scratch.ts sweeps what a killed worker left), times the
 * job, runs the task, delivers the file it made, and writes the result's common fields around the
 * task's own: where the file is, `mime`, `bytes`, `duration`, `timings_ms`, `warnings`, `metadata`.
 */
import type { JobContext } from '../runtime/types.js';
import type { Config } from '../config.js';
import type { TaskDeps, TaskJob, TaskRunner } from '../job/task.js';
import type { Delivery } from '../job/fields.js';
import { deliver } from './deliver.js';
import { makeJobScratch, removeJobScratch } from '../util/scratch.js';

export interface FrameDeps extends Omit<TaskDeps, 'config'> {
  /** The whole configuration: the frame delivers (bucket, output folder) where tasks do not. */
  config: Readonly<Config>;
  /** What the worker is (hardware tier, provider, models), copied into every result's `metadata`. */
  describeWorker?: (() => unknown) | undefined;
}

/** Job ids come from the platform; keep only what is safe in a file name. */
export function safeName(id: string): string {
  return id.replace(/[^\w.-]/g, '_').slice(0, 120) || 'job';
}

export async function runInFrame<I extends { task: string; delivery: Delivery }>(
  runner: TaskRunner<I>,
  input: I,
  ctx: JobContext,
  deps: FrameDeps,
): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  // Inside this worker's own scratch parent, so a restart can tell its leftovers from a live worker's.
  const workDir = await makeJobScratch(deps.config.workDir, `${input.task}-job-`);
  const job: TaskJob = {
    ctx,
    workDir,
    warnings: [],
    timings,
    mark(name, since) {
      const now = performance.now();
      timings[name] = Math.round(now - since);
      return now;
    },
  };
  try {
    const out = await runner(input, job);
    const t = performance.now();
    const id = safeName(ctx.id);
    const { config } = deps;
    const delivered = await deliver({
      file: out.file,
      jobId: id,
      name: `${id}.${out.ext}`,
      contentType: out.mime,
      delivery: input.delivery,
      mode: ctx.mode,
      outputDir: config.outputDir,
      maxBase64Bytes: config.maxBase64Bytes,
      bucket: config.bucket,
      signal: ctx.signal,
    });
    job.mark('deliver', t);
    job.mark('total', t0);
    const where =
      delivered.kind === 'url'
        ? { [`${out.kind}_url`]: delivered.url, url_expires_at: delivered.expiresAt }
        : delivered.kind === 'path'
          ? { [`${out.kind}_path`]: delivered.path }
          : { [`${out.kind}_base64`]: delivered.base64 };
    return {
      ...where,
      mime: out.mime,
      bytes: delivered.bytes,
      duration: Number(out.duration.toFixed(3)),
      ...out.fields,
      timings_ms: timings,
      warnings: job.warnings,
      ...(deps.describeWorker ? { metadata: deps.describeWorker() } : {}),
    };
  } finally {
    await removeJobScratch(workDir);
  }
}
