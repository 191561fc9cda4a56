/**
 * @module Hardware tiers engines use to pick precision, batch and chunk sizes, from the VRAM of
 * the GPU sessions run on. Pure.
 */

export type Tier = 'cpu' | 'gpu-small' | 'gpu' | 'gpu-large';

export interface GpuInfo {
  index: number;
  name: string;
  /** As nvidia-smi reports it (MiB). */
  vramMiB: number;
  driver?: string;
}

/** Decimal GB, as cards are sold: a "12 GB" card reports ~12 282 MiB = 12.9 GB. */
export function vramGB(gpu: Pick<GpuInfo, 'vramMiB'>): number {
  return (gpu.vramMiB * 1024 * 1024) / 1e9;
}

/**
 * `cpu` without a usable GPU; else by the VRAM of device 0 (the one sessions use): `gpu-small`
 * under 12 GB, `gpu` from 12 GB, `gpu-large` from 40 GB.
 */
export function tierFor(gpus: readonly GpuInfo[], provider: 'cpu' | 'cuda' | undefined = undefined): Tier {
  const gpu = gpus[0];
  if (!gpu || provider === 'cpu') return 'cpu';
  const gb = vramGB(gpu);
  if (gb >= 40) return 'gpu-large';
  if (gb >= 12) return 'gpu';
  return 'gpu-small';
}
