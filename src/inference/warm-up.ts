/**
 * @module The worker's warm-up, run once before it takes jobs: detect the hardware, make sure
 * every repo in MODELS is on the volume (downloading only on a cold volume), settle the ONNX
 * execution provider, and hand back what jobs share: the model registry, the session cache and
 * a description for /health and result metadata. The sessions the default engines need are then
 * opened into that cache by src/tasks/warm-sessions.ts, before the first job.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { detectHardware, type Exec, type Hardware } from '../hardware/detect.js';
import { tierFor, vramGB, type Tier } from '../hardware/tier.js';
import type { DownloadProgress } from '../models/ensure.js';
import { prepareModels } from '../models/prepare.js';
import type { ModelRegistry } from '../models/registry.js';
import { createOrtRuntime, type Provider } from './ort.js';
import { createSessionCache } from './sessions.js';
import type { WorkerInference } from './worker-inference.js';

/** Warm-up's inference (hardware, runtime, session cache) and the models on the volume. */
export interface WorkerModels extends WorkerInference {
  registry: ModelRegistry;
  /** JSON for /health and every result's `metadata` (no paths, no secrets). */
  describe(): WorkerModelsInfo;
}

export interface WorkerModelsInfo {
  tier: Tier;
  provider: Provider | 'unknown';
  gpus: { name: string; vram_gb: number }[];
  cpu_cores: number;
  ram_gb: number;
  models: { repo: string; revision: string; commit: string; files: number; bytes: number }[];
}

export interface WarmUpOptions {
  config: Readonly<Config>;
  log: Logger;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Runs nvidia-smi; default the media process runner. */
  exec?: Exec;
  onProgress?: (p: DownloadProgress) => void;
}

export async function warmUpModels(o: WarmUpOptions): Promise<WorkerModels> {
  const [hardware, registry] = await Promise.all([
    detectHardware({ log: o.log, ...(o.exec ? { exec: o.exec } : {}) }),
    prepareModels({
      config: o.config,
      log: o.log,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.fetch ? { fetch: o.fetch } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    }),
  ]);
  const runtime = createOrtRuntime({ log: o.log, ep: o.config.models.executionProvider, gpuPresent: hardware.gpus.length > 0 });
  const provider = await runtime.probe();
  // Sessions fell back to CPU: engines must size work for the CPU whatever the card says.
  const settled: Hardware = { ...hardware, tier: tierFor(hardware.gpus, provider) };
  const sessions = createSessionCache({ runtime, registry });
  return {
    registry,
    runtime,
    sessions,
    hardware: settled,
    describe: () => ({
      tier: settled.tier,
      provider: runtime.provider() ?? 'unknown',
      gpus: settled.gpus.map((g) => ({ name: g.name, vram_gb: Number(vramGB(g).toFixed(1)) })),
      cpu_cores: settled.cpuCores,
      ram_gb: Number((settled.ramBytes / 1e9).toFixed(1)),
      models: registry.list(),
    }),
  };
}
