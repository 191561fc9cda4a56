/**
 * @module The local API's jobs: a bounded queue, up to `concurrency` jobs running at once (a job
 * starts as soon as a slot is free, unlike runpod-python's simulator which runs it on the first
 * status poll), per-job execution timeout, cancel, progress and stream chunks, and results
 * forgotten `resultTtlMs` after they end or sooner past MAX_FINISHED_JOBS / MAX_FINISHED_BYTES.
 * The status shape follows RunPod's public endpoint API.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { WorkerError, toJobErrorString } from '../errors.js';
import { runJob } from './run-job.js';
import type { Handler } from './types.js';

export const JOB_STATUSES = ['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
const TERMINAL: ReadonlySet<JobStatus> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);
export const isTerminal = (s: JobStatus): boolean => TERMINAL.has(s);

export interface StatusBody {
  id: string;
  status: JobStatus;
  /** ms from submission to start (or until now while queued). */
  delayTime: number;
  /** ms from start to end (or until now while running). */
  executionTime: number;
  output?: unknown;
  error?: string;
  workerId: string;
}

export interface SubmitRequest {
  input: unknown;
  webhook?: string | undefined;
  /** policy.executionTimeout, ms. */
  executionTimeoutMs?: number | undefined;
}

interface LocalJob {
  id: string;
  input: unknown;
  webhook: string | undefined;
  executionTimeoutMs: number;
  status: JobStatus;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  output?: unknown;
  progress?: { value: unknown };
  error?: string;
  stream: unknown[];
  streamRead: number;
  /** Size of the result once finished (see resultBytes). */
  bytes?: number;
  controller: AbortController;
  timer?: NodeJS.Timeout;
  waiters: Set<() => void>;
}

export interface LocalJobsOptions {
  handler: Handler;
  log: Logger;
  /** Jobs run at once. @default 1 */
  concurrency?: number;
  /** Jobs waiting at most; `submit` throws QueueFullError beyond. @default 1000 */
  maxQueue?: number;
  /** How long a finished job's status stays readable. @default 1_800_000 (30 min, as hosted /run) */
  resultTtlMs?: number;
  /** Finished jobs kept at most; the oldest-ended go first. @default MAX_FINISHED_JOBS */
  maxFinished?: number;
  /** Bytes of finished jobs' results (output + error, as JSON) kept at most. @default MAX_FINISHED_BYTES */
  maxFinishedBytes?: number;
  /** When the request has no policy.executionTimeout. @default 600_000 (the hosted default) */
  defaultExecutionTimeoutMs?: number;
  /** Called once when a job reaches a terminal status (webhooks). */
  onTerminal?: (status: StatusBody, webhook: string | undefined) => void;
  /** @default Date.now */
  clock?: () => number;
  workerId?: string;
}

/**
 * Finished results are bounded in number and size as well as in time (`resultTtlMs`): a soak of
 * 1,200 base64 jobs at the default 30 min TTL doubled the worker's RSS. Past either bound the
 * oldest-ended result is forgotten early, and its id answers as an expired one (404).
 */
export const MAX_FINISHED_JOBS = 500;
export const MAX_FINISHED_BYTES = 64 * 1024 * 1024;

/** What a finished job's result holds in memory, near enough: its JSON length. */
function resultBytes(job: { output?: unknown; error?: string }): number {
  let n = job.error?.length ?? 0;
  if (job.output !== undefined) {
    try {
      n += JSON.stringify(job.output)?.length ?? 0;
    } catch {
      // not JSON (a cycle): the count bound still holds
    }
  }
  return n;
}

export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

export interface LocalJobs {
  submit(req: SubmitRequest): StatusBody;
  status(id: string): StatusBody | undefined;
  /** Resolves with the status once terminal, or when `ms` has passed. */
  waitForTerminal(id: string, ms: number): Promise<StatusBody | undefined>;
  /** Stream chunks not read before, waiting up to `ms` for one when none is new and the job runs. */
  readStream(id: string, ms: number): Promise<(StatusBody & { stream: { output: unknown }[] }) | undefined>;
  cancel(id: string): StatusBody | undefined;
  /**
   * Runs a FAILED, TIMED_OUT or CANCELLED job again under the same id (the hosted `/retry`): its
   * old result is dropped. `undefined` for an unknown id, `'not-retryable'` for any other status.
   */
  retry(id: string): StatusBody | 'not-retryable' | undefined;
  /** Removes queued (not running) jobs; returns how many. */
  purgeQueue(): number;
  health(): {
    jobs: Record<'completed' | 'failed' | 'inProgress' | 'inQueue' | 'retried', number>;
    workers: Record<'idle' | 'running', number>;
  };
  /** Refuses new jobs from now on and resolves when no job is running (queued ones are cancelled). */
  drain(): Promise<void>;
  /**
   * Cancels every running job (the shutdown grace ran out): each ends `CANCELLED`, as `/cancel`
   * ends it, and its signal aborts with `reason`.
   */
  abortAll(reason: Error): void;
}

export function createLocalJobs(o: LocalJobsOptions): LocalJobs {
  const concurrency = Math.max(1, o.concurrency ?? 1);
  const maxQueue = o.maxQueue ?? 1000;
  const resultTtlMs = o.resultTtlMs ?? 1_800_000;
  const maxFinished = Math.max(0, o.maxFinished ?? MAX_FINISHED_JOBS);
  const maxFinishedBytes = Math.max(0, o.maxFinishedBytes ?? MAX_FINISHED_BYTES);
  const defaultTimeout = o.defaultExecutionTimeoutMs ?? 600_000;
  const clock = o.clock ?? Date.now;
  const workerId = o.workerId ?? 'local';
  const jobs = new Map<string, LocalJob>();
  const queue: LocalJob[] = [];
  /** Finished jobs in order of ending, for expiry. */
  const ended: LocalJob[] = [];
  let endedBytes = 0;
  const counts = { completed: 0, failed: 0, retried: 0 };
  let running = 0;
  let draining = false;
  let idleWaiters: (() => void)[] = [];

  const notify = (job: LocalJob): void => {
    for (const w of [...job.waiters]) w();
  };

  function forgetOldest(): void {
    const job = ended.shift()!;
    endedBytes -= job.bytes ?? 0;
    jobs.delete(job.id);
  }

  function sweep(): void {
    const now = clock();
    while (ended.length > 0 && now - (ended[0]!.endedAt ?? now) >= resultTtlMs) forgetOldest();
    // The newest result stays whatever its size, so one large result can still be read by /status.
    while (ended.length > maxFinished || (ended.length > 1 && endedBytes > maxFinishedBytes)) forgetOldest();
  }

  function statusOf(job: LocalJob): StatusBody {
    const now = clock();
    const body: StatusBody = {
      id: job.id,
      status: job.status,
      delayTime: (job.startedAt ?? (job.status === 'IN_QUEUE' ? now : (job.endedAt ?? now))) - job.createdAt,
      executionTime: job.startedAt === undefined ? 0 : (job.endedAt ?? now) - job.startedAt,
      workerId,
    };
    if (job.status === 'IN_PROGRESS' && job.progress) body.output = job.progress.value;
    if (job.output !== undefined) body.output = job.output;
    if (job.error !== undefined) body.error = job.error;
    return body;
  }

  function finish(job: LocalJob, status: JobStatus, result: { output?: unknown; error?: string }): void {
    if (isTerminal(job.status)) return;
    job.status = status;
    job.endedAt = clock();
    clearTimeout(job.timer);
    if (result.output !== undefined) job.output = result.output;
    if (result.error !== undefined) job.error = result.error;
    if (status === 'COMPLETED') counts.completed++;
    else counts.failed++;
    job.bytes = resultBytes(job);
    endedBytes += job.bytes;
    ended.push(job);
    notify(job);
    o.onTerminal?.(statusOf(job), job.webhook);
    // Bounded now, not at the next request: a burst of large results must not pile up meanwhile.
    sweep();
  }

  function pump(): void {
    while (running < concurrency && queue.length > 0) {
      const job = queue.shift()!;
      running++;
      void execute(job).finally(() => {
        running--;
        if (running === 0) {
          for (const w of idleWaiters) w();
          idleWaiters = [];
        }
        pump();
      });
    }
  }

  async function execute(job: LocalJob): Promise<void> {
    job.status = 'IN_PROGRESS';
    job.startedAt = clock();
    notify(job);
    const log = o.log.child({ jobId: job.id });
    job.timer = setTimeout(() => {
      const err = new WorkerError('TIMED_OUT', `the job ran over its execution timeout of ${job.executionTimeoutMs} ms`);
      finish(job, 'TIMED_OUT', { error: toJobErrorString(err) });
      job.controller.abort(err);
      log.warn({ executionTimeoutMs: job.executionTimeoutMs }, 'job timed out');
    }, job.executionTimeoutMs);
    const result = await runJob({
      handler: o.handler,
      job: { id: job.id, input: job.input },
      ctx: {
        id: job.id,
        mode: 'api',
        signal: job.controller.signal,
        log,
        progress: (update) => {
          if (isTerminal(job.status)) return;
          job.progress = { value: update };
          notify(job);
        },
      },
      onPartial: (partial) => {
        job.stream.push(partial);
        notify(job);
      },
    });
    if ('error' in result) finish(job, 'FAILED', { error: result.error });
    else finish(job, 'COMPLETED', { output: result.output ?? null });
  }

  function wait(job: LocalJob, ms: number, until: () => boolean): Promise<void> {
    if (until() || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const settle = (): void => {
        clearTimeout(timer);
        job.waiters.delete(check);
        resolve();
      };
      const check = (): void => {
        if (until()) settle();
      };
      const timer = setTimeout(settle, ms);
      job.waiters.add(check);
    });
  }

  function lookup(id: string): LocalJob | undefined {
    sweep();
    return jobs.get(id);
  }

  return {
    submit(req) {
      sweep();
      if (draining) throw new QueueFullError('the worker is shutting down');
      if (queue.length >= maxQueue) throw new QueueFullError(`the queue is full (${maxQueue} jobs waiting)`);
      const job: LocalJob = {
        id: `${randomUUID()}-l1`,
        input: req.input,
        webhook: req.webhook,
        executionTimeoutMs: req.executionTimeoutMs ?? defaultTimeout,
        status: 'IN_QUEUE',
        createdAt: clock(),
        stream: [],
        streamRead: 0,
        controller: new AbortController(),
        waiters: new Set(),
      };
      jobs.set(job.id, job);
      queue.push(job);
      const body = statusOf(job);
      pump();
      return body;
    },
    status(id) {
      const job = lookup(id);
      return job && statusOf(job);
    },
    async waitForTerminal(id, ms) {
      const job = lookup(id);
      if (!job) return undefined;
      await wait(job, ms, () => isTerminal(job.status));
      return statusOf(job);
    },
    async readStream(id, ms) {
      const job = lookup(id);
      if (!job) return undefined;
      await wait(job, ms, () => job.stream.length > job.streamRead || isTerminal(job.status));
      const fresh = job.stream.slice(job.streamRead).map((output) => ({ output }));
      job.streamRead = job.stream.length;
      const body = statusOf(job);
      // Streamed chunks are what /stream delivers; the aggregate stays for /status.
      delete body.output;
      return { ...body, stream: fresh };
    },
    cancel(id) {
      const job = lookup(id);
      if (!job) return undefined;
      if (!isTerminal(job.status)) {
        const i = queue.indexOf(job);
        if (i >= 0) queue.splice(i, 1);
        const err = new WorkerError('CANCELLED', 'the job was cancelled by a client');
        finish(job, 'CANCELLED', {});
        job.controller.abort(err);
      }
      return statusOf(job);
    },
    retry(id) {
      const job = lookup(id);
      if (!job) return undefined;
      if (job.status !== 'FAILED' && job.status !== 'TIMED_OUT' && job.status !== 'CANCELLED') return 'not-retryable';
      if (draining) throw new QueueFullError('the worker is shutting down');
      if (queue.length >= maxQueue) throw new QueueFullError(`the queue is full (${maxQueue} jobs waiting)`);
      const i = ended.indexOf(job);
      if (i >= 0) {
        ended.splice(i, 1);
        endedBytes -= job.bytes ?? 0;
      }
      counts.failed--; // finish() counted every non-COMPLETED end as failed
      counts.retried++;
      Object.assign(job, { status: 'IN_QUEUE', createdAt: clock(), stream: [], streamRead: 0, controller: new AbortController() });
      for (const key of ['startedAt', 'endedAt', 'output', 'error', 'progress', 'bytes'] as const) delete job[key];
      queue.push(job);
      const body = statusOf(job);
      pump();
      return body;
    },
    purgeQueue() {
      const purged = queue.splice(0);
      for (const job of purged) {
        jobs.delete(job.id);
        job.status = 'CANCELLED';
        notify(job);
      }
      return purged.length;
    },
    health() {
      sweep();
      return {
        jobs: { completed: counts.completed, failed: counts.failed, inProgress: running, inQueue: queue.length, retried: counts.retried },
        workers: { idle: concurrency - running, running },
      };
    },
    drain() {
      draining = true;
      for (const job of queue.splice(0)) finish(job, 'CANCELLED', {});
      if (running === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    abortAll(reason) {
      for (const job of jobs.values()) {
        if (job.status !== 'IN_PROGRESS') continue;
        // Terminal first: the handler's failure from the abort must not turn it into FAILED.
        finish(job, 'CANCELLED', {});
        job.controller.abort(reason);
      }
    },
  };
}
