/**
 * @module Abortable delays and jittered backoff, the only timing primitives the runtime's loops
 * use (graphile/worker style: re-armed setTimeout, never setInterval).
 */

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
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
