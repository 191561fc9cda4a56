/**
 * @module Running out of memory in a model run, the one way every task handles it: recognise
 * ORT's and CUDA's messages, try once more with a smaller unit of work (tiles, frames per run),
 * and when that runs out of memory too (or there is nothing smaller), fail with OUT_OF_MEMORY
 * saying what to send instead. Upscale and interpolate run through here.
 */
import { WorkerError } from '../errors.js';

/** ORT's and CUDA's ways of saying a buffer could not be had. */
export function isOutOfMemory(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /out of memory|CUDA_ERROR_OUT_OF_MEMORY|cudaErrorMemoryAllocation|Failed to allocate memory|bad_alloc/i.test(m);
}

export interface OutOfMemoryRetry<S, R> {
  /** The unit of work to start with (a tile side, frames per run). */
  size: S;
  run(size: S): Promise<R>;
  /** The smaller size to try once after running out of memory at `size`; `undefined`: there is none. */
  smaller(size: S): S | undefined;
  /** Hears the retry before it starts (to log it). */
  onRetry?(from: S, to: S, cause: unknown): void;
  /**
   * OUT_OF_MEMORY's message and details for the last size tried: `retried` is false when the
   * first size failed with nothing smaller to try, true when the smaller size failed too.
   */
  exhausted(size: S, retried: boolean): { message: string; details?: Record<string, unknown> };
}

export interface OutOfMemoryOutcome<S, R> {
  result: R;
  /** The size that worked. */
  size: S;
  /** The size that ran out of memory before it, when there was a retry (the job should say so). */
  retriedFrom?: S;
}

/** `run(size)`, once more at `smaller(size)` after running out of memory, then OUT_OF_MEMORY. */
export async function retryOnOutOfMemory<S, R>(o: OutOfMemoryRetry<S, R>): Promise<OutOfMemoryOutcome<S, R>> {
  try {
    return { result: await o.run(o.size), size: o.size };
  } catch (e) {
    if (!isOutOfMemory(e)) throw e;
    const next = o.smaller(o.size);
    if (next === undefined) throw outOfMemory(o.exhausted(o.size, false), e);
    o.onRetry?.(o.size, next, e);
    try {
      return { result: await o.run(next), size: next, retriedFrom: o.size };
    } catch (e2) {
      if (!isOutOfMemory(e2)) throw e2;
      throw outOfMemory(o.exhausted(next, true), e2);
    }
  }
}

function outOfMemory(what: { message: string; details?: Record<string, unknown> }, cause: unknown): WorkerError {
  return new WorkerError('OUT_OF_MEMORY', what.message, { cause, ...(what.details ? { details: what.details } : {}) });
}
