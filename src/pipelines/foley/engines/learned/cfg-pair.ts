/**
 * @module The two sides of classifier-free guidance through a learned engine's graphs: the
 * conditions graph once per window with both sides in a batch of 2 (conditional row first), and
 * the flow graph per step with the pair batched, so each step moves only the latent and t. Out of
 * memory at batch 2 → each side runs alone from then on (one retry; the shared state remembers it
 * for later jobs), then OUT_OF_MEMORY.
 */
import { WorkerError } from '../../../../errors.js';
import { isOutOfMemory } from '../../../../inference/out-of-memory.js';
import { type Session, type Tensor, tensor } from '../../../../inference/ort.js';
import type { EngineJob } from '../engine.js';

/** Flow runs per step: the CFG pair together (2) or one side at a time (1); shared by a network's jobs. */
export interface PairState {
  flowBatch: 1 | 2;
}

/**
 * Runs the conditions graph on batch-2 feeds, each input found by what its name says it is; `extra`
 * feeds the inputs it names as they are (a length-dynamic graph's per-window tables).
 */
export async function runConditions(
  session: Session,
  feeds: Record<'clip' | 'sync' | 'text', { data: Float32Array; dims: readonly number[] }>,
  extra: Readonly<Record<string, Tensor>> = {},
): Promise<Record<string, Tensor>> {
  const pick = (n: string) => (n.includes('clip') ? feeds.clip : n.includes('sync') ? feeds.sync : feeds.text);
  const feed = (n: string): Tensor => extra[n] ?? tensor('float32', pick(n).data, pick(n).dims);
  return session.run(Object.fromEntries(session.inputNames.map((n) => [n, feed(n)])));
}

/** Row `r` of a batch-2 tensor (its first dimension halved). */
function half(t: Tensor, r: 0 | 1): Tensor {
  const data = t.data as Float32Array;
  const n = data.length / 2;
  return tensor('float32', data.slice(r * n, (r + 1) * n), [1, ...t.dims.slice(1)]);
}

export type PairVelocity = (latent: Float32Array, t: number) => Promise<{ cond: Float32Array; uncond?: Float32Array }>;

/** The velocity callback of a sampler over the flow graph: both sides batched, or the conditional side alone without CFG. */
export function pairVelocity(o: {
  flow: Session;
  conditions: Record<string, Tensor>;
  /** The latent's shape without the batch dimension. */
  latentShape: readonly number[];
  /** Inputs fed as they are whatever the batch (a length-dynamic graph's per-window tables). */
  extra?: Readonly<Record<string, Tensor>>;
  cfg: boolean;
  state: PairState;
  job: EngineJob;
  what: string;
}): PairVelocity {
  const { flow } = o;
  const run = async (x: Float32Array, time: number, rows: readonly (0 | 1)[]): Promise<Float32Array> => {
    const b = rows.length;
    const latent = new Float32Array(x.length * b);
    for (let i = 0; i < b; i++) latent.set(x, i * x.length);
    const feeds: Record<string, Tensor> = {
      latent: tensor('float32', latent, [b, ...o.latentShape]),
      t: tensor('float32', new Float32Array(b).fill(time), [b]),
    };
    for (const name of flow.inputNames) {
      if (name in feeds) continue;
      const fixed = o.extra?.[name];
      if (fixed) {
        feeds[name] = fixed;
        continue;
      }
      const c = o.conditions[name];
      if (!c) throw new TypeError(`the flow graph wants ${name}, which the conditions graph does not give`);
      feeds[name] = b === 2 ? c : half(c, rows[0]!);
    }
    return (await flow.run(feeds))[flow.outputNames[0]!]!.data as Float32Array;
  };
  return async (x, time) => {
    if (!o.cfg) return { cond: await run(x, time, [0]) };
    if (o.state.flowBatch === 2) {
      try {
        const v = await run(x, time, [0, 1]);
        return { cond: v.slice(0, x.length), uncond: v.slice(x.length) };
      } catch (e) {
        if (!isOutOfMemory(e)) throw e;
        // One retry, smaller: each side alone, for this job and the ones after it.
        o.state.flowBatch = 1;
        o.job.warnings.push('the GPU ran out of memory with the guidance pair batched: each side now runs alone (slower)');
      }
    }
    try {
      return { cond: await run(x, time, [0]), uncond: await run(x, time, [1]) };
    } catch (e) {
      if (!isOutOfMemory(e)) throw e;
      throw new WorkerError('OUT_OF_MEMORY', `the ${o.what} flow graph ran out of memory even one guidance side at a time`, { cause: e });
    }
  };
}

export function addTime(job: EngineJob, name: string, since: number): void {
  job.timings[name] = (job.timings[name] ?? 0) + Math.round(performance.now() - since);
}
