/**
 * @module The platform job loop: take jobs while there is room, run each through the handler,
 * post its result. Job-take answers drive the pace: an empty long-poll re-polls at once, 429 waits
 * (5 s like runpod-python), network errors and 5xx back off exponentially with jitter, and nothing
 * here throws out of the loop. Taking stops when `stopTaking` aborts; `done` resolves once every job
 * taken has finished and its result was posted (or logged as lost).
 */
import type { Logger } from 'pino';
import { WorkerError } from '../errors.js';
import type { PlatformClient } from './platform-client.js';
import { createProgressReporter } from './progress.js';
import { resultBody } from './result-body.js';
import { runJob } from './run-job.js';
import { backoffDelay, jitterEarly, sleep } from '../util/sleep.js';
import type { ConcurrencyModifier, Handler, Job } from './types.js';

export interface PlatformLoopOptions {
  client: PlatformClient;
  handler: Handler;
  log: Logger;
  /** RUNPOD_CONCURRENCY: jobs run at once. @default 1 */
  concurrency?: number;
  /** Called before every take with the current concurrency; its answer (≥ 1) becomes the new one. */
  concurrencyModifier?: ConcurrencyModifier;
  /** Aborting it stops taking jobs (an in-flight long-poll is abandoned); running jobs go on. */
  stopTaking: AbortSignal;
  /** Serialized results above this fail with RESULT_TOO_LARGE instead. */
  maxResultBytes?: number;
  /** A streaming handler's final job-done carries the list of partials, else `[]` (runpod-python). @default false */
  returnAggregateStream?: boolean;
  /** Backoff after failed takes (network, 5xx). @default { baseMs: 500, maxMs: 30_000 } */
  errorBackoff?: { baseMs: number; maxMs: number };
  /** Wait after a 429. @default 5_000 */
  rateLimitedMs?: number;
  /** An empty answer that came back sooner than this (a server that does not long-poll) waits out the rest, jittered. @default 500 */
  minPollMs?: number;
}

export interface PlatformLoop {
  /** Resolves when taking has stopped and every job taken has finished and been reported. */
  readonly done: Promise<void>;
  /** Ids of jobs taken and not yet reported (the heartbeat's `job_id`). */
  jobIds(): string[];
  /** Aborts one job because the platform said so; no result is posted for it. */
  stopJob(id: string, reason?: string): boolean;
  /** Aborts every running job (forced shutdown); their CANCELLED errors are still posted. */
  abortAll(reason: Error): void;
}

interface RunningJob {
  controller: AbortController;
  /** Stopped by the platform's job-stop channel: post nothing. */
  stopped: boolean;
  done: Promise<void>;
}

/** URLs keep their path but lose their query: presigned URLs carry credentials there. */
export function redactQueries(text: string): string {
  return text.replace(/(https?:\/\/[^\s"'?]+)\?[^\s"']*/g, '$1?[redacted]');
}

export function startPlatformLoop(opts: PlatformLoopOptions): PlatformLoop {
  const { client, handler, log, stopTaking } = opts;
  const errorBackoff = opts.errorBackoff ?? { baseMs: 500, maxMs: 30_000 };
  const rateLimitedMs = opts.rateLimitedMs ?? 5_000;
  const minPollMs = opts.minPollMs ?? 500;
  const running = new Map<string, RunningJob>();
  let concurrency = Math.max(1, opts.concurrency ?? 1);
  let wakeSlot: (() => void) | undefined;

  async function runOne(job: Job, entry: RunningJob): Promise<void> {
    const jobLog = log.child({ jobId: job.id });
    const started = performance.now();
    const progress = createProgressReporter((update) => client.postProgress(job.id, update, entry.controller.signal));
    let isStream = false;
    jobLog.info('job started');
    const result = await runJob({
      handler,
      job,
      ctx: { id: job.id, mode: 'platform', signal: entry.controller.signal, log: jobLog, progress: (u) => progress.report(u) },
      onStream: () => {
        isStream = true;
      },
      onPartial: async (partial) => {
        const r = await client.postStream(job.id, partial);
        if (!r.ok) jobLog.error({ err: r.error, status: r.status, attempts: r.attempts }, 'stream chunk could not be posted');
      },
    });
    await progress.close();
    if (entry.stopped) {
      jobLog.info({ ms: Math.round(performance.now() - started) }, 'job stopped by the platform; no result posted');
      return;
    }
    const final = isStream && !opts.returnAggregateStream && 'output' in result ? { output: [] } : result;
    const body = resultBody(final, opts.maxResultBytes);
    if (body.oversizeBytes !== undefined) {
      jobLog.error(
        { bytes: body.oversizeBytes, limit: opts.maxResultBytes },
        'result too large for the platform; posting RESULT_TOO_LARGE instead',
      );
    }
    const posted = await client.postResult(job.id, body.text, isStream);
    const ms = Math.round(performance.now() - started);
    if (posted.ok) {
      jobLog.info({ ms, failed: body.failed }, body.failed ? 'job failed; error posted' : 'job completed; result posted');
    } else {
      // Never silent: the job id, the reason and the start of the result stay in the logs.
      jobLog.error(
        {
          ms,
          status: posted.status,
          attempts: posted.attempts,
          err: posted.error,
          bytes: body.text.length,
          result: redactQueries(body.text.slice(0, 2_000)),
        },
        'result could not be posted to job-done; it is lost',
      );
    }
  }

  function start(job: Job): void {
    if (running.has(job.id)) {
      log.warn({ jobId: job.id }, 'job-take returned a job that is already running; ignored');
      return;
    }
    const entry: RunningJob = { controller: new AbortController(), stopped: false, done: Promise.resolve() };
    running.set(job.id, entry);
    entry.done = runOne(job, entry)
      .catch((err: unknown) => log.error({ err, jobId: job.id }, 'job runner failed'))
      .finally(() => {
        running.delete(job.id);
        wakeSlot?.();
      });
  }

  function waitForSlot(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        wakeSlot = undefined;
        stopTaking.removeEventListener('abort', done);
        resolve();
      };
      wakeSlot = done;
      stopTaking.addEventListener('abort', done, { once: true });
    });
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopTaking.aborted) {
      if (opts.concurrencyModifier) {
        const next = Math.floor(opts.concurrencyModifier(concurrency));
        if (Number.isFinite(next) && next >= 1 && next !== concurrency) {
          log.info({ from: concurrency, to: next }, 'concurrency changed');
          concurrency = next;
        }
      }
      const free = concurrency - running.size;
      if (free <= 0) {
        await waitForSlot();
        continue;
      }
      const t0 = performance.now();
      const outcome = await client.takeJobs(free, running.size > 0, stopTaking);
      if (stopTaking.aborted && outcome.kind !== 'jobs') break;
      switch (outcome.kind) {
        case 'jobs':
          failures = 0;
          for (const job of outcome.jobs) start(job);
          break;
        case 'none': {
          failures = 0;
          const left = minPollMs - (performance.now() - t0);
          if (left > 0) await sleep(jitterEarly(left, 0.5), stopTaking);
          break;
        }
        case 'rate-limited':
          log.warn({ waitMs: rateLimitedMs }, 'job-take rate-limited (429); backing off');
          await sleep(rateLimitedMs + Math.random() * rateLimitedMs * 0.2, stopTaking);
          break;
        case 'error': {
          failures++;
          const waitMs = backoffDelay(failures, errorBackoff);
          log.warn({ err: outcome.error, status: outcome.status, failures, waitMs }, 'job-take failed; backing off');
          await sleep(waitMs, stopTaking);
          break;
        }
      }
    }
    while (running.size > 0) await Promise.all([...running.values()].map((r) => r.done));
  }

  return {
    done: loop(),
    jobIds: () => [...running.keys()],
    stopJob(id, reason = 'stopped by the platform') {
      const entry = running.get(id);
      if (!entry) return false;
      entry.stopped = true;
      entry.controller.abort(new WorkerError('CANCELLED', reason));
      return true;
    },
    abortAll(reason) {
      for (const entry of running.values()) entry.controller.abort(reason);
    },
  };
}
