/**
 * @module The contract between the RunPod runtime and a handler. The runtime knows RunPod and
 * nothing of Foley: it hands a job's raw `input` to a `Handler` and reports what comes back.
 */
import type { Logger } from 'pino';

/** A job as the platform (or the local API, or test mode) delivers it. */
export interface Job {
  id: string;
  input: unknown;
}

/** How the worker was started; handlers may pick defaults by it (e.g. where results go). */
export type RunMode = 'test' | 'api' | 'platform';

export interface JobContext {
  readonly id: string;
  readonly mode: RunMode;
  /** Fires on cancel, execution timeout or forced shutdown. Pass it to every long operation. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Report progress to the client; throttled by the runtime, never sent after the final result. */
  progress(update: unknown): void;
}

/**
 * A handler returns the job's output (any JSON value), or yields partial outputs for streaming.
 * It throws to fail the job; the runtime maps the error to the wire shape with `toJobErrorString`.
 */
export type Handler = (job: Job, ctx: JobContext) => Promise<unknown> | AsyncIterable<unknown>;

/** What a finished job reports: exactly one of `output` or `error` (a JSON string). */
export type JobResult = { output: unknown } | { error: string };

/**
 * Called by the platform loop before each job-take with the current concurrency; returns the new one
 * (runpod-python's `concurrency_modifier`). Values below 1 are ignored.
 */
export type ConcurrencyModifier = (current: number) => number;
