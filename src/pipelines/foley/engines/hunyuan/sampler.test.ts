/**
 * The HunyuanVideo-Foley sampler on toy velocities (its parity with upstream's `denoise_process` over
 * the converted graphs is test/convert/hvf-dit.test.ts): the flow_reverse schedule, CFG, refusals.
 */
import { describe, expect, it } from 'vitest';
import { hvfSchedule, sampleHvf } from './sampler.js';

const f = Math.fround;

describe('hvfSchedule', () => {
  it('runs σ from 1 to 0 in float32 and feeds the network σ · 1000 (shift 1.0: no warping)', () => {
    const { sigmas, timesteps } = hvfSchedule(50);
    expect(sigmas.length).toBe(51);
    expect(sigmas[0]).toBe(1);
    expect(sigmas[50]).toBe(0);
    expect(sigmas[25]).toBe(f(0.5));
    expect(Array.from(timesteps.slice(0, 2))).toEqual([1000, f(f(1 + f(-1 / 50)) * 1000)]);
    for (let i = 1; i < sigmas.length; i++) expect(sigmas[i]!).toBeLessThan(sigmas[i - 1]!);
  });

  it('refuses a step count that is not a positive integer', () => {
    for (const steps of [0, -1, 2.5, Number.NaN]) expect(() => hvfSchedule(steps)).toThrow(RangeError);
  });
});

describe('sampleHvf', () => {
  it('a constant velocity moves x by −v over the whole run (σ falls by 1), whatever the steps', async () => {
    const x0 = new Float32Array([0.5, -1, 2]);
    const v = new Float32Array([1, 2, -3]);
    const seen: number[] = [];
    const out = await sampleHvf({
      x0,
      steps: 4,
      guidanceScale: 1,
      velocity: async (_x, t) => {
        seen.push(t);
        return { cond: v };
      },
    });
    expect(seen).toEqual([1000, 750, 500, 250]);
    expect(Array.from(out)).toEqual([-0.5, -3, 5]);
    expect(Array.from(x0)).toEqual([0.5, -1, 2]); // not modified
  });

  it('CFG is uncond + g · (cond − uncond), applied when g > 1', async () => {
    const out = await sampleHvf({
      x0: new Float32Array([0]),
      steps: 1,
      guidanceScale: 4.5,
      velocity: async () => ({ cond: new Float32Array([1]), uncond: new Float32Array([0.5]) }),
    });
    // x1 = 0 + (0 − 1) · (0.5 + 4.5 · 0.5)
    expect(out[0]).toBe(-2.75);
  });

  it('refuses a velocity of the wrong size, CFG without the unconditional side, and stops when aborted', async () => {
    const base = { x0: new Float32Array(2), steps: 2 };
    await expect(sampleHvf({ ...base, guidanceScale: 1, velocity: async () => ({ cond: new Float32Array(3) }) })).rejects.toThrow(
      RangeError,
    );
    await expect(sampleHvf({ ...base, guidanceScale: 4.5, velocity: async () => ({ cond: new Float32Array(2) }) })).rejects.toThrow(/CFG/);
    const abort = new AbortController();
    const steps: number[] = [];
    const run = sampleHvf({
      ...base,
      guidanceScale: 1,
      signal: abort.signal,
      onStep: (n) => {
        steps.push(n);
        abort.abort();
      },
      velocity: async () => ({ cond: new Float32Array(2) }),
    });
    await expect(run).rejects.toThrow();
    expect(steps).toEqual([1]);
  });
});
