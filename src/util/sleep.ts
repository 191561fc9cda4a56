/**
 * @module The one home of waiting and backing off, used by the runtime's loops, the model
 * downloads and the URL downloads alike: abortable delays, jittered exponential backoff and a
 * retry loop (graphile/worker style: re-armed setTimeout, never setInterval).
 */

/**
 * Resolves after `ms`. When `signal` aborts first it resolves early (the loops' default: they
 * check the signal themselves), or rejects with the signal's reason when `rejectOnAbort` is set.
 */
export function sleep(ms: number, signal?: AbortSignal, { rejectOnAbort = false }: { rejectOnAbort?: boolean } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const end = (): void => (rejectOnAbort ? reject(signal?.reason) : resolve());
    if (signal?.aborted) return end();
    const onAbort = (): void => {
      clearTimeout(timer);
      end();
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface BackoffOptions {
  /** Delay after the first failure, in ms. */
  baseMs: number;
  /** Upper bound of any delay, in ms. */
  maxMs: number;
  /** Source of randomness in [0, 1); injectable for tests. @default Math.random */
  random?: () => number;
}

/**
 * "Equal jitter" exponential backoff: half the exponential delay is fixed, half random, so
 * workers that failed together do not retry together and a delay is never near zero.
 * `attempt` counts from 1.
 */
export function backoffDelay(attempt: number, { baseMs, maxMs, random = Math.random }: BackoffOptions): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** `ms` shortened by up to `fraction` of itself, at random: a periodic timer jittered early, never late. */
export function jitterEarly(ms: number, fraction: number, random: () => number = Math.random): number {
  return Math.round(ms * (1 - fraction * random()));
}

export interface RetryOptions {
  /** Attempts in all (the first included). */
  attempts: number;
  /** Whether a failure is worth another attempt; the last failure is always thrown. */
  retryable: (e: unknown) => boolean;
  /** Delay before attempt n+1 after failed attempt n (1-based). */
  delayMs: (attempt: number) => number;
  /** Aborting stops the waiting at once and rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Called before each wait, e.g. to log the failure. */
  onRetry?: (e: unknown, attempt: number) => void;
}

/** Runs `call` until it succeeds, a failure is not retryable, or the attempts are spent. */
export async function retry<T>(call: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (e) {
      if (o.signal?.aborted || attempt >= o.attempts || !o.retryable(e)) throw e;
      o.onRetry?.(e, attempt);
      await sleep(o.delayMs(attempt), o.signal, { rejectOnAbort: true });
    }
  }
}
