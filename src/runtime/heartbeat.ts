/**
 * @module The heartbeat: one ping at start, then one every interval, as a re-armed jittered
 * setTimeout (never setInterval). The timer is re-armed when a ping *starts*, so a slow ping never
 * delays the next one, and it shares nothing with job work: it only reads the in-progress ids.
 * Handlers must keep CPU-heavy work off the main thread (worker_threads) or in short slices, or
 * this timer starves like runpod-python's in-process ping did (PR #425).
 */
import { jitterEarly } from '../util/sleep.js';

export interface HeartbeatOptions {
  /** RUNPOD_PING_INTERVAL in ms. */
  intervalMs: number;
  /** Each period is shortened by up to this fraction at random (early, never late). @default 0.1 */
  jitter?: number;
  /** The ids of the jobs in progress now. */
  jobIds: () => readonly string[];
  /** Sends one ping; must not throw. Its timeout is 2 × interval (runpod-python). */
  ping: (jobIds: readonly string[], timeoutMs: number, signal: AbortSignal) => Promise<unknown>;
  random?: () => number;
}

/** Starts pinging now; returns `stop()`, which cancels the timer and any ping in flight. */
export function startHeartbeat({ intervalMs, jitter = 0.1, jobIds, ping, random }: HeartbeatOptions): () => void {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (controller.signal.aborted) return;
    timer = setTimeout(tick, jitterEarly(intervalMs, jitter, random));
    void ping([...jobIds()], intervalMs * 2, controller.signal).catch(() => undefined);
  };
  tick();
  return () => {
    controller.abort();
    clearTimeout(timer);
  };
}
