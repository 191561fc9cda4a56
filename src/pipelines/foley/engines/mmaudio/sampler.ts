/**
 * @module MMAudio's sampler (`mmaudio/model/flow_matching.py` `FlowMatching.run_t0_to_t1` in
 * 'euler' mode over `MMAudio.ode_wrapper`): flow matching from noise (t = 0) to data (t = 1),
 * t on `torch.linspace(0, 1, steps + 1)`, x ← x + (t[i+1] − t[i]) · v, and classifier-free guidance
 * v = cfg · v_cond + (1 − cfg) · v_uncond when cfg ≥ 1 (the conditional velocity alone below 1).
 * The network is a callback (the flow graph, run at batch 2 or twice), so this stays pure; each
 * step's arithmetic is rounded to float32 as torch's is, so it reproduces upstream's latent.
 */
const f = Math.fround;

/** One network evaluation at time t: the conditional and unconditional velocities, each the latent's size. */
export type MmaudioVelocity = (latent: Float32Array, t: number) => Promise<{ cond: Float32Array; uncond?: Float32Array }>;

export interface MmaudioSampleOptions {
  /** The starting noise x0 [B, latent, C], flattened. Not modified. */
  x0: Float32Array;
  /** Euler steps (upstream's default 25). */
  steps: number;
  /** CFG strength (upstream's default 4.5); below 1, `uncond` is not used. */
  cfgStrength: number;
  velocity: MmaudioVelocity;
  /** Called after each step with the step count done. */
  onStep?: (done: number) => void;
  signal?: AbortSignal;
}

/**
 * `torch.linspace(start, end, n)` in float32: the first half counts up from start, the second
 * half down from end (aten's CPU kernel), with step = (end − start) / (n − 1) in float.
 */
export function linspace(start: number, end: number, n: number): Float32Array {
  const step = f((end - start) / (n - 1));
  const half = Math.floor(n / 2);
  return Float32Array.from({ length: n }, (_, i) => (i < half ? f(start + f(step * i)) : f(end - f(step * (n - i - 1)))));
}

/** Runs the Euler sampler with CFG from x0 to the final latent (still normalised: · latent_std + latent_mean follows). */
export async function sampleMmaudio(o: MmaudioSampleOptions): Promise<Float32Array> {
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new RangeError(`\`steps\` must be a positive integer, got ${o.steps}`);
  const t = linspace(0, 1, o.steps + 1);
  const cfg = o.cfgStrength;
  let x = Float32Array.from(o.x0);
  for (let i = 0; i < o.steps; i++) {
    o.signal?.throwIfAborted();
    const { cond, uncond } = await o.velocity(x, t[i]!);
    if (cond.length !== x.length) throw new RangeError(`the velocity has ${cond.length} values, the latent ${x.length}`);
    const dt = f(t[i + 1]! - t[i]!);
    const next = new Float32Array(x.length);
    if (cfg < 1) {
      for (let j = 0; j < x.length; j++) next[j] = f(x[j]! + f(dt * cond[j]!));
    } else {
      if (uncond?.length !== x.length) throw new RangeError('CFG needs the unconditional velocity, the latent’s size');
      const other = f(1 - cfg);
      for (let j = 0; j < x.length; j++) next[j] = f(x[j]! + f(dt * f(f(cfg * cond[j]!) + f(other * uncond[j]!))));
    }
    x = next;
    o.onStep?.(i + 1);
  }
  return x;
}
