/**
 * @module One HunyuanVideo-Foley job (upstream `feature_process` + `denoise_process`): the picture
 * decoded once into SigLIP2's 8 fps 512² frames (squashed, bilinear, [-1, 1]) and Synchformer's
 * 25 fps frames; the prompt and the negative prompt ("noisy, harsh" by default, as upstream's)
 * tokenized together, padded to the longer, through CLAP; then window by window the conditions
 * graph (both CFG sides in a batch of 2: the unconditional side is the learned empty visual
 * features and the negative prompt), the flow-matching sampler from σ = 1 to 0 over the flow graph
 * (the pair batched), and the DAC-VAE decoder straight to 48 kHz. The track comes back unmastered,
 * for the delivery to master as it does any engine's.
 */
import { tensor, type Session } from '../../../../inference/ort.js';
import type { RobertaTokenizer } from '../../../../text/roberta-tokenizer.js';
import type { EngineJob, FoleyRender, FoleyRequest } from '../engine.js';
import { addTime, pairVelocity, type PairState, runConditions } from '../learned/cfg-pair.js';
import { ClipFrameFeatures } from '../learned/encoders.js';
import {
  decodePicture,
  join2,
  lengthOf,
  modeOf,
  pictureConditions,
  renderWindows,
  tiled,
  withTimedRuntime,
  learnedRender,
} from '../learned/picture.js';
import type { HvfFacts } from './graphs.js';
import { sampleHvf } from './sampler.js';

/** Upstream's defaults (`constants.py`, `cli.py`): 50 steps, guidance 4.5, this negative prompt. */
export const HVF_DEFAULT_STEPS = 50;
export const HVF_DEFAULT_CFG = 4.5;
export const HVF_DEFAULT_NEGATIVE = 'noisy, harsh';
/** Longest text the DiT takes (`text_length`). */
const TEXT_LENGTH = 77;
/** Longest text CLAP's RoBERTa takes (514 positions less padding_idx + 1). */
const CLAP_MAX_TOKENS = 512;
const DEFAULT_SOUND_S = 8;

export interface HvfRuntime extends PairState {
  engine: string;
  sessions: Record<'siglip2' | 'clapText' | 'synchformer' | 'conditions' | 'flow' | 'vae', Session>;
  facts: HvfFacts;
  tokenizer: RobertaTokenizer;
  ffmpeg: string;
}

/**
 * CLAP's last hidden state of both prompts, padded to the longer (conditional row first), then cut
 * to the DiT's 77 tokens — upstream's order (`encode_text_feat`, then `feature_process` cuts), so a
 * long prompt's first 77 states see the whole prompt. CLAP itself takes at most `CLAP_MAX_TOKENS`.
 */
async function textPair(rt: HvfRuntime, request: FoleyRequest, dim: number): Promise<{ data: Float32Array; length: number }> {
  const negative = request.negativePrompt.trim() === '' ? HVF_DEFAULT_NEGATIVE : request.negativePrompt;
  const batch = rt.tokenizer.tokenize([request.prompt, negative], { maxLength: CLAP_MAX_TOKENS });
  const clap = rt.sessions.clapText;
  const out = await clap.run({ [clap.inputNames[0]!]: tensor('int64', batch.ids, [batch.rows, batch.length]) });
  const all = out[clap.outputNames[0]!]!.data as Float32Array;
  const length = Math.min(batch.length, TEXT_LENGTH);
  const data = new Float32Array(2 * length * dim);
  for (let r = 0; r < 2; r++) data.set(all.subarray(r * batch.length * dim, (r * batch.length + length) * dim), r * length * dim);
  return { data, length };
}

export async function renderHvf(
  shared: HvfRuntime,
  request: FoleyRequest,
  job: EngineJob,
  s: { steps: number; cfgStrength: number },
): Promise<FoleyRender> {
  return withTimedRuntime(shared, job, (rt) => render(rt, request, job, s));
}

async function render(
  rt: HvfRuntime,
  request: FoleyRequest,
  job: EngineJob,
  s: { steps: number; cfgStrength: number },
): Promise<FoleyRender> {
  const { facts, sessions } = rt;
  const mode = modeOf(request);
  const durationS = await lengthOf(request, DEFAULT_SOUND_S);
  request.onProgress({ stage: 'frames', percent: 0 });
  let t = performance.now();
  const side = facts.clip.image;
  const picture = { side, squashTo: side, flags: 'bilinear' } as const;
  const frames = await decodePicture({ ffmpeg: rt.ffmpeg, request, durationS, picture, syncSide: facts.sync.image });
  t = job.mark('frames', t);
  const norm = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
  const images = frames ? new ClipFrameFeatures({ session: sessions.siglip2, frames: frames.clip, dim: facts.clip.dim, norm }) : undefined;
  const text = await textPair(rt, request, facts.text.dim);
  job.mark('clap_text', t);
  const row = text.length * facts.text.dim;
  const { channels, length } = facts.latent;
  const {
    wav,
    durationS: trackS,
    windows,
  } = await renderWindows({
    durationS,
    windowS: (length * facts.samplesPerLatent) / facts.sampleRate,
    sampleRate: facts.sampleRate,
    latentSize: length * channels,
    request,
    steps: s.steps,
    job,
    render: async ({ window, x0, onStep }) => {
      const seen = await pictureConditions({
        facts,
        synchformer: sessions.synchformer,
        mode,
        frames,
        images,
        startS: window.start,
        signal: request.signal,
        job,
      });
      let tw = performance.now();
      const conditions = await runConditions(sessions.conditions, {
        clip: { data: join2(seen.clip, tiled(facts.empty.clip, facts.clip.frames)), dims: [2, facts.clip.frames, facts.clip.dim] },
        sync: { data: join2(seen.sync, tiled(facts.empty.sync, facts.sync.tokens)), dims: [2, facts.sync.tokens, facts.sync.dim] },
        text: { data: text.data.slice(0, 2 * row), dims: [2, text.length, facts.text.dim] },
      });
      addTime(job, 'conditions', tw);
      tw = performance.now();
      const cfg = s.cfgStrength > 1;
      const velocity = pairVelocity({
        flow: sessions.flow,
        conditions,
        latentShape: [channels, length],
        cfg,
        state: rt,
        job,
        what: 'HunyuanVideo-Foley',
      });
      const z = await sampleHvf({ x0, steps: s.steps, guidanceScale: s.cfgStrength, velocity, onStep, signal: request.signal });
      addTime(job, 'sampling', tw);
      tw = performance.now();
      request.signal.throwIfAborted();
      const vae = sessions.vae;
      const audio = (await vae.run({ [vae.inputNames[0]!]: tensor('float32', z, [1, channels, length]) }))[vae.outputNames[0]!]!;
      addTime(job, 'vae', tw);
      return audio.data as Float32Array;
    },
  });
  return learnedRender({ rt, request, settings: s, mode, track: { wav, durationS: trackS, windows }, sampleRate: facts.sampleRate });
}
