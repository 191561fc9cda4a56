/**
 * @module What this machine has: GPUs from `nvidia-smi` (when present), CPU cores and RAM, and
 * the tier that follows. Reported in /health and in every result's metadata. All I/O comes in as
 * parameters; the default runner is the media module's process runner (the one place that spawns).
 */
import { availableParallelism, totalmem } from 'node:os';
import type { Logger } from 'pino';
import { runBinary } from '../media/ffmpeg.js';
import { tierFor, vramGB, type GpuInfo, type Tier } from './tier.js';

export interface Hardware {
  gpus: GpuInfo[];
  cpuCores: number;
  ramBytes: number;
  tier: Tier;
}

/** Runs a program and resolves to its stdout; rejects when it is missing or fails. */
export type Exec = (bin: string, args: string[], timeoutMs: number) => Promise<string>;

export const defaultExec: Exec = async (bin, args, timeoutMs) => (await runBinary(bin, args, { timeoutMs })).stdout.toString('utf8');

export const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,memory.total,driver_version', '--format=csv,noheader,nounits'];

/** `0, NVIDIA H100 80GB HBM3, 81559, 550.54.15` per line → GPUs; malformed lines are skipped. */
export function parseNvidiaSmi(stdout: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of stdout.split('\n')) {
    const cols = line.split(',').map((c) => c.trim());
    if (cols.length < 3) continue;
    const [index, name, mem, driver] = cols;
    const vramMiB = Number(mem);
    if (!name || !Number.isFinite(vramMiB) || vramMiB <= 0 || !/^\d+$/.test(index ?? '')) continue;
    gpus.push({ index: Number(index), name, vramMiB, ...(driver ? { driver } : {}) });
  }
  return gpus;
}

export interface DetectOptions {
  log?: Logger;
  exec?: Exec;
  /** @default 'nvidia-smi' (found on PATH) */
  nvidiaSmi?: string;
  timeoutMs?: number;
  cpuCores?: () => number;
  ramBytes?: () => number;
  /** The ONNX provider actually in use; `cpu` forces the cpu tier even with a GPU present. */
  provider?: 'cpu' | 'cuda';
}

export async function detectHardware(o: DetectOptions = {}): Promise<Hardware> {
  let gpus: GpuInfo[] = [];
  try {
    gpus = parseNvidiaSmi(await (o.exec ?? defaultExec)(o.nvidiaSmi ?? 'nvidia-smi', NVIDIA_SMI_ARGS, o.timeoutMs ?? 10_000));
  } catch (e) {
    o.log?.debug({ reason: (e as Error).message }, 'nvidia-smi unavailable; no GPU');
  }
  const hw: Hardware = {
    gpus,
    cpuCores: (o.cpuCores ?? availableParallelism)(),
    ramBytes: (o.ramBytes ?? totalmem)(),
    tier: tierFor(gpus, o.provider),
  };
  o.log?.info(
    {
      tier: hw.tier,
      gpus: gpus.map((g) => `${g.name} (${vramGB(g).toFixed(1)} GB)`),
      cpuCores: hw.cpuCores,
      ramGB: Number((hw.ramBytes / 1e9).toFixed(1)),
    },
    'hardware detected',
  );
  return hw;
}
