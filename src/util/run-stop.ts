/**
 * @module One signal that stops every part of a long run (decoder, model, encoder): the caller's
 * abort, or the run's own timeout. `timedOut()` tells the two apart when the run fails, so the
 * error can be TIMED_OUT rather than CANCELLED (`failRun`); `dispose()` disarms both.
 */
import { rm } from 'node:fs/promises';
import { WorkerError, cancelledError } from '../errors.js';

export interface RunStop {
  readonly signal: AbortSignal;
  /** Stop now (e.g. one part failed: the others must not wait). */
  abort(reason: unknown): void;
  timedOut(): boolean;
  dispose(): void;
}

export function runStop(caller: AbortSignal | undefined, timeoutMs: number): RunStop {
  const stop = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort(new Error('timeout'));
  }, timeoutMs);
  timer.unref();
  const onAbort = (): void => stop.abort(caller?.reason);
  caller?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: stop.signal,
    abort: (reason) => stop.abort(reason),
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    },
  };
}

/** How long a failed or aborted run waits for the model call in flight to return. */
export const SETTLE_MS = 2000;

function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([p.then(() => undefined), cap]).finally(() => clearTimeout(timer));
}

export interface FailedRun {
  stop: RunStop;
  /** The caller's signal: aborted means CANCELLED. */
  caller: AbortSignal | undefined;
  /**
   * Closes each process of the run (decoder, encoder, …), once every part has been told to stop;
   * each promise resolves once its process has exited.
   */
  close: () => ReadonlyArray<Promise<unknown> | undefined>;
  /** Resolves once the model call in flight (if any) has returned. */
  modelSettled?: Promise<unknown> | undefined;
  /** The half-written output, deleted. */
  output: string;
  /** The TIMED_OUT message, e.g. "upscaling did not finish within 60000 ms (12 frames done)". */
  timedOutMessage: string;
}

/**
 * The failure path of a streamed run, the same whatever the run does: every part stopped, and
 * before the caller hears of it the processes have exited and the model call in flight has
 * returned (so the caller may release its session; at most SETTLE_MS), the output is gone, and
 * the error says why: TIMED_OUT for the run's own timeout, CANCELLED for the caller's abort, else
 * the error itself.
 */
export async function failRun(e: unknown, o: FailedRun): Promise<never> {
  o.stop.abort(e);
  await Promise.allSettled([...o.close(), settleWithin(o.modelSettled ?? Promise.resolve(), SETTLE_MS)]);
  await rm(o.output, { force: true }).catch(() => undefined);
  if (o.stop.timedOut()) throw new WorkerError('TIMED_OUT', o.timedOutMessage, { cause: e });
  if (o.caller?.aborted) throw cancelledError(o.caller.reason);
  throw e;
}
