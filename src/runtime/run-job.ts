/**
 * @module Runs one job through a handler and turns whatever happens into a `JobResult`. Shared by
 * every mode so that a job fails the same way in test mode, the local API and on the platform.
 */
import { toJobErrorString } from '../errors.js';
import { logJobFailure } from '../log.js';
import type { Handler, Job, JobContext, JobResult } from './types.js';

export interface RunJobOptions {
  handler: Handler;
  job: Job;
  ctx: JobContext;
  /** Called with each partial output of a streaming handler, in order. */
  onPartial?: (partial: unknown) => Promise<void> | void;
  /** Called once when the handler turns out to be a streaming one (it returned an AsyncIterable). */
  onStream?: () => void;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

export async function runJob({ handler, job, ctx, onPartial, onStream }: RunJobOptions): Promise<JobResult> {
  try {
    const returned = handler(job, ctx);
    if (isAsyncIterable(returned)) {
      onStream?.();
      const partials: unknown[] = [];
      for await (const partial of returned) {
        partials.push(partial);
        await onPartial?.(partial);
      }
      return { output: partials };
    }
    return { output: await returned };
  } catch (e) {
    // Stack and cause chain go to our logs only (a client's bad input once, at warn, without
    // them); the client gets code + message.
    const err = logJobFailure(ctx.log, e);
    return { error: toJobErrorString(err) };
  }
}
