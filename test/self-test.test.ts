/**
 * `--self-test` as a user (or a container health check) runs it: the built worker in a child
 * process, one JSON report on stdout, exit 0 when every check passed. On this CPU machine: the
 * provider is CPU and says why, the tiny graph computes, every embedded model loads and runs, the
 * built-in engine makes the bundled clip's track. A broken model fails its check and the exit.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SelfTestReport } from '../src/cli/self-test.js';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'self-test-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function selfTest(env: Record<string, string>): Promise<{ code: number; report: SelfTestReport }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNPOD_'))) as Record<string, string>;
  try {
    const { stdout } = await run(process.execPath, [join(ROOT, 'dist/handler.js'), '--self-test'], {
      cwd: dir,
      env: { ...base, LOG_LEVEL: 'silent', ...env },
      maxBuffer: 1 << 22,
      timeout: 170_000,
    });
    return { code: 0, report: JSON.parse(stdout.trim().split('\n').pop() as string) as SelfTestReport };
  } catch (e) {
    const err = e as { code?: number; stdout?: string };
    return { code: err.code ?? -1, report: JSON.parse((err.stdout ?? '').trim().split('\n').pop() || '{}') as SelfTestReport };
  }
}

it('passes on this machine: CPU provider with its reason, every embedded model runs, ' +
  "the engine makes the bundled clip's track", async () => {
  const { code, report } = await selfTest({ CONVERTED_MODELS_DIR: join(dir, 'converted') });
  expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  expect(code).toBe(0);
  expect(report.ok).toBe(true);
  expect(report.provider).toBe('cpu');
  expect(report.providerReason).toMatch(/CPU|CUDA/);
  const names = report.checks.map((c) => c.name);
  expect(names).toContain('tiny ONNX graph');
  expect(names.filter((n) => n.startsWith('upscaler '))).toHaveLength(12);
  expect(names).toEqual(
    expect.arrayContaining(['vision models (detection, pose)', 'voice activity model', 'built-in Foley engine on the bundled clip']),
  );
  expect(report.checks.find((c) => c.name === 'tiny ONNX graph')?.detail).toMatchObject({ output: [1, 2, 3, 4] });
}, 180_000);

it('a model that cannot be loaded fails its check, and the exit status', async () => {
  const broken = join(dir, 'broken');
  await rm(broken, { recursive: true, force: true });
  await (await import('node:fs/promises')).mkdir(broken, { recursive: true });
  await writeFile(join(broken, 'centernet.json'), 'not json');
  await writeFile(join(broken, 'movenet-lightning.json'), 'not json');
  const { code, report } = await selfTest({ CONVERTED_MODELS_DIR: join(dir, 'converted'), VISION_MODELS_DIR: broken });
  expect(code).toBe(1);
  expect(report.ok).toBe(false);
  const failed = report.checks.filter((c) => !c.ok);
  expect(failed.map((c) => c.name)).toEqual(['vision models (detection, pose)']);
  expect(failed[0]?.detail).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
}, 180_000);
