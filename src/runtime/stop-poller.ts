/**
 * @module The job-stop channel (runpod-python ≥ 1.10, PR #510): a long-polled GET on the job-take URL
 * with `/job-stop/` in place of `/job-take/`, answering `{"jobsToStop": [ids]}`. Each id aborts
 * that job's AbortSignal. Platforms without the channel answer 404, which ends the poller quietly.
 */
import type { Logger } from 'pino';
import type { PlatformClient } from './platform-client.js';
import { backoffDelay, sleep } from '../util/sleep.js';

export interface StopPollerOptions {
  client: Pick<PlatformClient, 'pollStop'>;
  /** Called with each job id the platform wants stopped. */
  onStop: (jobId: string) => void;
  signal: AbortSignal;
  log: Logger;
  /** An empty answer that came back sooner than this waits out the rest (runpod-python: 1 s). @default 1_000 */
  minPollMs?: number;
  /** @default 5_000 */
  rateLimitedMs?: number;
}

/** Polls until `signal` aborts or the platform has no stop channel. */
export async function runStopPoller({
  client,
  onStop,
  signal,
  log,
  minPollMs = 1_000,
  rateLimitedMs = 5_000,
}: StopPollerOptions): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    const t0 = performance.now();
    const outcome = await client.pollStop(signal);
    switch (outcome.kind) {
      case 'unsupported':
        log.debug('no job-stop channel on this platform');
        return;
      case 'ids':
        failures = 0;
        for (const id of outcome.ids) onStop(id);
        break;
      case 'none':
        failures = 0;
        await sleep(minPollMs - (performance.now() - t0), signal);
        break;
      case 'rate-limited':
        await sleep(rateLimitedMs, signal);
        break;
      case 'error':
        failures++;
        log.debug({ err: outcome.error, status: outcome.status }, 'job-stop poll failed');
        await sleep(backoffDelay(failures, { baseMs: 1_000, maxMs: 30_000 }), signal);
        break;
    }
  }
}
