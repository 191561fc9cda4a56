/**
 * @module The local API's HTTP handling as one node:http request listener, shaped like RunPod's
 * public endpoint API (docs.runpod.io, serverless operations) so `runpod-sdk` works unchanged with
 * `baseUrl: "http://HOST:PORT/v2"`: every route is served both at `/route` and `/v2/{endpoint_id}/route`.
 * Where runpod-python's simulator differs (POST-only status, /run that waits for a poll, no cancel or
 * health) this follows the hosted API.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import { isWorkerError, toJobErrorString, WorkerError } from '../errors.js';
import { invalidInput, toFieldIssues } from '../util/field-issues.js';
import { QueueFullError, type LocalJobs } from './local-jobs.js';

export interface LocalApiOptions {
  jobs: LocalJobs;
  log: Logger;
  /** When set, every request must carry `Authorization: <key>` or `Bearer <key>`. */
  apiKey?: string | undefined;
  /** Request body limits, bytes. Hosted: /run 10 MB, /runsync 20 MB. */
  maxRunBytes?: number;
  maxRunsyncBytes?: number;
  /** How long /stream holds a request with nothing new. @default 1_000 */
  streamHoldMs?: number;
  /** What the worker is (hardware tier, models…), added to /health as `worker`. Opaque here. */
  describeWorker?: (() => unknown) | undefined;
  /** The payload's JSON Schema, served at `/schema.json` (the tasks' business: opaque here). */
  payloadSchema?: (() => unknown) | undefined;
  /**
   * Files served as they are at fixed paths (the playground page and its assets), by URL path.
   * They answer GET/HEAD without the key: they hold no secret, and a page that asks for the key
   * has to load first. Everything the page then calls goes through the key check.
   */
  pages?: ReadonlyMap<string, StaticPage> | undefined;
}

/** A file the local API serves as is: its bytes, type and any headers of its own (a page's CSP). */
export interface StaticPage {
  type: string;
  body: Buffer;
  headers?: Readonly<Record<string, string>>;
}

const RunRequestSchema = z
  .object({
    input: z.unknown(),
    webhook: z.url({ protocol: /^https?$/ }).optional(),
    policy: z
      .object({
        executionTimeout: z.number().int().positive().optional(),
        ttl: z.number().int().positive().optional(),
        lowPriority: z.boolean().optional(),
      })
      .loose()
      .optional(),
  })
  .loose()
  .refine((r) => r.input !== undefined, { message: 'is required', path: ['input'] });

/** `?wait=` in ms, clamped like the hosted API (1 s … 5 min). */
function waitParam(url: URL, fallback: number): number {
  const raw = url.searchParams.get('wait');
  const n = raw === null ? fallback : Number(raw);
  return Number.isFinite(n) ? Math.min(300_000, Math.max(1_000, n)) : fallback;
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * How much of a body over the limit is read and thrown away so the client hears the 413. A client
 * that sends its whole body before reading (fetch, most HTTP libraries) never sees an answer
 * written while it is still sending if the socket is then closed: the unread bytes make the
 * kernel reset the connection, and the reset discards the answer on its way. Past this bound the
 * connection is cut all the same (bounded work for a client that never stops).
 */
export const DRAIN_BYTES = 64 * 1024 * 1024;

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      // Nothing more is kept; the rest is read only to be dropped (up to DRAIN_BYTES).
      chunks.length = 0;
      if (size > limit + DRAIN_BYTES) break;
      continue;
    }
    chunks.push(chunk as Buffer);
  }
  if (size > limit) {
    throw new WorkerError('INPUT_TOO_LARGE', `request body over ${limit} bytes`, { details: { limit_bytes: limit } });
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidInput([{ field: 'body', message: 'is not valid JSON' }]);
  }
}

/**
 * A refused request is coded like a failed job: the body is `{ "error": "<JSON string>" }` with
 * the same `{code, message, details, retryable}` a FAILED job's `error` holds (src/errors.ts makes
 * both), so a client parses one shape whether the request or the job was refused.
 */
const STATUS_OF_CODE: Partial<Record<string, number>> = {
  INVALID_INPUT: 400,
  NOT_RETRYABLE: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INPUT_TOO_LARGE: 413,
  QUEUE_FULL: 429,
};

/** A full queue as a coded refusal; anything else as it was. */
function queueFull(e: unknown): unknown {
  return e instanceof QueueFullError ? new WorkerError('QUEUE_FULL', e.message, { cause: e }) : e;
}

export function createLocalApiHandler(o: LocalApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { jobs, log } = o;
  const maxRunBytes = o.maxRunBytes ?? 10_000_000;
  const maxRunsyncBytes = o.maxRunsyncBytes ?? 20_000_000;
  const streamHoldMs = o.streamHoldMs ?? 1_000;

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  };

  async function submit(req: IncomingMessage, limit: number) {
    const raw = await readJson(req, limit);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw invalidInput([{ field: 'body', message: 'must be a JSON object with an "input" field' }]);
    }
    const parsed = RunRequestSchema.safeParse(raw);
    if (!parsed.success) throw invalidInput(toFieldIssues(parsed.error, raw));
    try {
      return jobs.submit({
        input: parsed.data.input,
        webhook: parsed.data.webhook,
        executionTimeoutMs: parsed.data.policy?.executionTimeout,
      });
    } catch (e) {
      throw queueFull(e);
    }
  }

  const sendPage = (res: ServerResponse, page: StaticPage, method: string): void => {
    res.writeHead(200, {
      ...page.headers,
      'content-type': page.type,
      'content-length': page.body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(method === 'HEAD' ? undefined : page.body);
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    const page = method === 'GET' || method === 'HEAD' ? o.pages?.get(url.pathname) : undefined;
    if (page) return sendPage(res, page, method);
    const path = url.pathname.replace(/^\/v2\/[^/]+(?=\/)/, '').replace(/\/+$/, '');
    if (o.apiKey !== undefined) {
      const given = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      if (!sameSecret(given, o.apiKey))
        throw new WorkerError('UNAUTHORIZED', 'missing or wrong Authorization (the local API key, LOCAL_API_KEY)');
    }
    const [, op, jobId, ...rest] = path.split('/');
    const id = jobId ?? '';
    if (rest.length > 0) throw new WorkerError('NOT_FOUND', `no route ${path}`, { details: { path } });
    const allow = (...methods: string[]): void => {
      if (!methods.includes(method)) {
        throw new WorkerError('METHOD_NOT_ALLOWED', `${method} not allowed on /${op ?? ''}; use ${methods.join(' or ')}`, {
          details: { allow: methods },
        });
      }
    };
    const found = <T>(v: T | undefined): T => {
      if (v === undefined)
        throw new WorkerError('NOT_FOUND', `job ${id} not found (unknown, or its result expired)`, { details: { job_id: id } });
      return v;
    };
    switch (op) {
      case 'run':
        allow('POST');
        return send(res, 200, { id: (await submit(req, maxRunBytes)).id, status: 'IN_QUEUE' });
      case 'runsync': {
        allow('POST');
        const job = await submit(req, maxRunsyncBytes);
        return send(res, 200, await jobs.waitForTerminal(job.id, waitParam(url, 90_000)));
      }
      case 'status':
        allow('GET', 'POST');
        return send(res, 200, found(jobs.status(id)));
      case 'status-sync':
        allow('GET', 'POST');
        return send(res, 200, found(await jobs.waitForTerminal(id, waitParam(url, 90_000))));
      case 'stream': {
        allow('GET', 'POST');
        const hold = url.searchParams.has('wait') ? waitParam(url, streamHoldMs) : streamHoldMs;
        return send(res, 200, found(await jobs.readStream(id, hold)));
      }
      case 'cancel': {
        allow('POST');
        const s = found(jobs.cancel(id));
        return send(res, 200, { id: s.id, status: s.status });
      }
      case 'retry': {
        allow('POST');
        let r: ReturnType<typeof jobs.retry>;
        try {
          r = jobs.retry(id);
        } catch (e) {
          throw queueFull(e);
        }
        if (r === 'not-retryable')
          throw new WorkerError('NOT_RETRYABLE', `job ${id} can be retried only when FAILED, TIMED_OUT or CANCELLED`, {
            details: { job_id: id },
          });
        const s = found(r);
        return send(res, 200, { id: s.id, status: s.status });
      }
      case 'schema.json':
        allow('GET');
        if (!o.payloadSchema) throw new WorkerError('NOT_FOUND', 'no payload schema on this worker', { details: { path } });
        return send(res, 200, o.payloadSchema());
      case 'health':
        allow('GET');
        return send(res, 200, o.describeWorker ? { ...jobs.health(), worker: o.describeWorker() } : jobs.health());
      case 'purge-queue':
        allow('POST');
        return send(res, 200, { removed: jobs.purgeQueue(), status: 'completed' });
      default:
        throw new WorkerError('NOT_FOUND', `no route ${path || '/'}`, { details: { path: path || '/' } });
    }
  }

  return (req, res) => {
    route(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      const status = isWorkerError(e) ? STATUS_OF_CODE[e.code] : undefined;
      if (status !== undefined) {
        if (status === 405) res.setHeader('allow', ((e as WorkerError).details as { allow: string[] }).allow.join(', '));
        return send(res, status, { error: toJobErrorString(e) });
      }
      log.error({ err: e, url: req.url }, 'local API request failed');
      send(res, 500, { error: 'internal error' });
    });
  };
}
