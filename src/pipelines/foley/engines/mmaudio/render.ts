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
import type { EngineJob, FoleyRender, FoleyRequest } from '../engine.js';
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
  type WindowConditions,
} from '../learned/picture.js';
import { ClipFrameFeatures, textFeatures } from '../learned/encoders.js';
import { clipPictureStream } from '../learned/frames.js';
import { denoiseWindow } from './sample-window.js';
import type { ConditionFeeds, MmaudioRuntime, RenderSettings } from './types.js';

/** Upstream's defaults (`demo.py`, `eval_utils.py`). */
export const DEFAULT_STEPS = 25;
export const DEFAULT_CFG = 4.5;
/** A sound without a picture and without a `duration`: one window. */
export const DEFAULT_SOUND_S = 8;

/** Joins the two sides of the CFG pair into the conditions graph's batch-2 feeds. */
function pairFeeds(rt: MmaudioRuntime, cond: WindowConditions & { text: Float32Array }, uncondText: Float32Array): ConditionFeeds {
  const { facts } = rt;
  return {
    clip: join2(cond.clip, tiled(facts.empty.clip, facts.clip.frames)),
    sync: join2(cond.sync, tiled(facts.empty.sync, facts.sync.tokens)),
    text: join2(cond.text, uncondText),
  };
}

/** Renders the request's track with a loaded network. */
export async function renderMmaudio(
  shared: MmaudioRuntime,
  request: FoleyRequest,
  job: EngineJob,
  s: RenderSettings,
): Promise<FoleyRender> {
  return withTimedRuntime(shared, job, (rt) => render(rt, request, job, s));
}

async function render(rt: MmaudioRuntime, request: FoleyRequest, job: EngineJob, s: RenderSettings): Promise<FoleyRender> {
  const { facts } = rt;
  const mode = modeOf(request);
  const durationS = await lengthOf(request, DEFAULT_SOUND_S);
  request.onProgress({ stage: 'frames', percent: 0 });
  let t = performance.now();
  const picture = clipPictureStream(facts.clip.image);
  const frames = await decodePicture({ ffmpeg: rt.ffmpeg, request, durationS, picture, syncSide: facts.sync.image });
  t = job.mark('frames', t);
  const images = frames ? new ClipFrameFeatures({ session: rt.sessions.clipImage, frames: frames.clip, dim: facts.clip.dim }) : undefined;

  const negative = request.negativePrompt.trim();
  const prompts = negative === '' ? [request.prompt] : [request.prompt, negative];
  const text = await textFeatures({ session: rt.sessions.clipText, tokenizer: rt.tokenizer, prompts });
  const rowText = facts.text.length * facts.text.dim;
  const condText = text.slice(0, rowText);
  // Without a negative prompt the unconditional side is the learned empty string (upstream's `get_empty_string_sequence`).
  const uncondText = negative === '' ? Float32Array.from(facts.empty.text) : text.slice(rowText, 2 * rowText);
  job.mark('clip_text', t);

  const {
    wav,
    durationS: length,
    windows,
  } = await renderWindows({
    durationS,
    windowS: (facts.latent.length * facts.samplesPerLatent) / facts.sampleRate,
    sampleRate: facts.sampleRate,
    latentSize: facts.latent.length * facts.latent.channels,
    request,
    steps: s.steps,
    job,
    render: async ({ window, x0, onStep }) => {
      const seen = await pictureConditions({
        facts,
        synchformer: rt.sessions.synchformer,
        mode,
        frames,
        images,
        startS: window.start,
        signal: request.signal,
        job,
      });
      const feeds = pairFeeds(rt, { ...seen, text: condText }, uncondText);
      return denoiseWindow({ rt, feeds, x0, settings: s, signal: request.signal, job, onStep });
    },
  });
  const provider = rt.sessions.flow.provider;
  return learnedRender({
    rt,
    provider,
    request,
    settings: s,
    mode,
    track: { wav, durationS: length, windows },
    sampleRate: facts.sampleRate,
  });
}
