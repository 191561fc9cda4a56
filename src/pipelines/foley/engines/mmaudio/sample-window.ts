/**
 * @module One window from noise to sound: the conditions graph once (both CFG sides in a batch of
 * 2), the Euler sampler with the flow graph (the pair batched, so each step is one run that moves
 * only the latent and t), `x · latent_std + latent_mean`, the VAE decoder on `[1, C, L]`, the
 * vocoder. Out of memory in the flow graph at batch 2 → the pair is run as two batches of 1 from
 * then on (one retry, then OUT_OF_MEMORY). An abort is seen before every step.
 */
import { isOutOfMemory } from '../../../../inference/out-of-memory.js';
import { type Session, type Tensor, tensor } from '../../../../inference/ort.js';
import { WorkerError } from '../../../../errors.js';
import type { EngineJob } from '../engine.js';
import { sampleMmaudio } from './sampler.js';
import type { ConditionFeeds, MmaudioRuntime, RenderSettings } from './types.js';

function feedsFor(session: Session, values: readonly Float32Array[], shapes: readonly number[][]): Record<string, Tensor> {
  return Object.fromEntries(session.inputNames.map((name, i) => [name, tensor('float32', values[i]!, shapes[i]!)]));
}

/** Row `r` of a batch-2 tensor (its first dimension halved). */
function half(t: Tensor, r: 0 | 1): Tensor {
  const data = t.data as Float32Array;
  const n = data.length / 2;
  return tensor('float32', data.slice(r * n, (r + 1) * n), [1, ...t.dims.slice(1)]);
}

function addTime(job: EngineJob, name: string, since: number): void {
  job.timings[name] = (job.timings[name] ?? 0) + Math.round(performance.now() - since);
}

export async function denoiseWindow(o: {
  rt: MmaudioRuntime;
  feeds: ConditionFeeds;
  x0: Float32Array;
  settings: RenderSettings;
  signal: AbortSignal;
  job: EngineJob;
  onStep: (done: number) => void;
}): Promise<Float32Array> {
  const { rt, job } = o;
  const { facts, sessions } = rt;
  let t = performance.now();
  const cond = sessions.conditions;
  const conditions = await cond.run(
    feedsFor(
      cond,
      cond.inputNames.map((n) => (n.includes('clip') ? o.feeds.clip : n.includes('sync') ? o.feeds.sync : o.feeds.text)),
      cond.inputNames.map((n) =>
        n.includes('clip')
          ? [2, facts.clip.frames, facts.clip.dim]
          : n.includes('sync')
            ? [2, facts.sync.tokens, facts.sync.dim]
            : [2, facts.text.length, facts.text.dim],
      ),
    ),
  );
  addTime(job, 'conditions', t);
  t = performance.now();
  const cfgOn = o.settings.cfgStrength >= 1;
  const latentShape = [facts.latent.length, facts.latent.channels];
  const flowNames = sessions.flow.inputNames;
  const flowRun = async (x: Float32Array, time: number, rows: readonly (0 | 1)[]): Promise<Float32Array> => {
    const b = rows.length;
    const latent = new Float32Array(x.length * b);
    for (let i = 0; i < b; i++) latent.set(x, i * x.length);
    const feeds: Record<string, Tensor> = {
      latent: tensor('float32', latent, [b, ...latentShape]),
      t: tensor('float32', new Float32Array(b).fill(time), [b]),
    };
    for (const name of flowNames) {
      if (name in feeds) continue;
      const c = conditions[name];
      if (!c) throw new TypeError(`the flow graph wants ${name}, which the conditions graph does not give`);
      feeds[name] = b === 2 ? c : half(c, rows[0]!);
    }
    const out = await sessions.flow.run(feeds);
    return out[sessions.flow.outputNames[0]!]!.data as Float32Array;
  };
  const velocity = async (x: Float32Array, time: number): Promise<{ cond: Float32Array; uncond?: Float32Array }> => {
    if (!cfgOn) return { cond: await flowRun(x, time, [0]) };
    if (rt.flowBatch === 2) {
      try {
        const v = await flowRun(x, time, [0, 1]);
        return { cond: v.slice(0, x.length), uncond: v.slice(x.length) };
      } catch (e) {
        if (!isOutOfMemory(e)) throw e;
        // One retry, smaller: each side alone, for this job and the ones after it.
        rt.flowBatch = 1;
        job.warnings.push('the GPU ran out of memory with the guidance pair batched: each side now runs alone (slower)');
      }
    }
    try {
      return { cond: await flowRun(x, time, [0]), uncond: await flowRun(x, time, [1]) };
    } catch (e) {
      if (!isOutOfMemory(e)) throw e;
      throw new WorkerError('OUT_OF_MEMORY', 'the MMAudio flow graph ran out of memory even one guidance side at a time', { cause: e });
    }
  };
  const x = await sampleMmaudio({
    x0: o.x0,
    steps: o.settings.steps,
    cfgStrength: o.settings.cfgStrength,
    velocity,
    onStep: o.onStep,
    signal: o.signal,
  });
  addTime(job, 'sampling', t);
  t = performance.now();
  // [L, C] channel-last → un-normalised → [1, C, L] for the VAE.
  const [L, C] = latentShape as [number, number];
  const z = new Float32Array(L * C);
  for (let l = 0; l < L; l++) for (let c = 0; c < C; c++) z[c * L + l] = x[l * C + c]! * facts.latentStd[c]! + facts.latentMean[c]!;
  o.signal.throwIfAborted();
  const vae = sessions.vae;
  const mel = (await vae.run({ [vae.inputNames[0]!]: tensor('float32', z, [1, C, L]) }))[vae.outputNames[0]!]!;
  addTime(job, 'vae', t);
  t = performance.now();
  o.signal.throwIfAborted();
  const voc = sessions.vocoder;
  const wav = (await voc.run({ [voc.inputNames[0]!]: mel }))[voc.outputNames[0]!]!.data as Float32Array;
  addTime(job, 'vocoder', t);
  return wav;
}
