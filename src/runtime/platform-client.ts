/**
 * @module The worker's HTTP calls to RunPod (job-take, job-done, job-stream, ping, job-stop) over an
 * injected `fetch` and the URL templates from the environment. No loop and no timer lives here:
 * each call is one request (or one retried post) with a timeout, and answers are validated once.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { backoffDelay, sleep } from '../util/sleep.js';
import type { Job } from './types.js';
import { appendQuery, fillTemplate } from './url.js';

export interface PlatformUrls {
  /** RUNPOD_WEBHOOK_GET_JOB: `$ID` → worker id. */
  jobTake: string;
  /** RUNPOD_WEBHOOK_POST_OUTPUT: `$RUNPOD_POD_ID` → worker id, `$ID` → job id. */
  jobDone: string | undefined;
  /** RUNPOD_WEBHOOK_POST_STREAM: same placeholders as job-done. */
  jobStream: string | undefined;
  /** RUNPOD_WEBHOOK_PING: `$RUNPOD_POD_ID` → worker id. */
  ping: string | undefined;
}

export interface PlatformClientOptions {
  urls: PlatformUrls;
  /** RUNPOD_AI_API_KEY, sent raw (no `Bearer`) as Authorization on every call. Never logged. */
  apiKey: string | undefined;
  workerId: string;
  /** Sent as `runpod_version` on pings and in the User-Agent. */
  version: string;
  log: Logger;
  fetch?: typeof globalThis.fetch;
  /** Client timeout of the long-polled job-take and job-stop calls. @default 90_000 (runpod-python) */
  longPollTimeoutMs?: number;
  /** Timeout of one result/stream post attempt. @default 30_000 */
  postTimeoutMs?: number;
  /** Attempts of a result or stream post (5xx, network errors and timeouts are retried; 4xx is not). @default 3 */
  postAttempts?: number;
  /** Backoff between post attempts. @default { baseMs: 500, maxMs: 5_000 } */
  postBackoff?: { baseMs: number; maxMs: number };
}

export type TakeOutcome =
  | { kind: 'jobs'; jobs: Job[] }
  | { kind: 'none' }
  | { kind: 'rate-limited' }
  | { kind: 'error'; error: unknown; status?: number };

export type StopOutcome =
  | { kind: 'ids'; ids: string[] }
  | { kind: 'none' }
  | { kind: 'rate-limited' }
  | { kind: 'unsupported' }
  | { kind: 'error'; error: unknown; status?: number };

export type PostOutcome = { ok: true; attempts: number } | { ok: false; attempts: number; status?: number; error: unknown };

/** A job must carry an `id` and an `input`; other fields (webhook, s3Config, …) pass through. */
const JobSchema = z
  .object({ id: z.string().min(1), input: z.unknown() })
  .loose()
  .refine((j) => 'input' in j, { message: 'job has no input', path: ['input'] });
const StopSchema = z.object({ jobsToStop: z.array(z.unknown()).default([]) }).loose();

export interface PlatformClient {
  readonly workerId: string;
  /** One job-take (or job-take-batch when `count` > 1) call. Never throws. */
  takeJobs(count: number, jobInProgress: boolean, signal: AbortSignal): Promise<TakeOutcome>;
  /** POSTs a final result body (JSON text) to job-done, retried. Never throws. */
  postResult(jobId: string, body: string, isStream: boolean): Promise<PostOutcome>;
  /** POSTs one partial output to job-stream, retried. Never throws. */
  postStream(jobId: string, partial: unknown): Promise<PostOutcome>;
  /** POSTs `{status: "IN_PROGRESS", output}` to job-done, once. Never throws. */
  postProgress(jobId: string, update: unknown, signal?: AbortSignal): Promise<PostOutcome>;
  /** One heartbeat. Never throws; resolves false on failure. */
  ping(jobIds: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** One long-poll of the job-stop channel; `unsupported` when the URL has no `/job-take/`. Never throws. */
  pollStop(signal: AbortSignal): Promise<StopOutcome>;
}

class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);
  }
}

export function createPlatformClient(opts: PlatformClientOptions): PlatformClient {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const longPollTimeoutMs = opts.longPollTimeoutMs ?? 90_000;
  const postTimeoutMs = opts.postTimeoutMs ?? 30_000;
  const postAttempts = opts.postAttempts ?? 3;
  const postBackoff = opts.postBackoff ?? { baseMs: 500, maxMs: 5_000 };
  const { workerId, log } = opts;
  const userAgent = `foley-worker-runtime/${opts.version} (Node ${process.versions.node})`;
  const baseHeaders: Record<string, string> = { 'User-Agent': userAgent };
  if (opts.apiKey !== undefined) baseHeaders['Authorization'] = opts.apiKey;

  const takeUrl = fillTemplate(opts.urls.jobTake, { $ID: workerId });
  const stopUrl = takeUrl.includes('/job-take/') ? takeUrl.replace('/job-take/', '/job-stop/') : undefined;
  const perPod = (t: string | undefined): string | undefined =>
    t === undefined ? undefined : fillTemplate(t, { $RUNPOD_POD_ID: workerId });
  const doneTemplate = perPod(opts.urls.jobDone);
  const streamTemplate = perPod(opts.urls.jobStream);
  const pingUrl = perPod(opts.urls.ping);

  function timeoutSignal(ms: number, signal?: AbortSignal): AbortSignal {
    return signal ? AbortSignal.any([signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms);
  }

  async function getJson(url: string, signal: AbortSignal): Promise<{ status: number; json: unknown }> {
    const res = await doFetch(url, { method: 'GET', headers: baseHeaders, signal });
    const text = await res.text();
    if (res.status < 200 || res.status >= 300) return { status: res.status, json: undefined };
    const type = res.headers.get('content-type') ?? '';
    if (text.trim() === '' || !type.includes('json')) return { status: res.status, json: undefined };
    try {
      return { status: res.status, json: JSON.parse(text) as unknown };
    } catch {
      return { status: res.status, json: undefined };
    }
  }

  async function takeJobs(count: number, jobInProgress: boolean, signal: AbortSignal): Promise<TakeOutcome> {
    const batch = count > 1;
    const base = batch ? takeUrl.replace('/job-take/', '/job-take-batch/') : takeUrl;
    const url = appendQuery(
      base,
      batch ? { batch_size: count, job_in_progress: jobInProgress ? 1 : 0 } : { job_in_progress: jobInProgress ? 1 : 0 },
    );
    let status: number;
    let json: unknown;
    try {
      ({ status, json } = await getJson(url, timeoutSignal(longPollTimeoutMs, signal)));
    } catch (error) {
      if (signal.aborted) return { kind: 'none' };
      // A long-poll that ran into our own client timeout is an empty poll, not a failure.
      if (error instanceof Error && error.name === 'TimeoutError') return { kind: 'none' };
      return { kind: 'error', error };
    }
    if (status === 204 || status === 400) return { kind: 'none' }; // 400: "expected when FlashBoot is enabled"
    if (status === 429) return { kind: 'rate-limited' };
    if (status < 200 || status >= 300) return { kind: 'error', status, error: new HttpStatusError(status, '') };
    if (json === undefined) return { kind: 'none' };
    const raw = Array.isArray(json) ? json : [json];
    const jobs: Job[] = [];
    for (const item of raw) {
      const parsed = JobSchema.safeParse(item);
      if (parsed.success) jobs.push(parsed.data as Job);
      else log.error({ issues: z.prettifyError(parsed.error) }, 'job-take returned a job without id or input; dropped');
    }
    return jobs.length > 0 ? { kind: 'jobs', jobs } : { kind: 'none' };
  }

  /** One POST of JSON text with runpod-python's headers; retried on 5xx, network errors, timeouts. */
  async function post(
    url: string,
    jobId: string,
    body: string,
    o: { attempts: number; signal?: AbortSignal | undefined },
  ): Promise<PostOutcome> {
    const { attempts, signal } = o;
    let last: { status?: number; error: unknown } = { error: new Error('not attempted') };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await doFetch(url, {
          method: 'POST',
          // runpod-python sends JSON text with this content type; the platform reads it as JSON.
          headers: { ...baseHeaders, 'Content-Type': 'application/x-www-form-urlencoded', charset: 'utf-8', 'X-Request-ID': jobId },
          body,
          signal: timeoutSignal(postTimeoutMs, signal),
        });
        const text = await res.text();
        if (res.ok) return { ok: true, attempts: attempt };
        last = { status: res.status, error: new HttpStatusError(res.status, text) };
        if (res.status < 500 && res.status !== 429) return { ok: false, attempts: attempt, ...last };
      } catch (error) {
        last = { error };
        if (signal?.aborted) return { ok: false, attempts: attempt, error };
      }
      if (attempt < attempts) {
        log.warn({ jobId, attempt, status: last.status, err: last.error }, 'post to RunPod failed; retrying');
        await sleep(backoffDelay(attempt, postBackoff), signal);
      }
    }
    return { ok: false, attempts, ...last };
  }

  function missing(what: string): PostOutcome {
    return { ok: false, attempts: 0, error: new Error(`${what} is not set`) };
  }

  return {
    workerId,
    takeJobs,
    postResult(jobId, body, isStream) {
      if (doneTemplate === undefined) return Promise.resolve(missing('RUNPOD_WEBHOOK_POST_OUTPUT'));
      const url = appendQuery(fillTemplate(doneTemplate, { $ID: jobId }), { isStream: String(isStream) });
      return post(url, jobId, body, { attempts: postAttempts });
    },
    postStream(jobId, partial) {
      if (streamTemplate === undefined) return Promise.resolve(missing('RUNPOD_WEBHOOK_POST_STREAM'));
      // runpod-python posts stream chunks with isStream=false too (it never passes the flag there).
      const url = appendQuery(fillTemplate(streamTemplate, { $ID: jobId }), { isStream: 'false' });
      return post(url, jobId, JSON.stringify({ output: partial }), { attempts: postAttempts });
    },
    postProgress(jobId, update, signal) {
      if (doneTemplate === undefined) return Promise.resolve(missing('RUNPOD_WEBHOOK_POST_OUTPUT'));
      const url = appendQuery(fillTemplate(doneTemplate, { $ID: jobId }), { isStream: 'false' });
      return post(url, jobId, JSON.stringify({ status: 'IN_PROGRESS', output: update }), { attempts: 1, signal });
    },
    async ping(jobIds, timeoutMs, signal) {
      if (pingUrl === undefined) return false;
      const params: Record<string, string> = {};
      // The platform caps the id list at 65,535 bytes; cut at a comma like runpod-python.
      let ids = jobIds.join(',');
      if (ids.length > 65_535) ids = ids.slice(0, ids.lastIndexOf(',', 65_535));
      if (ids !== '') params['job_id'] = ids;
      params['runpod_version'] = opts.version;
      try {
        const res = await doFetch(appendQuery(pingUrl, params), {
          method: 'GET',
          headers: baseHeaders,
          signal: timeoutSignal(timeoutMs, signal),
        });
        await res.arrayBuffer();
        if (!res.ok) log.warn({ status: res.status }, 'heartbeat answered with an error status');
        return res.ok;
      } catch (err) {
        if (!signal?.aborted) log.warn({ err }, 'heartbeat failed');
        return false;
      }
    },
    async pollStop(signal) {
      if (stopUrl === undefined) return { kind: 'unsupported' };
      try {
        const { status, json } = await getJson(stopUrl, timeoutSignal(longPollTimeoutMs, signal));
        if (status === 204) return { kind: 'none' };
        if (status === 429) return { kind: 'rate-limited' };
        if (status === 404 || status === 405) return { kind: 'unsupported' };
        if (status < 200 || status >= 300) return { kind: 'error', status, error: new HttpStatusError(status, '') };
        const parsed = StopSchema.safeParse(json);
        if (!parsed.success) return { kind: 'none' };
        const ids = parsed.data.jobsToStop.filter((x): x is string => typeof x === 'string');
        return ids.length > 0 ? { kind: 'ids', ids } : { kind: 'none' };
      } catch (error) {
        if (signal.aborted || (error instanceof Error && error.name === 'TimeoutError')) return { kind: 'none' };
        return { kind: 'error', error };
      }
    },
  };
}
