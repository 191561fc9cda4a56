/**
 * The local API's jobs at their bounds: a job cancelled because the shutdown grace ran out ends
 * `CANCELLED` (as `/cancel` ends it), not FAILED; finished results are bounded in number and bytes
 * as well as in time, oldest first, and an evicted id answers 404 like an expired one.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MAX_FINISHED_BYTES, MAX_FINISHED_JOBS, createLocalJobs, type StatusBody } from '../../src/runtime/local-jobs.js';
import type { Handler } from '../../src/runtime/types.js';
import { silentLog } from '../helpers/runtime.js';
import { startLocalApi } from '../helpers/local-api.js';

/** Runs until its signal aborts, then fails with the abort reason (what a real task does). */
const untilAborted: Handler = (_job, ctx) =>
  new Promise((_resolve, reject) => {
    ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true });
  });

describe('shutdown grace over', () => {
  it('abortAll ends running jobs CANCELLED, without an error, like /cancel', async () => {
    const jobs = createLocalJobs({ handler: untilAborted, log: silentLog(), concurrency: 2 });
    const a = jobs.submit({ input: {} });
    const b = jobs.submit({ input: {} });
    const c = jobs.submit({ input: {} });
    await new Promise((r) => setTimeout(r, 10));
    expect(jobs.status(a.id)?.status).toBe('IN_PROGRESS');
    const drained = jobs.drain();
    jobs.abortAll(new Error('the worker shut down before the job finished'));
    await drained;
    for (const id of [a.id, b.id]) {
      const s = jobs.status(id)!;
      expect(s.status).toBe('CANCELLED');
      expect(s.error).toBeUndefined();
    }
    expect(jobs.status(c.id)?.status).toBe('CANCELLED');
    const cancelled = jobs.status(a.id)!;
    const viaCancel = createLocalJobs({ handler: untilAborted, log: silentLog() });
    const d = viaCancel.submit({ input: {} });
    await new Promise((r) => setTimeout(r, 10));
    expect(Object.keys(viaCancel.cancel(d.id)!).sort()).toEqual(Object.keys(cancelled).sort());
  });

  it('through the local API: the grace runs out and the webhook reports CANCELLED', async () => {
    const hooks: StatusBody[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as StatusBody);
        res.end('ok');
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const api = await startLocalApi(untilAborted, { graceMs: 100, webhookRetryDelayMs: 10 });
    const res = await fetch(`${api.url}/v2/local/run`, { method: 'POST', body: JSON.stringify({ input: {}, webhook: hookUrl }) });
    const { id } = (await res.json()) as { id: string };
    await new Promise((r) => setTimeout(r, 50));
    expect(await api.stop()).toBe(0);
    receiver.close();
    expect(hooks.map((h) => [h.id, h.status, h.error])).toEqual([[id, 'CANCELLED', undefined]]);
  });
});

describe('finished results are bounded', () => {
  const echo: Handler = async (job) => job.input;

  async function settle(jobs: ReturnType<typeof createLocalJobs>, ids: string[]): Promise<void> {
    for (const id of ids) await jobs.waitForTerminal(id, 5_000);
  }

  it('keeps at most maxFinished results, oldest evicted first; an evicted id is unknown', async () => {
    expect(MAX_FINISHED_JOBS).toBeGreaterThan(0);
    const jobs = createLocalJobs({ handler: echo, log: silentLog(), concurrency: 4, maxFinished: 50 });
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push(jobs.submit({ input: { i } }).id);
    // Waiting holds each job, so read the answers as they end, before they can be evicted.
    const ends = await Promise.all(ids.map((id) => jobs.waitForTerminal(id, 5_000)));
    expect(ends.every((s) => s?.status === 'COMPLETED')).toBe(true);
    const kept = ids.filter((id) => jobs.status(id) !== undefined);
    expect(kept).toEqual(ids.slice(-50));
    expect(jobs.status(ids[0]!)).toBeUndefined();
    expect(await jobs.waitForTerminal(ids[0]!, 0)).toBeUndefined();
    expect(jobs.cancel(ids[0]!)).toBeUndefined();
    expect(jobs.retry(ids[0]!)).toBeUndefined();
    expect(jobs.status(ids.at(-1)!)?.output).toEqual({ i: 299 });
  });

  it('keeps at most maxFinishedBytes of results, but always the newest', async () => {
    expect(MAX_FINISHED_BYTES).toBeGreaterThan(1024 * 1024);
    const jobs = createLocalJobs({ handler: echo, log: silentLog(), maxFinishedBytes: 10_000 });
    const big = 'x'.repeat(3_000);
    const ids = Array.from({ length: 10 }, (_, i) => jobs.submit({ input: { i, big } }).id);
    await settle(jobs, ids);
    const kept = ids.filter((id) => jobs.status(id) !== undefined);
    // Each result is ~3 kB of JSON: three fit under 10 kB.
    expect(kept).toEqual(ids.slice(-3));
    const huge = jobs.submit({ input: { huge: 'y'.repeat(20_000) } }).id;
    await settle(jobs, [huge]);
    expect(ids.filter((id) => jobs.status(id) !== undefined)).toEqual([]);
    expect((jobs.status(huge)!.output as { huge: string }).huge).toHaveLength(20_000);
  });

  it('an evicted id answers 404 through the local API, as an expired one does', async () => {
    const api = await startLocalApi(echo, { graceMs: 100, jobs: { maxFinished: 2 } });
    const base = api.url;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = (await (await fetch(`${base}/v2/local/runsync`, { method: 'POST', body: JSON.stringify({ input: { i } }) })).json()) as {
        id: string;
        status: string;
      };
      expect(r.status).toBe('COMPLETED');
      ids.push(r.id);
    }
    expect((await fetch(`${base}/v2/local/status/${ids[0]}`)).status).toBe(404);
    const last = await fetch(`${base}/v2/local/status/${ids[2]}`);
    expect(last.status).toBe(200);
    expect(((await last.json()) as { output: unknown }).output).toEqual({ i: 2 });
    expect(await api.stop()).toBe(0);
  });
});
