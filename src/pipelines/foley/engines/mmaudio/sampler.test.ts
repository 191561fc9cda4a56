import { describe, expect, it } from 'vitest';
import { linspace, sampleMmaudio } from './sampler.js';

describe('sampleMmaudio', () => {
  it('steps t over linspace(0, 1, steps + 1) and integrates x ← x + dt · v', async () => {
    const seen: number[] = [];
    // v = 1 everywhere: x1 = x0 + 1 whatever the steps.
    const final = await sampleMmaudio({
      x0: new Float32Array([0, 2]),
      steps: 4,
      cfgStrength: 0,
      velocity: async (x, t) => {
        seen.push(t);
        return { cond: new Float32Array(x.length).fill(1) };
      },
    });
    expect(seen).toEqual(Array.from(linspace(0, 1, 5).subarray(0, 4)));
    expect(Array.from(final)).toEqual([1, 3]);
  });

  it('guides with cfg · v_cond + (1 − cfg) · v_uncond from cfg 1 up, and needs v_uncond then', async () => {
    const velocity = async (x: Float32Array) => ({ cond: new Float32Array(x.length).fill(1), uncond: new Float32Array(x.length).fill(3) });
    const final = await sampleMmaudio({ x0: new Float32Array(1), steps: 1, cfgStrength: 4.5, velocity });
    expect(final[0]).toBeCloseTo(4.5 - 3.5 * 3, 6);
    const noUncond = async (x: Float32Array) => ({ cond: new Float32Array(x.length) });
    await expect(sampleMmaudio({ x0: new Float32Array(1), steps: 1, cfgStrength: 1, velocity: noUncond })).rejects.toThrow(/unconditional/);
    await expect(sampleMmaudio({ x0: new Float32Array(1), steps: 0, cfgStrength: 1, velocity })).rejects.toThrow(/steps/);
  });

  it('leaves x0 alone and stops on an aborted signal', async () => {
    const x0 = new Float32Array([1]);
    const velocity = async (x: Float32Array) => ({ cond: new Float32Array(x.length).fill(1) });
    await sampleMmaudio({ x0, steps: 2, cfgStrength: 0, velocity });
    expect(x0[0]).toBe(1);
    await expect(sampleMmaudio({ x0, steps: 2, cfgStrength: 0, velocity, signal: AbortSignal.abort() })).rejects.toThrow();
  });
});
