/**
 * @module `--self-test`: is this worker (this image, this GPU) able to do its jobs? It settles the
 * ONNX execution provider and says which and why, runs a tiny graph on it and checks the numbers,
 * loads every embedded model the build has and runs each once on a tiny input (the upscalers at
 * every scale, the vision models, the voice-activity model), and runs the built-in Foley engine
 * on the bundled clip through the real handler. One JSON report on stdout; exit 0 when every
 * check passed. Needs no network and no volume: usable as a container health check and in CI.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config.js';
import { createOnnxGraph } from '../convert/onnx-graph.js';
import { EMBEDDED_SR_MODELS, loadEmbeddedSrModel, type EmbeddedSrModelName } from '../convert/esrgan.js';
import { humanModelsIn } from '../convert/human.js';
import { toJobErrorBody } from '../errors.js';
import { detectHardware } from '../hardware/detect.js';
import { tierFor } from '../hardware/tier.js';
import { createOrtRuntime, tensor, type OrtRuntime } from '../inference/ort.js';
import { createSessionCache } from '../inference/sessions.js';
import type { WorkerInference } from '../inference/worker-inference.js';
import { createHandler } from '../dispatch/handler.js';
import { resolveMediaBinaries } from '../media/binaries.js';
import { openVadSession } from '../pipelines/foley/speech/model.js';
import { runJob } from '../runtime/run-job.js';
import { warmDefaultSessions } from '../tasks/warm-sessions.js';
import { loadVisionModels } from '../vision/models.js';

export interface SelfTestCheck {
  name: string;
  ok: boolean;
  ms: number;
  detail?: unknown;
}

export interface SelfTestReport {
  ok: boolean;
  node: string;
  provider: 'cpu' | 'cuda';
  requested: Config['models']['executionProvider'];
  /** Why the provider is what it is (e.g. why CUDA was not used). */
  providerReason: string;
  tier: string;
  gpus: Array<{ name: string; vramMiB: number }>;
  checks: SelfTestCheck[];
}

async function check(checks: SelfTestCheck[], name: string, fn: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  try {
    const detail = await fn();
    checks.push({ name, ok: true, ms: Math.round(performance.now() - t0), ...(detail === undefined ? {} : { detail }) });
  } catch (e) {
    checks.push({ name, ok: false, ms: Math.round(performance.now() - t0), detail: toJobErrorBody(e) });
  }
}

/** x + 1 on [1,4]: a graph whose answer is known, so "it ran" also means "it computed". */
function tinyGraph(): Uint8Array {
  const g = createOnnxGraph('self-test');
  g.addInput('x', [1, 4]);
  g.addInitializer('one', [1], Float32Array.from([1]));
  g.addNode('Add', ['x', 'one'], ['y']);
  g.addOutput('y', [1, 4]);
  return g.encode({ producerName: 'foley-worker self-test', producerVersion: '1' });
}

async function tinyGraphCheck(runtime: OrtRuntime): Promise<unknown> {
  const s = await runtime.createSession(tinyGraph());
  try {
    const out = await s.run({ x: tensor('float32', Float32Array.from([0, 1, 2, 3]), [1, 4]) });
    const y = Array.from(out.y!.data as Float32Array);
    if (y.join(',') !== '1,2,3,4') throw new Error(`the tiny graph computed ${y.join(',')}, not 1,2,3,4`);
    return { provider: s.provider, output: y };
  } finally {
    await s.release();
  }
}

async function upscalerCheck(runtime: OrtRuntime, config: Readonly<Config>, name: EmbeddedSrModelName, scale: number): Promise<unknown> {
  const m = await loadEmbeddedSrModel(name, scale, { cacheDir: config.models.convertedDir });
  const s = await runtime.createSession(m.path);
  try {
    const side = 16;
    const out = await s.run({ input: tensor('float32', new Float32Array(3 * side * side).fill(0.5), [1, 3, side, side]) });
    const dims = [...out.output!.dims];
    if (dims[2] !== side * scale || dims[3] !== side * scale)
      throw new Error(`${name} ×${scale} gave ${dims.join('×')} for a ${side}×${side} tile`);
    return { cached: m.hit, output: dims };
  } finally {
    await s.release();
  }
}

/**
 * The built-in engine on the bundled clip, as a job, started the way the worker starts: the
 * default sessions opened into the session cache first (warm-sessions.ts), then the handler. The
 * Foley track comes back and is −16 LUFS; `warmed` lists what start-up opened.
 */
async function foleyCheck(config: Readonly<Config>, log: Logger, inference: Omit<WorkerInference, 'sessions'>): Promise<unknown> {
  const root = await mkdtemp(join(tmpdir(), 'foley-self-test-'));
  const sessions = createSessionCache({ runtime: inference.runtime });
  try {
    const own = loadConfig(
      { ...process.env, OUTPUT_DIR: join(root, 'out'), WORK_DIR: root, CONVERTED_MODELS_DIR: config.models.convertedDir },
      [],
      process.cwd(),
    );
    const bins = resolveMediaBinaries({ ffmpegPath: own.ffmpegPath, ffprobePath: own.ffprobePath, searchPath: own.searchPath });
    const deps = { config: own, binaries: () => bins, inference: { ...inference, sessions } };
    await warmDefaultSessions(deps, log);
    const warmed = sessions.loaded();
    const handler = createHandler(deps);
    const ctx = { id: 'self-test', mode: 'test' as const, signal: new AbortController().signal, log, progress: () => {} };
    const res = await runJob({
      handler,
      job: {
        id: 'self-test',
        input: { video_path: 'footsteps.mp4', prompt: 'footsteps', seed: 42, output_format: 'wav', delivery: 'path' },
      },
      ctx,
    });
    if ('error' in res) throw new Error(`the Foley job failed: ${res.error}`);
    const out = res.output as {
      audio_path: string;
      duration: number;
      events: number;
      loudness: { lufs: number };
      seen?: unknown;
      warnings: string[];
    };
    const bytes = (await stat(out.audio_path)).size;
    if (!(out.duration > 5 && bytes > 100_000)) throw new Error(`the Foley track is ${out.duration} s, ${bytes} bytes`);
    if (Math.abs(out.loudness.lufs + 16) > 2) throw new Error(`the Foley track reads ${out.loudness.lufs} LUFS, not −16`);
    return {
      duration: out.duration,
      events: out.events,
      lufs: out.loudness.lufs,
      vision: out.seen !== undefined,
      warmed,
      warnings: out.warnings,
    };
  } finally {
    await sessions.releaseAll();
    await rm(root, { recursive: true, force: true });
  }
}

export async function runSelfTest({ config, log }: { config: Readonly<Config>; log: Logger }): Promise<number> {
  const checks: SelfTestCheck[] = [];
  const hardware = await detectHardware({ log });
  // The provider's own account of its choice, from what the runtime logs while settling it.
  let providerReason = 'CPU asked for (EXECUTION_PROVIDER=cpu)';
  const listen =
    (level: 'info' | 'warn') =>
    (obj: { reason?: string }, msg: string): void => {
      if (obj && typeof obj.reason === 'string') providerReason = `${msg}: ${obj.reason}`;
      else if (/CUDA/.test(msg)) providerReason = msg;
      log[level](obj, msg);
    };
  const runtimeLog = { ...log, info: listen('info'), warn: listen('warn') } as unknown as Logger;
  const runtime = createOrtRuntime({ log: runtimeLog, ep: config.models.executionProvider, gpuPresent: hardware.gpus.length > 0 });
  const provider = await runtime.probe();
  if (config.models.executionProvider === 'auto' && hardware.gpus.length === 0) providerReason = 'no NVIDIA GPU found (nvidia-smi): CPU';
  if (provider === 'cuda') providerReason = 'CUDA execution provider loaded and ran the probe graph';
  await check(checks, 'tiny ONNX graph', () => tinyGraphCheck(runtime));
  if (config.models.executionProvider === 'cuda' && provider !== 'cuda') {
    checks.push({ name: 'CUDA asked for (EXECUTION_PROVIDER=cuda)', ok: false, ms: 0, detail: providerReason });
  }
  for (const [name, entry] of Object.entries(EMBEDDED_SR_MODELS) as Array<[EmbeddedSrModelName, { scales: readonly number[] }]>) {
    for (const scale of entry.scales) await check(checks, `upscaler ${name} ×${scale}`, () => upscalerCheck(runtime, config, name, scale));
  }
  await check(checks, 'vision models (detection, pose)', async () => {
    const visionDir = config.models.visionDir;
    const m = await loadVisionModels({
      cacheDir: config.models.convertedDir,
      ep: config.models.executionProvider,
      gpuPresent: hardware.gpus.length > 0,
      log,
      ...(visionDir ? { sources: humanModelsIn(visionDir) } : {}),
    });
    try {
      const image = { width: 320, height: 192, data: new Uint8Array(320 * 192 * 3).fill(128) };
      const [found = []] = await m.detect([image]);
      const poses = await m.pose(image, [{ x0: 0.3, y0: 0.1, x1: 0.7, y1: 0.9 }]);
      if (poses.length !== 1 || poses[0]!.keypoints.length !== 17) throw new Error('pose gave no 17-keypoint pose for one box');
      return { provider: m.provider, detections: found.length };
    } finally {
      await m.close();
    }
  });
  await check(checks, 'voice activity model', async () => {
    const s = await openVadSession({ ep: 'cpu', log });
    try {
      const out = await s.run({
        input: tensor('float32', new Float32Array(576), [1, 576]),
        state: tensor('float32', new Float32Array(256), [2, 1, 128]),
        sr: tensor('int64', BigInt64Array.from([16000n]), []),
      });
      const p = (out.output!.data as Float32Array)[0]!;
      if (!(p >= 0 && p < 0.5)) throw new Error(`silence read as speech (p = ${p})`);
      return { speechProbabilityOfSilence: Number(p.toFixed(4)) };
    } finally {
      await s.release();
    }
  });
  await check(checks, 'built-in Foley engine on the bundled clip', () =>
    foleyCheck(config, log, {
      // On the provider settled above, logging to the plain logger (the provider's reason is told).
      runtime: createOrtRuntime({ log, ep: provider, gpuPresent: hardware.gpus.length > 0 }),
      hardware: { ...hardware, tier: tierFor(hardware.gpus, provider) },
    }),
  );
  const report: SelfTestReport = {
    ok: checks.every((c) => c.ok),
    node: process.versions.node,
    provider,
    requested: config.models.executionProvider,
    providerReason,
    tier: tierFor(hardware.gpus, provider),
    gpus: hardware.gpus.map((g) => ({ name: g.name, vramMiB: g.vramMiB })),
    checks,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return report.ok ? 0 : 1;
}
