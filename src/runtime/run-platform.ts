/**
 * @module Platform mode, assembled: the job loop, the heartbeat and the job-stop poller over one
 * platform client. Aborting `shutdown` stops taking jobs; running jobs get `graceMs` to finish
 * (their results are posted), then their signals abort and their CANCELLED errors are posted.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { WorkerError } from '../errors.js';
import { startHeartbeat } from './heartbeat.js';
import { createPlatformClient, type PlatformClientOptions, type PlatformUrls } from './platform-client.js';
import { startPlatformLoop, type PlatformLoopOptions } from './platform-loop.js';
import { runStopPoller } from './stop-poller.js';
import type { ConcurrencyModifier, Handler } from './types.js';

export interface RunPlatformOptions {
  handler: Handler;
  log: Logger;
  urls: PlatformUrls;
  apiKey: string | undefined;
  /** RUNPOD_POD_ID; a random id when absent (runpod-python does the same). */
  podId: string | undefined;
  /** RUNPOD_PING_INTERVAL, ms. */
  pingIntervalMs: number;
  concurrency: number;
  concurrencyModifier?: ConcurrencyModifier | undefined;
  maxResultBytes?: number | undefined;
  /** How long running jobs may take to finish after `shutdown` aborts. */
  graceMs: number;
  /** Aborting it starts the graceful shutdown. */
  shutdown: AbortSignal;
  version: string;
  fetch?: typeof globalThis.fetch;
  /** Client tuning (timeouts, post retries), mainly for tests. */
  client?: Partial<Pick<PlatformClientOptions, 'longPollTimeoutMs' | 'postTimeoutMs' | 'postAttempts' | 'postBackoff'>>;
  /** Loop tuning (backoffs), mainly for tests. */
  loop?: Partial<Pick<PlatformLoopOptions, 'errorBackoff' | 'rateLimitedMs' | 'minPollMs' | 'returnAggregateStream'>>;
}

/** Runs until `shutdown` aborts and every job taken is reported; resolves to the exit code (0). */
export async function runPlatform(o: RunPlatformOptions): Promise<number> {
  const workerId = o.podId ?? randomUUID();
  const log = o.log.child({ workerId });
  if (o.apiKey === undefined) log.warn('RUNPOD_AI_API_KEY is not set: platform calls go out without Authorization');
  const client = createPlatformClient({
    urls: o.urls,
    apiKey: o.apiKey,
    workerId,
    version: o.version,
    log,
    ...(o.fetch ? { fetch: o.fetch } : {}),
    ...o.client,
  });
  const loop = startPlatformLoop({
    client,
    handler: o.handler,
    log,
    concurrency: o.concurrency,
    stopTaking: o.shutdown,
    ...(o.concurrencyModifier ? { concurrencyModifier: o.concurrencyModifier } : {}),
    ...(o.maxResultBytes !== undefined ? { maxResultBytes: o.maxResultBytes } : {}),
    ...o.loop,
  });
  if (o.urls.ping === undefined) log.error('RUNPOD_WEBHOOK_PING is not set: no heartbeat, the platform may consider this worker dead');
  const stopHeartbeat =
    o.urls.ping === undefined
      ? () => undefined
      : startHeartbeat({ intervalMs: o.pingIntervalMs, jobIds: () => loop.jobIds(), ping: (ids, t, s) => client.ping(ids, t, s) });
  const pollerStop = new AbortController();
  const poller = runStopPoller({
    client,
    signal: pollerStop.signal,
    log,
    onStop: (id) => {
      if (loop.stopJob(id)) log.info({ jobId: id }, 'job-stop: aborting job');
    },
  });
  log.info({ concurrency: o.concurrency, pingIntervalMs: o.pingIntervalMs }, 'platform mode: taking jobs');

  let graceTimer: NodeJS.Timeout | undefined;
  const onShutdown = (): void => {
    const ids = loop.jobIds();
    log.info({ jobs: ids, graceMs: o.graceMs }, 'no longer taking jobs; waiting for jobs in progress');
    graceTimer = setTimeout(() => {
      log.warn({ jobs: loop.jobIds() }, 'grace period over: cancelling jobs still running');
      loop.abortAll(new WorkerError('CANCELLED', 'the worker shut down before the job finished'));
    }, o.graceMs);
  };
  if (o.shutdown.aborted) onShutdown();
  else o.shutdown.addEventListener('abort', onShutdown, { once: true });

  try {
    await loop.done;
  } finally {
    clearTimeout(graceTimer);
    pollerStop.abort();
    stopHeartbeat();
    await poller;
  }
  log.info('platform mode: all jobs reported; stopped');
  return 0;
}
