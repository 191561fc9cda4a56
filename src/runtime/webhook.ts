/**
 * @module Delivers a finished job's status to the request's `webhook`, as the hosted API does: the
 * same body as `/status/{id}`, POSTed as JSON, retried when it does not answer 2xx (hosted: two more
 * tries, 10 s apart). Never throws: failures are logged with the job id.
 */
import type { Logger } from 'pino';
import { sleep } from '../util/sleep.js';

export interface WebhookOptions {
  url: string;
  body: unknown;
  jobId: string;
  log: Logger;
  fetch?: typeof globalThis.fetch;
  /** @default 3 */
  attempts?: number;
  /** @default 10_000 */
  retryDelayMs?: number;
  /** @default 10_000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function postWebhook(o: WebhookOptions): Promise<boolean> {
  const doFetch = o.fetch ?? globalThis.fetch;
  const attempts = o.attempts ?? 3;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const timeout = AbortSignal.timeout(o.timeoutMs ?? 10_000);
      const res = await doFetch(o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(o.body),
        signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout,
      });
      await res.arrayBuffer();
      if (res.ok) return true;
      o.log.warn({ jobId: o.jobId, status: res.status, attempt }, 'webhook answered with an error status');
    } catch (err) {
      o.log.warn({ jobId: o.jobId, err, attempt }, 'webhook failed');
    }
    if (attempt < attempts) await sleep(o.retryDelayMs ?? 10_000, o.signal);
    if (o.signal?.aborted) break;
  }
  o.log.error({ jobId: o.jobId }, 'webhook not delivered; giving up');
  return false;
}
