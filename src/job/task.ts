/**
 * @module What a task is, for the registry (src/tasks/registry.ts): its payload schema, the engines
 * it can run with the Hub repos each needs, and a runner that does the task's own work. What every
 * task shares — the scratch directory, getting and probing the video, delivery, timings, the
 * result's common fields — is the job frame's (src/dispatch/frame.ts), so a task folder owns only its
 * own work and knows nothing of RunPod.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Config, InputLimits } from '../config.js';
import type { WorkerModels } from '../inference/warm-up.js';
import type { WorkerInference } from '../inference/worker-inference.js';
import type { MediaBinaries } from '../media/binaries.js';
import type { Delivery, SourceKind } from './fields.js';
import type { ModelsConfig } from '../models/options.js';
import type { AddressPolicy } from '../storage/address-policy.js';
import type { Resolver } from '../storage/download.js';

/**
 * An engine (the algorithm) a task can run, and the models (the weights: Hub repos) it needs on
 * the volume. Foley's come from its engine list (src/pipelines/foley/engines/index.ts).
 */
export interface EngineEntry {
  name: string;
  /** Hub repos (from MODELS) it needs; empty for built-in or embedded engines. */
  models: readonly string[];
  description: string;
  /** The licence of its weights, in a line (for /health); absent for an engine without weights. */
  licence?: string | undefined;
}

/**
 * The part of the worker's configuration a task works with: where sources may come from and how
 * large they may be, the limits, ffmpeg's time, and the models' settings. No secret is in it — no
 * bucket, no RunPod or local-API key, no Hub token — and nothing of the runtime's settings.
 */
export interface TaskConfig {
  volumeDir: string;
  samplesDir: string;
  maxInputBytes: number;
  maxBase64Bytes: number;
  ffmpegTimeoutMs: number;
  limits: InputLimits;
  models: Omit<ModelsConfig, 'token'>;
}

/** A task's configuration picked field by field from the worker's (never spread: a new secret stays out). */
export function taskConfig(config: Readonly<Config>): Readonly<TaskConfig> {
  const { token: _token, ...models } = config.models;
  return {
    volumeDir: config.volumeDir,
    samplesDir: config.samplesDir,
    maxInputBytes: config.maxInputBytes,
    maxBase64Bytes: config.maxBase64Bytes,
    ffmpegTimeoutMs: config.ffmpegTimeoutMs,
    limits: { ...config.limits },
    models,
  };
}

/** What tasks get from the handler: their configuration, media binaries, inference, the warm-up's models. */
export interface TaskDeps {
  config: Readonly<TaskConfig>;
  /** Resolved once per process; a failure becomes the job's FFMPEG_NOT_FOUND error. */
  binaries: () => MediaBinaries;
  /**
   * The hardware and the worker-wide session cache every task opens its sessions through. Always
   * there: warm-up's, or a CPU description and a fresh cache when warm-up did not run.
   */
  inference: WorkerInference;
  /** The models on the volume (MODELS), from warm-up; absent when it failed or did not run. */
  models?: WorkerModels | undefined;
  /** The worker's logger, for what a task says once when it is built (e.g. engines left unavailable). */
  log?: Logger | undefined;
  /** Overrides for URL inputs (tests): which addresses may be reached, and how names resolve. */
  download?: { policy?: AddressPolicy; resolve?: Resolver } | undefined;
}

/**
 * What a task sees of the job it runs: the signal to pass to every long operation, the job's
 * logger, and progress to report. The runtime's job context is more (its id, the run mode); the
 * frame hands a task this much, so tasks know nothing of how the job came.
 */
export interface TaskContext {
  readonly signal: AbortSignal;
  readonly log: Logger;
  progress(update: unknown): void;
}

/** One job as the frame hands it to a task. */
export interface TaskJob {
  ctx: TaskContext;
  /** The job's scratch directory, removed when the job ends. */
  workDir: string;
  /** Things the user should know; returned in the result. */
  warnings: string[];
  /** Milliseconds per stage; `mark(name, since)` records one and returns now. */
  timings: Record<string, number>;
  mark(name: string, since: number): number;
}

/** What a task hands back to the frame for delivery. */
export interface TaskOutput {
  /** The finished file, in the scratch directory. */
  file: string;
  /** Its extension, which is also the result file's. */
  ext: string;
  mime: string;
  /** Names the result's location field: `video_url`/`video_path`/… or `audio_…`. */
  kind: 'video' | 'audio';
  /** Seconds of media in the result. */
  duration: number;
  /** The task's own result fields, in the order they should appear. */
  fields: Record<string, unknown>;
}

export type TaskRunner<I> = (input: I, job: TaskJob) => Promise<TaskOutput>;

export interface TaskDefinition<I extends { task: string; delivery: Delivery } = { task: string; delivery: Delivery }> {
  readonly name: I['task'];
  readonly description: string;
  /** The task's payload, strict (unknown fields rejected by name), `task` included. */
  readonly schema: z.ZodType<I>;
  readonly engines: readonly EngineEntry[];
  /**
   * Source kinds that stand for one another (exactly one field over the group: Foley's video or
   * still); a kind in no group is its own. For the JSON Schema, which says what the refinement checks.
   */
  readonly sourceGroups?: readonly (readonly SourceKind[])[];
  /** Built once per handler; keeps what the task reuses across jobs (e.g. sessions). */
  create(deps: TaskDeps): TaskRunner<I>;
}
