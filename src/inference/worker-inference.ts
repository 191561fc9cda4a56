/**
 * @module What every task gets to run models with: the hardware (its tier settled by the provider
 * sessions really run on), the ONNX runtime, and the worker-wide session cache. Warm-up builds it
 * (warm-up.ts); when warm-up could not run, {@link cpuInference} stands in, so that a task never
 * has to guess: a CPU description and a working cache.
 */
import { availableParallelism, totalmem } from 'node:os';
import { pino, type Logger } from 'pino';
import type { Config } from '../config.js';
import type { Hardware } from '../hardware/detect.js';
import { createOrtRuntime, type OrtRuntime } from './ort.js';
import { createSessionCache, type SessionCache } from './sessions.js';

export interface WorkerInference {
  /** What sessions run on: a GPU whose CUDA provider cannot load is tier `cpu`. */
  hardware: Hardware;
  runtime: OrtRuntime;
  /** Every task's sessions, opened through `runtime`. */
  sessions: SessionCache;
}

/** The CPU this process runs on, for when hardware detection did not run. */
export function cpuHardware(): Hardware {
  return { gpus: [], cpuCores: availableParallelism(), ramBytes: totalmem(), tier: 'cpu' };
}

/**
 * Inference without warm-up (it failed, or a test or bench builds a handler alone): the CPU tier
 * and a cache with no models from the volume. Sessions follow EXECUTION_PROVIDER (`auto` stays on
 * the CPU: no GPU was seen).
 */
export function cpuInference(o: { config: Readonly<Config>; log?: Logger | undefined }): WorkerInference {
  const runtime = createOrtRuntime({ log: o.log ?? pino({ level: 'silent' }), ep: o.config.models.executionProvider, gpuPresent: false });
  return { hardware: cpuHardware(), runtime, sessions: createSessionCache({ runtime }) };
}
