/**
 * @module Local API mode (`--rp_serve_api`), assembled: the job store, the HTTP listener on
 * host:port, webhooks, and graceful shutdown (stop listening, let running jobs finish within the
 * grace period, then abort them).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { WorkerError } from '../errors.js';
import { createLocalApiHandler, type StaticPage } from './local-api.js';
import { createLocalJobs, type LocalJobsOptions } from './local-jobs.js';
import type { Handler } from './types.js';
import { postWebhook } from './webhook.js';

export interface RunApiOptions {
  handler: Handler;
  /** Added to /health as `worker`. */
  describeWorker?: (() => unknown) | undefined;
  payloadSchema?: (() => unknown) | undefined;
  /** Pages served at fixed paths (see LocalApiOptions.pages); read once, when the API starts. */
  pages?: (() => ReadonlyMap<string, StaticPage> | undefined) | undefined;
  log: Logger;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  concurrency: number;
  apiKey?: string | undefined;
  maxQueue?: number;
  resultTtlMs?: number;
  graceMs: number;
  /** Aborting it starts the graceful shutdown. */
  shutdown: AbortSignal;
  /** Told the bound address once listening (tests read the port from it). */
  onListening?: (url: string) => void;
  fetch?: typeof globalThis.fetch;
  /** Webhook retry pacing (hosted: 10 s). */
  webhookRetryDelayMs?: number;
  jobs?: Partial<Pick<LocalJobsOptions, 'defaultExecutionTimeoutMs' | 'clock' | 'maxFinished' | 'maxFinishedBytes'>>;
  streamHoldMs?: number;
}

export async function runLocalApi(o: RunApiOptions): Promise<number> {
  const log = o.log.child({ mode: 'api' });
  const webhooks = new Set<Promise<unknown>>();
  const jobs = createLocalJobs({
    handler: o.handler,
    log,
    concurrency: o.concurrency,
    ...(o.maxQueue !== undefined ? { maxQueue: o.maxQueue } : {}),
    ...(o.resultTtlMs !== undefined ? { resultTtlMs: o.resultTtlMs } : {}),
    ...o.jobs,
    onTerminal: (status, webhook) => {
      if (webhook === undefined) return;
      const p = postWebhook({
        url: webhook,
        body: status,
        jobId: status.id,
        log,
        ...(o.fetch ? { fetch: o.fetch } : {}),
        ...(o.webhookRetryDelayMs !== undefined ? { retryDelayMs: o.webhookRetryDelayMs } : {}),
      }).finally(() => webhooks.delete(p));
      webhooks.add(p);
    },
  });
  const server: Server = createServer(
    createLocalApiHandler({
      jobs,
      log,
      apiKey: o.apiKey,
      describeWorker: o.describeWorker,
      payloadSchema: o.payloadSchema,
      pages: o.pages?.(),
      ...(o.streamHoldMs !== undefined ? { streamHoldMs: o.streamHoldMs } : {}),
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  log.info(
    { url, concurrency: o.concurrency, auth: o.apiKey !== undefined },
    `local API listening on ${url} (runpod-sdk baseUrl: ${url}/v2)`,
  );
  o.onListening?.(url);

  await new Promise<void>((resolve) => {
    if (o.shutdown.aborted) resolve();
    else o.shutdown.addEventListener('abort', () => resolve(), { once: true });
  });
  log.info({ graceMs: o.graceMs }, 'shutting down the local API: no new jobs; waiting for jobs in progress');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const grace = setTimeout(() => jobs.abortAll(new WorkerError('CANCELLED', 'the worker shut down before the job finished')), o.graceMs);
  await jobs.drain();
  clearTimeout(grace);
  server.closeAllConnections();
  await closed;
  await Promise.allSettled([...webhooks]);
  log.info('local API stopped');
  return 0;
}
