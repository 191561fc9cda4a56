/**
 * @module A fake RunPod job API on loopback (port 0): job-take (long-polled, single and batch),
 * job-done, job-stream, ping and job-stop routes that record every request. Scripted answers
 * (`takeScript`, `doneScript`) let a test make the platform fail on purpose.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  /** Route kind, from the path. */
  kind: 'take' | 'take-batch' | 'done' | 'stream' | 'ping' | 'stop' | 'other';
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  /** ms since the fake started. */
  at: number;
  /** The status the fake answered. */
  status?: number;
}

export interface FakeJob {
  id: string;
  input: unknown;
  [k: string]: unknown;
}

export interface FakeRunpod {
  /** Environment a worker needs to talk to this fake. */
  env: Record<string, string>;
  urls: { jobTake: string; jobDone: string; jobStream: string; ping: string };
  readonly apiKey: string;
  readonly podId: string;
  requests: Recorded[];
  /** Makes a job available to job-take (wakes a held long-poll). */
  enqueue(...jobs: FakeJob[]): void;
  /** Statuses answered by the next job-take calls, before normal behaviour (e.g. [429, 500]). */
  takeScript: number[];
  /** Statuses answered by the next job-done posts of final results (e.g. [500, 500]). */
  doneScript: number[];
  /** Job ids answered by the next job-stop poll. */
  stop(...ids: string[]): void;
  /** Called after each request is answered (benchmarks time results with it). */
  onAnswered: ((rec: Recorded) => void) | undefined;
  /** Final results (job-done posts that are not progress), in arrival order. */
  results(): Recorded[];
  /** Resolves when `pred` holds, polling every 10 ms; rejects after `timeoutMs`. */
  waitFor<T>(pred: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export interface FakeRunpodOptions {
  /** How long job-take (and job-stop) hold a request with nothing to give. @default 500 */
  holdMs?: number;
  /** Delay before answering a progress post (a slow platform). @default 0 */
  progressDelayMs?: number;
}

export async function startFakeRunpod({ holdMs = 500, progressDelayMs = 0 }: FakeRunpodOptions = {}): Promise<FakeRunpod> {
  const t0 = performance.now();
  const queue: FakeJob[] = [];
  const waiters = new Set<() => void>();
  const stopIds: string[] = [];
  const stopWaiters = new Set<() => void>();
  const requests: Recorded[] = [];
  const takeScript: number[] = [];
  const doneScript: number[] = [];
  const answered = new WeakMap<ServerResponse, Recorded>();

  const hold = (set: Set<() => void>, ready: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      if (ready()) return resolve();
      const timer = setTimeout(done, holdMs);
      function done(): void {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      }
      set.add(done);
    });

  const json = (res: ServerResponse, rec: Recorded, status: number, body?: unknown): void => {
    rec.status = status;
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const seg = url.pathname.split('/');
    const kindSeg = seg[3];
    const kind: Recorded['kind'] =
      kindSeg === 'job-take'
        ? 'take'
        : kindSeg === 'job-take-batch'
          ? 'take-batch'
          : kindSeg === 'job-done'
            ? 'done'
            : kindSeg === 'job-stream'
              ? 'stream'
              : kindSeg === 'ping'
                ? 'ping'
                : kindSeg === 'job-stop'
                  ? 'stop'
                  : 'other';
    const rec: Recorded = {
      method: req.method ?? '',
      kind,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: performance.now() - t0,
    };
    requests.push(rec);
    answered.set(res, rec);
    switch (kind) {
      case 'take':
      case 'take-batch': {
        const scripted = takeScript.shift();
        if (scripted !== undefined) return json(res, rec, scripted, scripted === 200 ? {} : undefined);
        await hold(waiters, () => queue.length > 0);
        if (res.destroyed || req.socket.destroyed) return;
        if (kind === 'take') {
          const job = queue.shift();
          return job ? json(res, rec, 200, job) : json(res, rec, 204);
        }
        const n = Number(url.searchParams.get('batch_size') ?? '1');
        const jobs = queue.splice(0, n);
        return jobs.length > 0 ? json(res, rec, 200, jobs) : json(res, rec, 204);
      }
      case 'done': {
        const isProgress = rec.body.includes('"IN_PROGRESS"') && (JSON.parse(rec.body) as { status?: string }).status === 'IN_PROGRESS';
        if (isProgress && progressDelayMs > 0) await new Promise((r) => setTimeout(r, progressDelayMs));
        const scripted = isProgress ? undefined : doneScript.shift();
        return json(res, rec, scripted ?? 200, scripted === undefined ? { ok: true } : undefined);
      }
      case 'stream':
        return json(res, rec, 200, { ok: true });
      case 'ping':
        return json(res, rec, 200, { status: 'pong' });
      case 'stop': {
        await hold(stopWaiters, () => stopIds.length > 0);
        if (res.destroyed || req.socket.destroyed) return;
        const ids = stopIds.splice(0);
        return ids.length > 0 ? json(res, rec, 200, { jobsToStop: ids }) : json(res, rec, 204);
      }
      default:
        return json(res, rec, 404);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).then(
      () => {
        const rec = answered.get(res);
        if (rec) fake.onAnswered?.(rec);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}/v2/fake-endpoint`;
  const urls = {
    jobTake: `${base}/job-take/$ID?gpu=TEST+GPU`,
    jobDone: `${base}/job-done/$RUNPOD_POD_ID/$ID?gpu=TEST+GPU`,
    jobStream: `${base}/job-stream/$RUNPOD_POD_ID/$ID?gpu=TEST+GPU`,
    ping: `${base}/ping/$RUNPOD_POD_ID?gpu=TEST+GPU`,
  };
  const apiKey = 'rp-test-key-123';
  const podId = 'pod-test-1';

  const fake: FakeRunpod = {
    onAnswered: undefined,
    urls,
    apiKey,
    podId,
    env: {
      RUNPOD_WEBHOOK_GET_JOB: urls.jobTake,
      RUNPOD_WEBHOOK_POST_OUTPUT: urls.jobDone,
      RUNPOD_WEBHOOK_POST_STREAM: urls.jobStream,
      RUNPOD_WEBHOOK_PING: urls.ping,
      RUNPOD_AI_API_KEY: apiKey,
      RUNPOD_POD_ID: podId,
    },
    requests,
    takeScript,
    doneScript,
    enqueue(...jobs) {
      queue.push(...jobs);
      for (const w of [...waiters]) w();
    },
    stop(...ids) {
      stopIds.push(...ids);
      for (const w of [...stopWaiters]) w();
    },
    results: () =>
      requests.filter((r) => r.kind === 'done' && r.status === 200 && (JSON.parse(r.body) as { status?: string }).status !== 'IN_PROGRESS'),
    async waitFor(pred, timeoutMs = 10_000) {
      const until = performance.now() + timeoutMs;
      for (;;) {
        const v = pred();
        if (v !== undefined && v !== false) return v;
        if (performance.now() > until) throw new Error(`waitFor timed out after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      for (const w of [...waiters, ...stopWaiters]) w();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
