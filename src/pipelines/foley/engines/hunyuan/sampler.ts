/**
 * @module HunyuanVideo-Foley's sampler (`hunyuanvideo_foley/utils/model_utils.py` `denoise_process`
 * over `utils/schedulers/scheduling_flow_match_discrete.py` `FlowMatchDiscreteScheduler` with the
 * yamls' `flow_reverse: True`, `sample_flow_shift: 1.0`, `flow_solver: euler`). Unlike MMAudio's, it
 * runs from noise at σ = 1 down to data at σ = 0: σ on `torch.linspace(1, 0, steps + 1)` (no shift at
 * 1.0), the network sees t = σ · 1000, x ← x + (σ[i+1] − σ[i]) · v, and CFG is
 * v = v_uncond + g · (v_cond − v_uncond) when g > 1 (the conditional velocity alone otherwise).
 * The network is a callback (the flow graph, at batch 2 or twice), so this stays pure; each step's
 * arithmetic is rounded to float32 as torch's is.
 */
import { linspace } from '../mmaudio/sampler.js';

const f = Math.fround;

/** `num_train_timesteps`: the network's t is σ on this scale. */
export const HVF_TRAIN_TIMESTEPS = 1000;

/** One network evaluation at timestep t (σ · 1000): the conditional and unconditional velocities, each the latent's size. */
export type HvfVelocity = (latent: Float32Array, t: number) => Promise<{ cond: Float32Array; uncond?: Float32Array }>;

export interface HvfSampleOptions {
  /** The starting noise x0 [B, 128, L] (upstream's `randn_tensor`), flattened. Not modified. */
  x0: Float32Array;
  /** Euler steps (upstream's default 50). */
  steps: number;
  /** CFG scale (upstream's default 4.5); at 1 or below, `uncond` is not used. */
  guidanceScale: number;
  velocity: HvfVelocity;
  /** Called after each step with the step count done. */
  onStep?: (done: number) => void;
  signal?: AbortSignal;
}

/** `set_timesteps(steps)`: σ from 1 to 0 (steps + 1 values, float32) and the timesteps fed to the network, σ[i] · 1000. */
export function hvfSchedule(steps: number): { sigmas: Float32Array; timesteps: Float32Array } {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`\`steps\` must be a positive integer, got ${steps}`);
  const sigmas = linspace(1, 0, steps + 1);
  return { sigmas, timesteps: sigmas.slice(0, steps).map((s) => f(s * HVF_TRAIN_TIMESTEPS)) };
}

/** Runs the Euler sampler with CFG from x0 to the final latent (what upstream hands the DAC-VAE decoder). */
export async function sampleHvf(o: HvfSampleOptions): Promise<Float32Array> {
  const { sigmas, timesteps } = hvfSchedule(o.steps);
  const g = o.guidanceScale;
  let x = Float32Array.from(o.x0);
  for (let i = 0; i < o.steps; i++) {
    o.signal?.throwIfAborted();
    const { cond, uncond } = await o.velocity(x, timesteps[i]!);
    if (cond.length !== x.length) throw new RangeError(`the velocity has ${cond.length} values, the latent ${x.length}`);
    const dt = f(sigmas[i + 1]! - sigmas[i]!);
    const next = new Float32Array(x.length);
    if (g <= 1) {
      for (let j = 0; j < x.length; j++) next[j] = f(x[j]! + f(cond[j]! * dt));
    } else {
      if (uncond?.length !== x.length) throw new RangeError('CFG needs the unconditional velocity, the latent’s size');
      for (let j = 0; j < x.length; j++) {
        const v = f(uncond[j]! + f(g * f(cond[j]! - uncond[j]!)));
        next[j] = f(x[j]! + f(v * dt));
      }
    }
    x = next;
    o.onStep?.(i + 1);
  }
  return x;
}
