/**
 * @module One signal that stops every part of a long run (decoder, model, encoder): the caller's
 * abort, or the run's own timeout. `timedOut()` tells the two apart when the run fails, so the
 * error can be TIMED_OUT rather than CANCELLED; `dispose()` disarms both.
 */
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
