/**
 * @module One MMAudio job: the picture decoded once into both encoders' frames, the prompts
 * encoded once, then window by window the conditions graph (conditional and unconditional side in
 * one batch of 2), the Euler sampler over the flow graph (the CFG pair batched), the latent
 * un-normalised, the VAE decoder and the vocoder, and the windows joined with crossfades into one
 * WAV at the network's rate. The track comes back unmastered: the delivery masters it as it
 * masters any engine's (−16 LUFS, true peak under the ceiling) and ducks it under speech for `mix`.
 *
 * Three modes, as upstream's: a video (every condition), a still (its CLIP feature on every frame,
 * no sync), and text alone (the learned empty picture features on both sides).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeWavFloat32 } from '../../../../media/wav.js';
import type { Session } from '../../../../inference/ort.js';
import type { EngineJob, FoleyRender, FoleyRequest } from '../engine.js';
import { ClipFrameFeatures, SYNC_STRIDE, syncFeatures, textFeatures } from './encoders.js';
import { CLIP_FPS, clipPictureStream, type DecodedFrames, decodeStillFrame, decodeVideoFrames, SYNC_FPS } from './frames.js';
import { gaussianNoise } from './noise.js';
import { denoiseWindow } from './sample-window.js';
import type { ConditionFeeds, MmaudioRuntime, RenderSettings } from './types.js';
import { layWindow, overlapSamples, planWindows } from './windows.js';

/** Upstream's defaults (`demo.py`, `eval_utils.py`). */
export const DEFAULT_STEPS = 25;
export const DEFAULT_CFG = 4.5;
/** A sound without a picture and without a `duration`: one window. */
export const DEFAULT_SOUND_S = 8;

type Mode = 'video' | 'image' | 'text';

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** `n` copies of `row`. */
function tiled(row: ArrayLike<number>, n: number): Float32Array {
  const out = new Float32Array(row.length * n);
  for (let i = 0; i < n; i++) out.set(row, i * row.length);
  return out;
}

async function decode(rt: MmaudioRuntime, request: FoleyRequest, durationS: number): Promise<DecodedFrames | undefined> {
  const common = {
    ffmpeg: rt.ffmpeg,
    workDir: request.workDir,
    picture: clipPictureStream(rt.facts.clip.image),
    syncSide: rt.facts.sync.image,
    signal: request.signal,
    timeoutMs: request.timeoutMs,
  };
  if (request.source) return decodeVideoFrames({ ...common, file: request.source.file, durationS });
  if (request.still) return decodeStillFrame({ ...common, ...request.still });
  return undefined;
}

/** The seconds of sound to make: the picture's (to `duration`), or `duration` (default one window). */
async function lengthOf(request: FoleyRequest): Promise<number> {
  if (!request.source) return request.duration ?? DEFAULT_SOUND_S;
  const media = await request.source.media;
  const d = media.duration ?? request.duration ?? 0;
  return request.duration === undefined ? d : Math.min(d, request.duration);
}

interface WindowConditions {
  clip: Float32Array;
  sync: Float32Array;
}

/** The picture's conditions for a window at `startS`: real features where there are frames, the learned empty ones elsewhere. */
async function pictureConditions(o: {
  rt: MmaudioRuntime;
  mode: Mode;
  frames: DecodedFrames | undefined;
  clip: ClipFrameFeatures | undefined;
  startS: number;
  request: FoleyRequest;
  job: EngineJob;
}): Promise<WindowConditions> {
  const { facts } = o.rt;
  const clip = tiled(facts.empty.clip, facts.clip.frames);
  const sync = tiled(facts.empty.sync, facts.sync.tokens);
  if (o.mode === 'text' || !o.clip) return { clip, sync };
  const t0 = performance.now();
  if (o.mode === 'image') {
    const [still] = await o.clip.range(0, 1, o.request.signal);
    o.job.timings.clip_image = (o.job.timings.clip_image ?? 0) + Math.round(performance.now() - t0);
    return { clip: tiled(still!, facts.clip.frames), sync };
  }
  const from = Math.round(o.startS * CLIP_FPS);
  const feats = await o.clip.range(from, facts.clip.frames, o.request.signal);
  for (const [i, f] of feats.entries()) clip.set(f, i * facts.clip.dim);
  o.job.timings.clip_image = (o.job.timings.clip_image ?? 0) + Math.round(performance.now() - t0);
  const t1 = performance.now();
  const perSegment = SYNC_STRIDE;
  const segments = await syncFeatures({
    session: o.rt.sessions.synchformer,
    frames: o.frames!.sync!,
    from: Math.round(o.startS * SYNC_FPS),
    segments: facts.sync.tokens / perSegment,
    segmentFrames: facts.sync.segmentFrames,
    signal: o.request.signal,
  });
  segments.forEach((f, k) => {
    if (f) sync.set(f, k * perSegment * facts.sync.dim);
  });
  o.job.timings.synchformer = (o.job.timings.synchformer ?? 0) + Math.round(performance.now() - t1);
  return { clip, sync };
}

/** Joins the two sides of the CFG pair into the conditions graph's batch-2 feeds. */
function pairFeeds(rt: MmaudioRuntime, cond: WindowConditions & { text: Float32Array }, uncondText: Float32Array): ConditionFeeds {
  const { facts } = rt;
  const join2 = (a: Float32Array, b: Float32Array): Float32Array => {
    const out = new Float32Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  return {
    clip: join2(cond.clip, tiled(facts.empty.clip, facts.clip.frames)),
    sync: join2(cond.sync, tiled(facts.empty.sync, facts.sync.tokens)),
    text: join2(cond.text, uncondText),
  };
}

/**
 * The sessions with every run's time added to `timings.model_runs` (and counted in `model_run_count`):
 * the job's time over that sum is the worker's own overhead, which the bench reports.
 */
function timedSessions(sessions: MmaudioRuntime['sessions'], job: EngineJob): MmaudioRuntime['sessions'] {
  const wrap = (s: Session): Session => ({
    provider: s.provider,
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    release: () => s.release(),
    async run(feeds, options) {
      const t0 = performance.now();
      try {
        return await s.run(feeds, options);
      } finally {
        job.timings.model_runs = (job.timings.model_runs ?? 0) + (performance.now() - t0);
        job.timings.model_run_count = (job.timings.model_run_count ?? 0) + 1;
      }
    },
  });
  return Object.fromEntries(Object.entries(sessions).map(([k, v]) => [k, wrap(v)])) as MmaudioRuntime['sessions'];
}

/** Renders the request's track with a loaded network. */
export async function renderMmaudio(
  shared: MmaudioRuntime,
  request: FoleyRequest,
  job: EngineJob,
  s: RenderSettings,
): Promise<FoleyRender> {
  const rt: MmaudioRuntime = { ...shared, sessions: timedSessions(shared.sessions, job) };
  try {
    return await render(rt, request, job, s);
  } finally {
    // What a job learned about memory holds for the next ones.
    shared.flowBatch = rt.flowBatch;
    if (job.timings.model_runs !== undefined) job.timings.model_runs = Math.round(job.timings.model_runs);
  }
}

async function render(rt: MmaudioRuntime, request: FoleyRequest, job: EngineJob, s: RenderSettings): Promise<FoleyRender> {
  const { facts } = rt;
  const mode: Mode = request.source ? 'video' : request.still ? 'image' : 'text';
  const durationS = await lengthOf(request);
  const windowS = (facts.latent.length * facts.samplesPerLatent) / facts.sampleRate;
  const windows = planWindows(durationS, windowS);
  request.onProgress({ stage: 'frames', percent: 0 });
  let t = performance.now();
  const frames = await decode(rt, request, durationS);
  t = job.mark('frames', t);
  const clip = frames ? new ClipFrameFeatures({ session: rt.sessions.clipImage, frames: frames.clip, dim: facts.clip.dim }) : undefined;

  const negative = request.negativePrompt.trim();
  const prompts = negative === '' ? [request.prompt] : [request.prompt, negative];
  const text = await textFeatures({ session: rt.sessions.clipText, tokenizer: rt.tokenizer, prompts });
  const rowText = facts.text.length * facts.text.dim;
  const condText = text.slice(0, rowText);
  // Without a negative prompt the unconditional side is the learned empty string (upstream's `get_empty_string_sequence`).
  const uncondText = negative === '' ? Float32Array.from(facts.empty.text) : text.slice(rowText, 2 * rowText);
  t = job.mark('clip_text', t);

  const track = new Float32Array(Math.max(1, Math.round(durationS * facts.sampleRate)));
  const totalSteps = windows.length * s.steps;
  for (const [i, w] of windows.entries()) {
    request.signal.throwIfAborted();
    const picture = await pictureConditions({ rt, mode, frames, clip, startS: w.start, request, job });
    const latentSize = facts.latent.length * facts.latent.channels;
    const x0 = gaussianNoise({ seed: request.seed, stream: i, count: latentSize });
    const audio = await denoiseWindow({
      rt,
      feeds: pairFeeds(rt, { ...picture, text: condText }, uncondText),
      x0,
      settings: s,
      signal: request.signal,
      job,
      onStep: (done) => request.onProgress({ stage: 'sampling', percent: Math.round((100 * (i * s.steps + done)) / totalSteps) }),
    });
    layWindow(track, {
      audio,
      startSample: Math.round(w.start * facts.sampleRate),
      fadeSamples: overlapSamples(windows, i, facts.sampleRate),
    });
  }
  const wav = join(request.workDir, 'mmaudio.wav');
  t = performance.now();
  await writeFile(wav, encodeWavFloat32([track], facts.sampleRate));
  job.mark('write', t);
  return {
    track: { wav, durationS: track.length / facts.sampleRate, mastered: false },
    fields: {
      variant: rt.engine,
      mode,
      seed: request.seed,
      steps: s.steps,
      cfg_strength: s.cfgStrength,
      windows: windows.map((w) => ({ start: round3(w.start), end: round3(w.start + w.length) })),
      sample_rate: facts.sampleRate,
      provider: rt.sessions.flow.provider,
      ...(rt.flowBatch === 1 ? { cfg_batched: false } : {}),
    },
  };
}
