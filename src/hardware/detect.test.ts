import { describe, expect, it } from 'vitest';
import { detectHardware, parseNvidiaSmi, type Exec } from './detect.js';
import { tierFor } from './tier.js';

const fixed = { cpuCores: () => 16, ramBytes: () => 128e9 };
const smi =
  (stdout: string): Exec =>
  async (bin, args) => {
    expect(bin).toBe('nvidia-smi');
    expect(args).toContain('--format=csv,noheader,nounits');
    return stdout;
  };

describe('hardware detection', () => {
  it('reads GPU name and VRAM from nvidia-smi and derives the tier from device 0', async () => {
    const hw = await detectHardware({
      exec: smi('0, NVIDIA H100 80GB HBM3, 81559, 550.54.15\n1, NVIDIA H100 80GB HBM3, 81559, 550.54.15\n'),
      ...fixed,
    });
    expect(hw).toEqual({
      gpus: [
        { index: 0, name: 'NVIDIA H100 80GB HBM3', vramMiB: 81559, driver: '550.54.15' },
        { index: 1, name: 'NVIDIA H100 80GB HBM3', vramMiB: 81559, driver: '550.54.15' },
      ],
      cpuCores: 16,
      ramBytes: 128e9,
      tier: 'gpu-large',
    });
  });

  it('is the cpu tier when nvidia-smi is missing or fails, and when sessions fell back to CPU', async () => {
    const missing: Exec = () => Promise.reject(Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' }));
    expect((await detectHardware({ exec: missing, ...fixed })).tier).toBe('cpu');
    expect((await detectHardware({ exec: smi('0, NVIDIA A10G, 23028, 535.1\n'), provider: 'cpu', ...fixed })).tier).toBe('cpu');
  });

  it('tiers: <12 GB small, ≥12 GB gpu, ≥40 GB large, with cards as they report themselves', () => {
    const t = (name: string, vramMiB: number) => tierFor([{ index: 0, name, vramMiB }]);
    expect(t('GeForce RTX 2080 Ti', 11264)).toBe('gpu-small');
    expect(t('GeForce RTX 4070 Ti', 12282)).toBe('gpu');
    expect(t('NVIDIA A10G', 23028)).toBe('gpu');
    expect(t('NVIDIA A100-SXM4-40GB', 40960)).toBe('gpu-large');
    expect(t('NVIDIA L40S', 46068)).toBe('gpu-large');
    expect(tierFor([])).toBe('cpu');
  });

  it('skips lines it cannot read', () => {
    expect(parseNvidiaSmi('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.\n')).toEqual([]);
    expect(parseNvidiaSmi('0, Tesla T4, [N/A], 1\n0, Tesla T4, 15360, 1')).toEqual([
      { index: 0, name: 'Tesla T4', vramMiB: 15360, driver: '1' },
    ]);
  });
});

describe('hardware detection with the real process runner', () => {
  it('a machine without nvidia-smi is the cpu tier', async () => {
    const hw = await detectHardware({ nvidiaSmi: '/nonexistent/nvidia-smi', timeoutMs: 5000 });
    expect(hw.gpus).toEqual([]);
    expect(hw.tier).toBe('cpu');
    expect(hw.cpuCores).toBeGreaterThan(0);
  });
});
