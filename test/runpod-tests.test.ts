/**
 * Every request of .runpod/tests.json (what RunPod's hub runs against a new release: one per
 * task) through the real local API, as RunPod would send it: each completes within its timeout
 * and returns its media. They use only the bundled samples, so they run anywhere.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorker, type TestWorker } from './helpers/job.js';
import { startLocalApi, type StartedApi } from './helpers/local-api.js';

interface HubTest {
  name: string;
  input: Record<string, unknown>;
  timeout: number;
}
const TESTS = (JSON.parse(readFileSync(new URL('../.runpod/tests.json', import.meta.url), 'utf8')) as { tests: HubTest[] }).tests;

let worker: TestWorker;
let api: StartedApi;
beforeAll(async () => {
  worker = await createTestWorker({}, 'temp');
  api = await startLocalApi(worker.handler);
});
afterAll(async () => {
  await api?.stop();
  await worker?.close();
});

describe('.runpod/tests.json', () => {
  it('has one request per task that runs without learned weights', async () => {
    const { TASK_NAMES, TASKS } = await import('../src/tasks/registry.js');
    // `sound` runs only on a learned engine, whose weights (CC BY-NC, research) RunPod's test worker does not have.
    const builtIn = TASK_NAMES.filter((t) => TASKS[t].engines.some((e) => e.models.length === 0));
    expect(TASK_NAMES.filter((t) => !builtIn.includes(t))).toEqual(['sound']);
    expect(new Set(TESTS.map((t) => (t.input.task as string | undefined) ?? 'foley'))).toEqual(new Set(builtIn));
  });

  it.each(TESTS.map((t) => [t.name, t] as const))(
    '%s: completes through the local API within its timeout',
    async (_name, t) => {
      const started = performance.now();
      const res = await fetch(`${api.url}/v2/local/runsync?wait=${t.timeout}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: t.input }),
      });
      const body = (await res.json()) as { status: string; output?: Record<string, unknown>; error?: string };
      expect(body.status, JSON.stringify(body).slice(0, 400)).toBe('COMPLETED');
      expect(performance.now() - started).toBeLessThan(t.timeout);
      const media = body.output?.video_base64 ?? body.output?.audio_base64;
      expect(typeof media).toBe('string');
      expect(Buffer.from(media as string, 'base64').length).toBeGreaterThan(1000);
    },
    120_000,
  );
});
