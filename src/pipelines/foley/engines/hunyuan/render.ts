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
  layTrack,
  tiled,
  timedSessions,
  learnedRender,
} from '../learned/picture.js';
import { gaussianNoise } from '../learned/noise.js';
import { planWindows } from '../learned/windows.js';
import type { HvfFacts } from './graphs.js';
import { sampleHvf } from './sampler.js';
import { hvfWindowShape } from './window-inputs.js';

/** Upstream's defaults (`constants.py`, `cli.py`): 50 steps, guidance 4.5, this negative prompt. */
export const HVF_DEFAULT_STEPS = 50;
export const HVF_DEFAULT_CFG = 4.5;
export const HVF_DEFAULT_NEGATIVE = 'noisy, harsh';
/** Longest text the DiT takes (`text_length`). */
const TEXT_LENGTH = 77;
/** Longest text CLAP's RoBERTa takes (514 positions less padding_idx + 1). */
const CLAP_MAX_TOKENS = 512;
const DEFAULT_SOUND_S = 8;

export type HvfSessionName = 'siglip2' | 'clapText' | 'synchformer' | 'conditions' | 'flow' | 'vae';

/** A job's three phases, in order: the encoders, the DiT (sampling), the DAC-VAE. */
export const HVF_PHASES = {
  encoders: ['siglip2', 'clapText', 'synchformer'],
  dit: ['conditions', 'flow'],
  vae: ['vae'],
} as const satisfies Record<string, readonly HvfSessionName[]>;
export type HvfPhase = keyof typeof HVF_PHASES;

/**
 * The sessions of a phase: all resident (opened at load, `close` does nothing), or opened when the
 * phase starts and released when it ends (LEARNED_MEMORY=sequential), so only one phase's weights
 * are held at a time — the memory a smaller GPU has.
 */
export interface HvfPhases {
  open<P extends HvfPhase>(phase: P): Promise<Record<(typeof HVF_PHASES)[P][number], Session>>;
  close(phase: HvfPhase): Promise<void>;
}

export interface HvfRuntime extends PairState {
  engine: string;
  /** Where the flow graph last ran (the result's `provider`). */
  provider?: string;
  phases: HvfPhases;
  facts: HvfFacts;
  tokenizer: RobertaTokenizer;
  ffmpeg: string;
}

/**
 * CLAP's last hidden state of both prompts, padded to the longer (conditional row first), then cut
 * to the DiT's 77 tokens — upstream's order (`encode_text_feat`, then `feature_process` cuts), so a
 * long prompt's first 77 states see the whole prompt. CLAP itself takes at most `CLAP_MAX_TOKENS`.
 */
async function textPair(o: {
  rt: HvfRuntime;
  clap: Session;
  request: FoleyRequest;
  dim: number;
}): Promise<{ data: Float32Array; length: number }> {
  const { request, clap, dim } = o;
  const negative = request.negativePrompt.trim() === '' ? HVF_DEFAULT_NEGATIVE : request.negativePrompt;
  const batch = o.rt.tokenizer.tokenize([request.prompt, negative], { maxLength: CLAP_MAX_TOKENS });
  const out = await clap.run({ [clap.inputNames[0]!]: tensor('int64', batch.ids, [batch.rows, batch.length]) });
  const all = out[clap.outputNames[0]!]!.data as Float32Array;
  const length = Math.min(batch.length, TEXT_LENGTH);
  const data = new Float32Array(2 * length * dim);
  for (let r = 0; r < 2; r++) data.set(all.subarray(r * batch.length * dim, (r * batch.length + length) * dim), r * length * dim);
  return { data, length };
}

/**
 * A job in three phases, each over every window — the encoders' conditions, then the DiT's latents,
 * then the DAC-VAE's audio, laid with crossfades — so that under LEARNED_MEMORY=sequential only one
 * phase's sessions are open at a time. Each window's conditions and latent (a few hundred KB) wait
 * between phases.
 */
export async function renderHvf(
  rt: HvfRuntime,
  request: FoleyRequest,
  job: EngineJob,
  s: { steps: number; cfgStrength: number },
): Promise<FoleyRender> {
  try {
    return await render(rt, request, job, s);
  } finally {
    if (job.timings.model_runs !== undefined) job.timings.model_runs = Math.round(job.timings.model_runs);
  }
}

/** A phase's sessions, timed into the job, released (in sequential mode) when `use` ends. */
async function inPhase<P extends HvfPhase, T>(
  o: { rt: HvfRuntime; phase: P; job: EngineJob },
  use: (sessions: Record<(typeof HVF_PHASES)[P][number], Session>) => Promise<T>,
): Promise<T> {
  const opened = await o.rt.phases.open(o.phase);
  try {
    return await use(timedSessions(opened, o.job));
  } finally {
    await o.rt.phases.close(o.phase);
  }
}

async function render(
  rt: HvfRuntime,
  request: FoleyRequest,
  job: EngineJob,
  s: { steps: number; cfgStrength: number },
): Promise<FoleyRender> {
  const { facts } = rt;
  const mode = modeOf(request);
  const durationS = await lengthOf(request, DEFAULT_SOUND_S);
  const { channels } = facts.latent;
  // Windows of up to the trained 15 s, each converted lengths of its own (one window for a clip of ≤ 15 s).
  const windows = planWindows(durationS, facts.maxWindowS);
  const shapes = windows.map((w) => hvfWindowShape(facts, w.length));
  request.onProgress({ stage: 'frames', percent: 0 });
  let t = performance.now();
  const side = facts.clip.image;
  const picture = { side, squashTo: side, flags: 'bilinear' } as const;
  const frames = await decodePicture({ ffmpeg: rt.ffmpeg, request, durationS, picture, syncSide: facts.sync.image });
  t = job.mark('frames', t);
  const norm = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
  const { text, seen } = await inPhase({ rt, phase: 'encoders', job }, async (sessions) => {
    const images = frames
      ? new ClipFrameFeatures({ session: sessions.siglip2, frames: frames.clip, dim: facts.clip.dim, norm })
      : undefined;
    const pair = await textPair({ rt, clap: sessions.clapText, request, dim: facts.text.dim });
    job.mark('clap_text', t);
    const visual = [];
    for (const [i, w] of windows.entries()) {
      const facts = shapes[i]!.picture;
      const o = { facts, synchformer: sessions.synchformer, mode, frames, images, startS: w.start, signal: request.signal, job };
      visual.push(await pictureConditions(o));
    }
    return { text: pair, seen: visual };
  });
  const latents = await inPhase({ rt, phase: 'dit', job }, async (sessions) => {
    const out: Float32Array[] = [];
    for (let i = 0; i < windows.length; i++) {
      request.signal.throwIfAborted();
      let tw = performance.now();
      const { seq, tables } = shapes[i]!;
      const conditions = await runConditions(
        sessions.conditions,
        {
          clip: { data: join2(seen[i]!.clip, tiled(facts.empty.clip, seq.clip)), dims: [2, seq.clip, facts.clip.dim] },
          sync: { data: join2(seen[i]!.sync, tiled(facts.empty.sync, seq.sync)), dims: [2, seq.sync, facts.sync.dim] },
          text: { data: text.data, dims: [2, text.length, facts.text.dim] },
        },
        tables.conditions,
      );
      addTime(job, 'conditions', tw);
      tw = performance.now();
      const velocity = pairVelocity({
        flow: sessions.flow,
        conditions,
        latentShape: [channels, seq.latent],
        extra: tables.flow,
        cfg: s.cfgStrength > 1,
        state: rt,
        job,
        what: 'HunyuanVideo-Foley',
      });
      const x0 = gaussianNoise({ seed: request.seed, stream: i, count: seq.latent * channels });
      const onStep = (done: number): void =>
        request.onProgress({ stage: 'sampling', percent: Math.round((100 * (i * s.steps + done)) / (windows.length * s.steps)) });
      out.push(await sampleHvf({ x0, steps: s.steps, guidanceScale: s.cfgStrength, velocity, onStep, signal: request.signal }));
      addTime(job, 'sampling', tw);
      rt.provider = sessions.flow.provider;
    }
    return out;
  });
  const track = await inPhase({ rt, phase: 'vae', job }, (sessions) =>
    layTrack({
      windows,
      sampleRate: facts.sampleRate,
      durationS,
      request,
      job,
      audio: async (i) => {
        const tw = performance.now();
        const vae = sessions.vae;
        const z = tensor('float32', latents[i]!, [1, channels, shapes[i]!.seq.latent]);
        const audio = (await vae.run({ [vae.inputNames[0]!]: z }))[vae.outputNames[0]!]!.data as Float32Array;
        addTime(job, 'vae', tw);
        return audio;
      },
    }),
  );
  const provider = rt.provider ?? 'cpu';
  return learnedRender({ rt, provider, request, settings: s, mode, track: { ...track, windows }, sampleRate: facts.sampleRate });
}
