import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import runpodSdk from 'runpod-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkerError } from '../../src/errors.js';
import type { Handler, JobContext } from '../../src/runtime/types.js';
import { startLocalApi, type StartedApi } from '../helpers/local-api.js';

let api: StartedApi | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

/** What the test handler saw: abort reasons by job id. */
const aborted = new Map<string, unknown>();

function sleepOrAbort(ms: number, ctx: JobContext): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(t);
      aborted.set(ctx.id, ctx.signal.reason);
      reject(ctx.signal.reason as Error);
    });
  });
}

type TestInput = { kind: 'echo'; value: unknown } | { kind: 'slow'; ms: number } | { kind: 'stream'; n: number } | { kind: 'fail' };

const handler: Handler = (job, ctx) => {
  const input = job.input as TestInput;
  switch (input.kind) {
    case 'echo':
      return Promise.resolve({ echo: input.value });
    case 'slow':
      return sleepOrAbort(input.ms, ctx).then(() => 'slept');
    case 'fail':
      return Promise.reject(new WorkerError('INVALID_INPUT', 'bad input', { details: { field: 'kind' } }));
    case 'stream':
      return (async function* () {
        for (let i = 1; i <= input.n; i++) {
          await delay(30);
          yield { part: i };
        }
      })();
  }
};

/** A refused request's status and its coded error (the `error` field is a JSON string, as a failed job's). */
async function codedError(res: Response): Promise<{ status: number; error: unknown }> {
  const body = (await res.json()) as { error: string };
  return { status: res.status, error: JSON.parse(body.error) as unknown };
}

const endpointOf = (a: StartedApi, key = 'test-key') => runpodSdk(key, { baseUrl: `${a.url}/v2` }).endpoint('local-endpoint')!;

describe('local API driven by the runpod-sdk client', () => {
  it('run returns IN_QUEUE, the job runs without polling, and status reaches COMPLETED', async () => {
    api = await startLocalApi(handler);
    const ep = endpointOf(api);
    const run = (await ep.run({ input: { kind: 'echo', value: [1, 'two'] } })) as { id: string; status: string };
    expect(run.status).toBe('IN_QUEUE');
    expect(run.id).toMatch(/^[0-9a-f-]{36}-l1$/);
    // Runs right away: after a pause with no polling, the job is already done.
    await delay(150);
    const status = (await ep.status(run.id)) as Record<string, unknown>;
    expect(status).toMatchObject({ id: run.id, status: 'COMPLETED', output: { echo: [1, 'two'] }, completed: true, succeeded: true });
    expect(typeof status.delayTime).toBe('number');
    expect(typeof status.executionTime).toBe('number');
    // runpod-sdk's HTTP client (xior) throws on a non-2xx answer.
    await expect(ep.status('no-such-job')).rejects.toThrow('status code 404');
  });

  it('runSync returns the finished job, and a failure carries the coded error string', async () => {
    api = await startLocalApi(handler);
    const ep = endpointOf(api);
    const ok = (await ep.runSync({ input: { kind: 'echo', value: 'hi' } })) as Record<string, unknown>;
    expect(ok).toMatchObject({ status: 'COMPLETED', output: { echo: 'hi' }, completed: true });
    const failed = (await ep.runSync({ input: { kind: 'fail' } })) as unknown as { status: string; error: string };
    expect(failed.status).toBe('FAILED');
    expect(JSON.parse(failed.error)).toEqual({ code: 'INVALID_INPUT', message: 'bad input', details: { field: 'kind' }, retryable: false });
    // Past ?wait the answer is the job still in progress, and status-sync (used by runSync) picks it up.
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const res = await fetch(`${api.url}/v2/x/runsync?wait=1000`, {
        method: 'POST',
        body: JSON.stringify({ input: { kind: 'slow', ms: 1_500 } }),
      });
      const body = (await res.json()) as { id: string; status: string };
      expect(body.status).toBe('IN_PROGRESS');
      expect(await ep.statusSync(body.id, 5_000)).toMatchObject({ status: 'COMPLETED', output: 'slept' });
    } finally {
      log.mockRestore();
    }
  });

  it('stream yields every partial output in order', async () => {
    api = await startLocalApi(handler);
    const ep = endpointOf(api);
    const { id } = (await ep.run({ input: { kind: 'stream', n: 5 } })) as { id: string };
    const got: unknown[] = [];
    for await (const chunk of ep.stream(id)) got.push(chunk);
    expect(got).toEqual([1, 2, 3, 4, 5].map((part) => ({ output: { part } })));
    expect(await ep.status(id)).toMatchObject({ status: 'COMPLETED', output: [1, 2, 3, 4, 5].map((part) => ({ part })) });
  });

  it('cancel of a running job fires its AbortSignal and leaves it CANCELLED', async () => {
    api = await startLocalApi(handler);
    const ep = endpointOf(api);
    const { id } = (await ep.run({ input: { kind: 'slow', ms: 10_000 } })) as { id: string };
    for (let i = 0; i < 100 && ((await ep.status(id)) as { status: string }).status !== 'IN_PROGRESS'; i++) await delay(10);
    expect(await ep.cancel(id)).toEqual({ id, status: 'CANCELLED' });
    await vi.waitFor(() => expect(aborted.has(id)).toBe(true));
    expect((aborted.get(id) as WorkerError).code).toBe('CANCELLED');
    await delay(50);
    expect(await ep.status(id)).toMatchObject({ status: 'CANCELLED' });
  });

  it('health counts jobs and workers', async () => {
    api = await startLocalApi(handler, { concurrency: 2 });
    const ep = endpointOf(api);
    await ep.runSync({ input: { kind: 'echo', value: 1 } });
    await ep.runSync({ input: { kind: 'fail' } });
    await ep.run({ input: { kind: 'slow', ms: 400 } });
    await delay(50);
    expect(await ep.health()).toEqual({
      jobs: { completed: 1, failed: 1, inProgress: 1, inQueue: 0, retried: 0 },
      workers: { idle: 1, running: 1 },
    });
  });

  it('policy.executionTimeout aborts the job and ends it TIMED_OUT', async () => {
    api = await startLocalApi(handler);
    const ep = endpointOf(api);
    const res = (await ep.runSync({ input: { kind: 'slow', ms: 5_000 }, policy: { executionTimeout: 200 } } as never)) as unknown as {
      id: string;
      status: string;
      error: string;
    };
    expect(res.status).toBe('TIMED_OUT');
    expect(JSON.parse(res.error)).toMatchObject({ code: 'TIMED_OUT' });
    await vi.waitFor(() => expect((aborted.get(res.id) as WorkerError | undefined)?.code).toBe('TIMED_OUT'));
  });

  it('requires the local API key when one is configured', async () => {
    api = await startLocalApi(handler, { apiKey: 'local-secret' });
    await expect(endpointOf(api, 'wrong').health()).rejects.toThrow('status code 401');
    expect(await endpointOf(api, 'local-secret').health()).toMatchObject({ workers: { idle: 1 } });
    const raw = await fetch(`${api.url}/health`, { headers: { authorization: 'local-secret' } });
    expect(raw.status).toBe(200);
    const refused = await fetch(`${api.url}/health`, { headers: { authorization: 'Bearer wrong' } });
    expect(await codedError(refused)).toEqual({
      status: 401,
      error: { code: 'UNAUTHORIZED', message: expect.stringContaining('LOCAL_API_KEY'), retryable: false },
    });
  });

  it('answers unknown routes, ids and methods with coded errors, as a failed job is coded', async () => {
    api = await startLocalApi(handler);
    expect(await codedError(await fetch(`${api.url}/v2/x/nothing`))).toEqual({
      status: 404,
      error: { code: 'NOT_FOUND', message: 'no route /nothing', details: { path: '/nothing' }, retryable: false },
    });
    expect(await codedError(await fetch(`${api.url}/status/no-such-job`))).toMatchObject({
      status: 404,
      error: { code: 'NOT_FOUND', details: { job_id: 'no-such-job' } },
    });
    const wrongMethod = await fetch(`${api.url}/run`);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(await codedError(wrongMethod)).toMatchObject({
      status: 405,
      error: { code: 'METHOD_NOT_ALLOWED', details: { allow: ['POST'] } },
    });
  });

  it('POSTs the final status to the webhook, retrying until it answers 200', async () => {
    const hits: { status: number; body: Record<string, unknown> }[] = [];
    const hook = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        const status = hits.length === 0 ? 500 : 200;
        hits.push({ status, body: JSON.parse(text) as Record<string, unknown> });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      api = await startLocalApi(handler, { webhookRetryDelayMs: 20 });
      const ep = endpointOf(api);
      const { port } = hook.address() as AddressInfo;
      const { id } = (await ep.run({ input: { kind: 'echo', value: 'w' }, webhook: `http://127.0.0.1:${port}/hook` })) as { id: string };
      await vi.waitFor(() => expect(hits).toHaveLength(2));
      expect(hits.map((h) => h.status)).toEqual([500, 200]);
      expect(hits[1]!.body).toMatchObject({ id, status: 'COMPLETED', output: { echo: 'w' } });
    } finally {
      hook.close();
    }
  });

  it('purge-queue removes queued jobs only; a bounded queue refuses with 429; results expire', async () => {
    api = await startLocalApi(handler, { maxQueue: 2, resultTtlMs: 300 });
    const ep = endpointOf(api);
    const running = (await ep.run({ input: { kind: 'slow', ms: 300 } })) as { id: string };
    await delay(30);
    const queued = [await ep.run({ input: { kind: 'echo', value: 1 } }), await ep.run({ input: { kind: 'echo', value: 2 } })] as {
      id: string;
    }[];
    const refused = await fetch(`${api.url}/run`, { method: 'POST', body: JSON.stringify({ input: { kind: 'echo', value: 3 } }) });
    expect(await codedError(refused)).toMatchObject({ status: 429, error: { code: 'QUEUE_FULL', retryable: true } });
    expect(await ep.purgeQueue()).toEqual({ removed: 2, status: 'completed' });
    await expect(ep.status(queued[0]!.id)).rejects.toThrow('status code 404');
    const done = (await ep.statusSync(running.id, 5_000)) as { status: string };
    expect(done.status).toBe('COMPLETED');
    await delay(350);
    await expect(ep.status(running.id)).rejects.toThrow('status code 404');
  });

  it('runs 100 jobs with concurrency 4: none lost, none duplicated', async () => {
    const runs = new Map<string, number>();
    let active = 0;
    let peak = 0;
    const counting: Handler = async (job) => {
      runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
      active++;
      peak = Math.max(peak, active);
      await delay(5 + ((job.input as { n: number }).n % 4) * 5);
      active--;
      return { n: (job.input as { n: number }).n };
    };
    api = await startLocalApi(counting, { concurrency: 4 });
    const ep = endpointOf(api);
    const submitted = (await Promise.all(Array.from({ length: 100 }, (_, n) => ep.run({ input: { n } }, 10_000)))) as { id: string }[];
    const ids = submitted.map((s) => s.id);
    expect(new Set(ids).size).toBe(100);
    const finals = (await Promise.all(ids.map((id) => ep.statusSync(id, 30_000)))) as {
      id: string;
      status: string;
      output: { n: number };
    }[];
    expect(finals.map((f) => f.status)).toEqual(Array(100).fill('COMPLETED'));
    expect(finals.map((f) => f.output.n)).toEqual(Array.from({ length: 100 }, (_, n) => n));
    expect(finals.map((f) => f.id)).toEqual(ids);
    expect([...runs.keys()].sort()).toEqual([...ids].sort());
    expect([...runs.values()].every((c) => c === 1)).toBe(true);
    expect(peak).toBe(4);
    expect(await ep.health()).toMatchObject({ jobs: { completed: 100, failed: 0, inProgress: 0, inQueue: 0 } });
  });
});

describe('local API retry', () => {
  it('POST /retry/{id} runs a failed job again under the same id; a completed one cannot be retried', async () => {
    api = await startLocalApi(handler);
    const ep = endpointOf(api);
    const post = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(`${api!.url}/v2/local-endpoint${path}`, { method: 'POST' });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const failed = (await ep.runSync({ input: { kind: 'fail' } })) as { id: string; status: string };
    expect(failed.status).toBe('FAILED');
    const retried = await post(`/retry/${failed.id}`);
    expect(retried).toEqual({ status: 200, body: { id: failed.id, status: 'IN_QUEUE' } });
    const again = (await ep.statusSync(failed.id)) as unknown as { status: string; error: string };
    expect(again.status).toBe('FAILED');
    expect(JSON.parse(again.error)).toMatchObject({ code: 'INVALID_INPUT' });
    expect(((await ep.health()) as { jobs: { retried: number; failed: number } }).jobs).toMatchObject({ retried: 1, failed: 1 });

    const ok = (await ep.runSync({ input: { kind: 'echo', value: 1 } })) as { id: string };
    const notRetryable = await post(`/retry/${ok.id}`);
    expect(notRetryable.status).toBe(400);
    expect(JSON.parse(notRetryable.body.error as string)).toMatchObject({ code: 'NOT_RETRYABLE', details: { job_id: ok.id } });
    expect((await post('/retry/no-such-job')).status).toBe(404);
  });
});
