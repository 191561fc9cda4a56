/**
 * SIGTERM during a real job, in a child process running the built worker (pino's way of testing
 * exit behaviour): the job finishes, its result is posted, no new job is taken, the exit code is 0.
 * Needs `npm run build` first (npm test does it).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { packageRoot } from '../../src/config.js';
import { startFakeRunpod, type FakeRunpod } from '../helpers/fake-runpod.js';
import { standIn } from '../helpers/stand-ins.js';

let fake: FakeRunpod;
let volume: string;

beforeEach(async () => {
  fake = await startFakeRunpod({ holdMs: 300 });
  volume = await mkdtemp(join(tmpdir(), 'rt-volume-'));
  // ../shared/media next to the repository, as the media tests use it: a 30 s clip, a few seconds of work.
  await copyFile(await standIn('big_buck_bunny_0_30.webm'), join(volume, 'bbb.webm'));
});
afterEach(async () => {
  await fake.close();
  await rm(volume, { recursive: true, force: true });
});

it('finishes and posts the job in progress on SIGTERM, takes no new job, and exits 0', async () => {
  const root = packageRoot();
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNPOD_')));
  const child = spawn(process.execPath, [join(root, 'dist/handler.js')], {
    cwd: root,
    env: {
      ...env,
      ...fake.env,
      VOLUME_DIR: volume,
      RUNPOD_PING_INTERVAL: '200',
      SHUTDOWN_GRACE_S: '30',
      LOG_LEVEL: 'info',
      LOG_PRETTY: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  fake.enqueue({ id: 'real-job-1', input: { video_path: 'bbb.webm', output_format: 'm4a', delivery: 'base64', seed: 7 } });
  // In progress: the job was taken and the handler has reported progress.
  await fake.waitFor(() => fake.requests.some((r) => r.kind === 'done' && r.body.includes('IN_PROGRESS')), 20_000);
  expect(fake.results()).toHaveLength(0);
  child.kill('SIGTERM');
  const signalledAt = performance.now();
  fake.enqueue({ id: 'must-not-be-taken', input: { video_path: 'bbb.webm' } });

  const [code, signal] = await exited;
  const exitAt = performance.now();
  expect({ code, signal }, stderr.slice(-3_000)).toEqual({ code: 0, signal: null });
  const results = fake.results();
  expect(results.map((r) => r.path)).toEqual(['/v2/fake-endpoint/job-done/pod-test-1/real-job-1']);
  const body = JSON.parse(results[0]!.body) as { output?: { audio_base64?: string; mime?: string; seed?: number } };
  expect(body.output?.mime).toBe('audio/mp4');
  expect(body.output?.seed).toBe(7);
  expect(body.output?.audio_base64?.length).toBeGreaterThan(10_000);
  // Taking stopped at the signal: the second job was never handed out.
  expect(fake.requests.filter((r) => r.kind === 'take' && r.status === 200)).toHaveLength(1);
  expect(stderr).toContain('shutting down');
  expect(exitAt).toBeGreaterThan(signalledAt);
}, 40_000);

it('serves the real handler on --rp_serve_api (runSync of a real job), then exits 0 on SIGTERM', async () => {
  const root = packageRoot();
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNPOD_')));
  const child = spawn(
    process.execPath,
    [join(root, 'dist/handler.js'), '--rp_serve_api', '--rp_api_host', '127.0.0.1', '--rp_api_port', '0'],
    {
      cwd: root,
      env: { ...env, VOLUME_DIR: volume, LOG_LEVEL: 'info', LOG_PRETTY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /local API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(`exited before listening: ${stderr}`)));
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const res = await fetch(`${url}/v2/local/runsync?wait=30000`, {
    method: 'POST',
    body: JSON.stringify({ input: { video_path: 'bbb.webm', output_format: 'wav', delivery: 'base64', duration: 3, seed: 3 } }),
  });
  const body = (await res.json()) as { status: string; output?: { mime?: string; seed?: number; audio_base64?: string } };
  expect(body.status, JSON.stringify(body).slice(0, 500)).toBe('COMPLETED');
  expect(body.output?.mime).toBe('audio/wav');
  expect(body.output?.seed).toBe(3);
  expect(
    Buffer.from(body.output?.audio_base64 ?? '', 'base64')
      .subarray(0, 4)
      .toString(),
  ).toBe('RIFF');
  child.kill('SIGTERM');
  const [code] = await exited;
  expect(code, stderr.slice(-2_000)).toBe(0);
}, 40_000);

it('exits at once on a second SIGTERM, without waiting for the job', async () => {
  const root = packageRoot();
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNPOD_')));
  const child = spawn(process.execPath, [join(root, 'dist/handler.js')], {
    cwd: root,
    env: { ...env, ...fake.env, VOLUME_DIR: volume, SHUTDOWN_GRACE_S: '30', LOG_LEVEL: 'info', LOG_PRETTY: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  fake.enqueue({ id: 'real-job-2', input: { video_path: 'bbb.webm', output_format: 'm4a', delivery: 'base64' } });
  await fake.waitFor(() => fake.requests.some((r) => r.kind === 'done' && r.body.includes('IN_PROGRESS')), 20_000);
  child.kill('SIGTERM');
  await fake.waitFor(() => stderr.includes('shutting down'), 5_000);
  child.kill('SIGTERM');
  // It dies of the signal (no teardown: a thread in the middle of loading a model must not make
  // it abort instead): exit status 143 to a shell.
  const [code, signal] = await exited;
  expect({ code, signal }, stderr.slice(-2_000)).toEqual({ code: null, signal: 'SIGTERM' });
  expect(stderr).not.toContain('terminate called');
  expect(stderr).toContain('second signal');
  expect(fake.results()).toHaveLength(0);
}, 40_000);
