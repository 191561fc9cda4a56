import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { WorkerError } from '../../src/errors.js';
import type { Handler } from '../../src/runtime/types.js';
import { startFakeRunpod, type FakeRunpod } from '../helpers/fake-runpod.js';
import { busyFor, startPlatformAgainst, type StartedPlatform } from '../helpers/runtime.js';

let fake: FakeRunpod;
let worker: StartedPlatform | undefined;

beforeEach(async () => {
  fake = await startFakeRunpod({ holdMs: 300 });
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await fake.close();
});

const bodyOf = (r: { body: string }): Record<string, unknown> => JSON.parse(r.body) as Record<string, unknown>;

describe('platform mode against a fake RunPod job API', () => {
  it('takes a job and posts its result with the right URL, headers and body', async () => {
    const seen: unknown[] = [];
    worker = startPlatformAgainst(fake, async (job, ctx) => {
      seen.push({ id: job.id, input: job.input, mode: ctx.mode });
      return { echoed: job.input, n: 42 };
    });
    fake.enqueue({ id: 'job-1', input: { prompt: 'rain' } });
    const [result] = await fake.waitFor(() => (fake.results().length > 0 ? fake.results() : false));
    expect(seen).toEqual([{ id: 'job-1', input: { prompt: 'rain' }, mode: 'platform' }]);

    expect(result!.method).toBe('POST');
    expect(result!.path).toBe('/v2/fake-endpoint/job-done/pod-test-1/job-1');
    expect(result!.query.get('gpu')).toBe('TEST GPU');
    expect(result!.query.get('isStream')).toBe('false');
    expect(result!.headers.authorization).toBe(fake.apiKey); // raw key, no "Bearer"
    expect(result!.headers['x-request-id']).toBe('job-1');
    expect(bodyOf(result!)).toEqual({ output: { echoed: { prompt: 'rain' }, n: 42 } });

    const take = fake.requests.find((r) => r.kind === 'take' && r.status === 200)!;
    expect(take.path).toBe('/v2/fake-endpoint/job-take/pod-test-1');
    expect(take.query.get('gpu')).toBe('TEST GPU');
    expect(take.query.get('job_in_progress')).toBe('0');
    expect(take.headers.authorization).toBe(fake.apiKey);
    expect(await worker.stop()).toBe(0);
    worker = undefined;
    expect(fake.results()).toHaveLength(1);
  });

  it('posts a coded error string when the handler throws', async () => {
    worker = startPlatformAgainst(fake, async () => {
      throw new WorkerError('MEDIA_UNREADABLE', 'cannot read the video', { details: { field: 'video_path' } });
    });
    fake.enqueue({ id: 'job-err', input: {} });
    const [result] = await fake.waitFor(() => (fake.results().length > 0 ? fake.results() : false));
    const body = bodyOf(result!);
    expect(Object.keys(body)).toEqual(['error']);
    expect(typeof body.error).toBe('string');
    expect(JSON.parse(body.error as string)).toEqual({
      code: 'MEDIA_UNREADABLE',
      message: 'cannot read the video',
      details: { field: 'video_path' },
      retryable: false,
    });
  });

  it('survives a 429 and a 500 on job take, then takes the job', async () => {
    fake.takeScript.push(429, 500, 503);
    worker = startPlatformAgainst(fake, async () => 'ok');
    fake.enqueue({ id: 'job-after-errors', input: {} });
    await fake.waitFor(() => fake.results().length === 1);
    const takes = fake.requests.filter((r) => r.kind === 'take').map((r) => r.status);
    expect(takes.slice(0, 4)).toEqual([429, 500, 503, 200]);
    expect(bodyOf(fake.results()[0]!)).toEqual({ output: 'ok' });
  });

  it('retries a result post that fails twice, then succeeds, posting the same body', async () => {
    fake.doneScript.push(500, 502);
    worker = startPlatformAgainst(fake, async () => ({ value: 7 }));
    fake.enqueue({ id: 'job-retry', input: {} });
    await fake.waitFor(() => fake.results().length === 1);
    const posts = fake.requests.filter((r) => r.kind === 'done');
    expect(posts.map((p) => p.status)).toEqual([500, 502, 200]);
    for (const p of posts) {
      expect(bodyOf(p)).toEqual({ output: { value: 7 } });
      expect(p.headers['x-request-id']).toBe('job-retry');
    }
  });

  it('keeps pinging with the in-progress job id all through a CPU-busy job', async () => {
    // 250 ms, not less: other test files run beside this one on 2 cores, and the OS may hold this
    // process for ~100 ms at a time; a gap over 2 intervals is still a starved timer.
    const pingIntervalMs = 250;
    let jobStart = 0;
    let jobEnd = 0;
    worker = startPlatformAgainst(
      fake,
      async () => {
        jobStart = performance.now();
        await busyFor(8 * pingIntervalMs);
        jobEnd = performance.now();
        return 'done';
      },
      { pingIntervalMs },
    );
    await fake.waitFor(() => fake.requests.filter((r) => r.kind === 'ping').length >= 2);
    fake.enqueue({ id: 'job-busy', input: {} });
    await fake.waitFor(() => fake.results().length === 1);
    expect(jobEnd - jobStart).toBeGreaterThanOrEqual(8 * pingIntervalMs);
    const pings = fake.requests.filter((r) => r.kind === 'ping');
    const idle = pings[0]!;
    expect(idle.query.has('job_id')).toBe(false);
    expect(idle.query.get('runpod_version')).toBe('test');
    expect(idle.headers.authorization).toBe(fake.apiKey);
    expect(idle.path).toBe('/v2/fake-endpoint/ping/pod-test-1');
    const during = pings.filter((p) => p.query.get('job_id') === 'job-busy');
    // 8 intervals of busy CPU: at least 6 pings carry the job id, and no gap is much over one interval.
    expect(during.length).toBeGreaterThanOrEqual(6);
    const gaps = during.slice(1).map((p, i) => p.at - during[i]!.at);
    expect(Math.max(...gaps)).toBeLessThan(2 * pingIntervalMs);
    const result = fake.results()[0]!;
    expect(during.at(-1)!.at).toBeLessThanOrEqual(result.at);
  });

  it('runs two slow jobs at once with concurrency 2', async () => {
    const spans: Record<string, [number, number]> = {};
    let running = 0;
    let maxRunning = 0;
    worker = startPlatformAgainst(
      fake,
      async (job) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        const start = performance.now();
        await delay(500);
        running--;
        spans[job.id] = [start, performance.now()];
        return job.id;
      },
      { concurrency: 2 },
    );
    fake.enqueue({ id: 'slow-a', input: {} }, { id: 'slow-b', input: {} });
    const t0 = performance.now();
    await fake.waitFor(() => fake.results().length === 2);
    expect(maxRunning).toBe(2);
    const a = spans['slow-a']!;
    const b = spans['slow-b']!;
    expect(Math.max(a[0], b[0])).toBeLessThan(Math.min(a[1], b[1])); // the two runs overlap
    expect(performance.now() - t0).toBeLessThan(950); // not 2 × 500 ms in a row
    expect(
      fake
        .results()
        .map((r) => bodyOf(r).output)
        .sort(),
    ).toEqual(['slow-a', 'slow-b']);
  });

  it('sends progress in order before the final result and never after it', async () => {
    await fake.close();
    fake = await startFakeRunpod({ holdMs: 300, progressDelayMs: 40 }); // a slow platform
    worker = startPlatformAgainst(fake, async (_job, ctx) => {
      for (let i = 1; i <= 50; i++) {
        ctx.progress({ step: i });
        if (i % 10 === 0) await delay(15);
      }
      ctx.progress({ step: 51 }); // still pending (one is in flight) when the handler returns
      setTimeout(() => ctx.progress({ step: 'late' }), 5);
      return 'finished';
    });
    fake.enqueue({ id: 'job-progress', input: {} });
    await fake.waitFor(() => fake.results().length === 1);
    await delay(150);
    const posts = fake.requests.filter((r) => r.kind === 'done');
    const final = posts.at(-1)!;
    expect(bodyOf(final)).toEqual({ output: 'finished' });
    const progress = posts.slice(0, -1);
    // Each progress post was answered before the final result was sent.
    for (const p of progress) expect(p.at + 40).toBeLessThanOrEqual(final.at + 1);
    const steps = progress.map((p) => {
      expect(bodyOf(p).status).toBe('IN_PROGRESS');
      return (bodyOf(p).output as { step: number }).step;
    });
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.length).toBeLessThan(50); // throttled: latest wins while one is in flight
    expect([...steps].sort((x, y) => x - y)).toEqual(steps);
    expect(steps).not.toContain(51);
    expect(JSON.stringify(steps)).not.toContain('late');
  });

  it('posts each streamed partial to job-stream, then a final job-done with isStream=true', async () => {
    const streaming: Handler = async function* () {
      yield { chunk: 1 };
      yield { chunk: 2 };
    };
    worker = startPlatformAgainst(fake, streaming);
    fake.enqueue({ id: 'job-stream', input: {} });
    await fake.waitFor(() => fake.results().length === 1);
    const chunks = fake.requests.filter((r) => r.kind === 'stream');
    expect(chunks.map(bodyOf)).toEqual([{ output: { chunk: 1 } }, { output: { chunk: 2 } }]);
    expect(chunks[0]!.path).toBe('/v2/fake-endpoint/job-stream/pod-test-1/job-stream');
    const final = fake.results()[0]!;
    expect(final.query.get('isStream')).toBe('true');
    expect(bodyOf(final)).toEqual({ output: [] });
    expect(final.at).toBeGreaterThan(chunks[1]!.at);
  });

  it('turns a result over the size limit into RESULT_TOO_LARGE', async () => {
    worker = startPlatformAgainst(fake, async () => ({ blob: 'x'.repeat(5_000) }), { maxResultBytes: 1_000 });
    fake.enqueue({ id: 'job-big', input: {} });
    await fake.waitFor(() => fake.results().length === 1);
    const err = JSON.parse(bodyOf(fake.results()[0]!).error as string) as { code: string; details: { bytes: number } };
    expect(err.code).toBe('RESULT_TOO_LARGE');
    expect(err.details.bytes).toBeGreaterThan(5_000);
  });

  it('aborts a job the job-stop channel names and posts no result for it', async () => {
    let aborted: unknown;
    worker = startPlatformAgainst(fake, (_job, ctx) => {
      return new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = ctx.signal.reason;
          reject(ctx.signal.reason as Error);
        });
      });
    });
    fake.enqueue({ id: 'job-stop-me', input: {} });
    await fake.waitFor(() => fake.requests.some((r) => r.kind === 'take' && r.status === 200));
    fake.stop('job-stop-me');
    await fake.waitFor(() => aborted !== undefined);
    await delay(200);
    expect(fake.results()).toHaveLength(0);
    expect(fake.requests.some((r) => r.kind === 'stop' && r.path === '/v2/fake-endpoint/job-stop/pod-test-1')).toBe(true);
  });

  it('lets concurrencyModifier raise the concurrency between takes', async () => {
    let active = 0;
    let peak = 0;
    const seen: number[] = [];
    worker = startPlatformAgainst(
      fake,
      async () => {
        active++;
        peak = Math.max(peak, active);
        await delay(300);
        active--;
        return 'ok';
      },
      {
        concurrency: 1,
        concurrencyModifier: (current) => {
          seen.push(current);
          return 2;
        },
      },
    );
    fake.enqueue({ id: 'm-a', input: {} }, { id: 'm-b', input: {} });
    await fake.waitFor(() => fake.results().length === 2);
    expect(seen[0]).toBe(1);
    expect(seen).toContain(2);
    expect(peak).toBe(2);
  });

  it('on shutdown stops taking, lets the running job finish within the grace period, then cancels it and posts the error', async () => {
    let aborted = false;
    let started: () => void = () => undefined;
    const running = new Promise<void>((r) => {
      started = r;
    });
    worker = startPlatformAgainst(
      fake,
      (_job, ctx) =>
        new Promise((_resolve, reject) => {
          started();
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            reject(ctx.signal.reason as Error);
          });
        }),
      { graceMs: 300 },
    );
    fake.enqueue({ id: 'job-stuck', input: {} });
    // The job is in the handler (the fake's 200 alone can precede the worker's reading of it on a loaded machine).
    await running;
    const t0 = performance.now();
    const exit = worker.stop();
    worker = undefined;
    await delay(150);
    expect(aborted).toBe(false); // still inside the grace period
    expect(await exit).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(aborted).toBe(true);
    const err = JSON.parse(bodyOf(fake.results()[0]!).error as string) as { code: string };
    expect(err.code).toBe('CANCELLED');
    expect(fake.requests.filter((r) => r.kind === 'take' && r.status === 200)).toHaveLength(1);
  });
});
