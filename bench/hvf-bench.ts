/**
 * `npm run bench -- hvf`: HunyuanVideo-Foley on this CPU at real size (random weights with the
 * released network's shapes, bench/hvf-stand-ins.ts; HVF_BENCH_VARIANT=xl (default) or xxl, and
 * LEARNED_PRECISION / LEARNED_MEMORY passed on to the worker): each component's conversion time, cache size
 * and peak RSS, the engine's load, and one 8 s window through the handler with its per-stage times
 * (the DiT at HVF_BENCH_STEPS steps, default 1: a step is what scales), the job over the sum of its
 * session.run, and the process's peak RSS. The stand-ins are written first and are not the
 * worker's work. Needs ~40 GB of free disk and ~20 GiB of memory; everything is removed after.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { createHandler } from '../src/dispatch/handler.js';
import type { WorkerModels } from '../src/inference/warm-up.js';
import { cpuInference } from '../src/inference/worker-inference.js';
import { resolveMediaBinaries } from '../src/media/binaries.js';
import { HVF_ENGINES } from '../src/pipelines/foley/engines/hunyuan/index.js';
import { runJob } from '../src/runtime/run-job.js';
import { writeHvfStandIns } from './hvf-stand-ins.js';
import { dirBytes, generatedClip, procMb, resetPeak, standInRegistry } from './mmaudio-bench.js';

const SHARED_CLIP = new URL('../../../shared/media/chaplin.mp4', import.meta.url).pathname;
export async function runHvfBench(say: (line: string) => void): Promise<void> {
  const steps = Number(process.env.HVF_BENCH_STEPS ?? 1);
  const variant = process.env.HVF_BENCH_VARIANT === 'xxl' ? 'xxl' : 'xl';
  const ENGINE = `hunyuan-foley-${variant}`;
  const passed = Object.fromEntries(['LEARNED_PRECISION', 'LEARNED_MEMORY'].flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])));
  say(`${ENGINE}, ${JSON.stringify(passed)}`);
  const dir = await mkdtemp(join(tmpdir(), 'hvf-bench-'));
  try {
    const volume = join(dir, 'volume');
    const clip = existsSync(SHARED_CLIP) ? SHARED_CLIP : await generatedClip(join(dir, 'testsrc2.mp4'));
    let t = performance.now();
    const written = await writeHvfStandIns({ dir: join(dir, 'hub'), seed: 1, size: 'real', variant });
    const files = await Promise.all(written.map(async (f) => ({ ...f, size: (await stat(f.local)).size })));
    const standInBytes = files.reduce((n, f) => n + f.size, 0);
    say(`stand-ins (not the worker's work): ${(standInBytes / 1e9).toFixed(2)} GB in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    const env = { VOLUME_DIR: volume, OUTPUT_DIR: join(dir, 'output'), WORK_DIR: dir, PATH: process.env.PATH ?? '' };
    const config = loadConfig({ ...env, ...passed, FOLEY_ENGINE: ENGINE, ENGINE_GRAPHS_DIR: join(dir, 'graphs') }, [], dir);
    await mkdir(volume, { recursive: true });
    await copyFile(clip, join(volume, 'clip.mp4'));
    const inference = cpuInference({ config });
    const models: WorkerModels = {
      ...inference,
      registry: standInRegistry(files, join(dir, 'hub')),
      describe: () => ({ tier: 'cpu', provider: 'cpu', gpus: [], cpu_cores: inference.hardware.cpuCores, ram_gb: 0, models: [] }),
    };
    const bins = resolveMediaBinaries({ searchPath: process.env.PATH });
    const engine = HVF_ENGINES.find((e) => e.name === ENGINE)!;
    resetPeak();
    t = performance.now();
    // The load converts every component into the graph cache (the first start's work), then opens the sessions.
    await engine.load({ config, binaries: () => bins, models });
    say(`convert + load: ${((performance.now() - t) / 1000).toFixed(1)} s, RSS ${procMb('VmRSS')} MiB, peak ${procMb('VmHWM')} MiB`);
    for (const d of (await readdir(config.models.graphsDir)).filter((x) => !x.endsWith('.lock'))) {
      say(`  cache ${d.replace(/-[0-9a-f]{32}$/, '')}: ${((await dirBytes(join(config.models.graphsDir, d))) / 1e9).toFixed(2)} GB`);
    }
    const handler = createHandler({ config, binaries: () => bins, models });
    const input = {
      task: 'foley',
      video_path: 'clip.mp4',
      engine: ENGINE,
      duration: 8,
      steps,
      seed: 1,
      vision: false,
      output_format: 'wav',
    };
    const ctx = {
      id: 'hvf',
      mode: 'test' as const,
      signal: new AbortController().signal,
      log: pino({ level: 'silent' }),
      progress: () => {},
    };
    t = performance.now();
    const res = await runJob({ handler, job: { id: 'hvf', input: { ...input, delivery: 'path' } }, ctx });
    const wallMs = performance.now() - t;
    if ('error' in res) throw new Error(`bench job failed: ${res.error}`);
    const timings = (res.output as { timings_ms: Record<string, number> }).timings_ms;
    say(`one 8 s window, ${steps} step(s): ${(wallMs / 1000).toFixed(1)} s; timings_ms ${JSON.stringify(timings)}`);
    say(`job / model_runs: ${(wallMs / (timings.model_runs ?? wallMs)).toFixed(3)}; peak RSS ${procMb('VmHWM')} MiB`);
    await inference.sessions.releaseAll();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
