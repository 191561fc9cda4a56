/**
 * @module One window from noise to sound: the conditions graph once (both CFG sides in a batch of
 * 2), the Euler sampler with the flow graph (the pair batched, so each step is one run that moves
 * only the latent and t), `x · latent_std + latent_mean`, the VAE decoder on `[1, C, L]`, the
 * vocoder. Out of memory in the flow graph at batch 2 → the pair is run as two batches of 1 from
 * then on (one retry, then OUT_OF_MEMORY). An abort is seen before every step.
 */
import { tensor } from '../../../../inference/ort.js';
import { addTime, pairVelocity, runConditions } from '../learned/cfg-pair.js';
import type { EngineJob } from '../engine.js';
import { sampleMmaudio } from './sampler.js';
import type { ConditionFeeds, MmaudioRuntime, RenderSettings } from './types.js';

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
  const conditions = await runConditions(sessions.conditions, {
    clip: { data: o.feeds.clip, dims: [2, facts.clip.frames, facts.clip.dim] },
    sync: { data: o.feeds.sync, dims: [2, facts.sync.tokens, facts.sync.dim] },
    text: { data: o.feeds.text, dims: [2, facts.text.length, facts.text.dim] },
  });
  addTime(job, 'conditions', t);
  t = performance.now();
  const latentShape = [facts.latent.length, facts.latent.channels];
  const cfg = o.settings.cfgStrength >= 1;
  const velocity = pairVelocity({ flow: sessions.flow, conditions, latentShape, cfg, state: rt, job, what: 'MMAudio' });
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
