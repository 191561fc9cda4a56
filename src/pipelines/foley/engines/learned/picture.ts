/**
 * @module What a learned engine's job does with the picture, whatever the network: one decode of
 * the source into the image encoder's 8 fps frames and Synchformer's 25 fps frames (or one frame
 * of a still), the length of sound to make, and each window's visual conditions — real features
 * where there are frames, the network's learned "no picture" features elsewhere (past the clip's
 * end, for a still's sync, for text alone). Also the timing wrapper every learned engine's
 * sessions go through, so a job reports the time spent inside ONNX Runtime.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Session } from '../../../../inference/ort.js';
import { timedSession } from '../../../../inference/timed-session.js';
import { encodeWavFloat32 } from '../../../../media/wav.js';
import type { EngineJob, FoleyRender, FoleyRequest } from '../engine.js';
import { type ClipFrameFeatures, SYNC_STRIDE, syncFeatures } from './encoders.js';
import { CLIP_FPS, type DecodedFrames, decodeStillFrame, decodeVideoFrames, type PictureStream, SYNC_FPS } from './frames.js';
import { gaussianNoise } from './noise.js';
import { layWindow, overlapSamples, planWindows, type Window } from './windows.js';

/** What conditioned the network: a video, a still, or the prompt alone. */
export type Mode = 'video' | 'image' | 'text';

/** The sizes of a network's visual conditions, and its learned empty features. */
export interface PictureFacts {
  clip: { frames: number; dim: number };
  sync: { tokens: number; dim: number; segmentFrames: number };
  empty: { clip: ArrayLike<number>; sync: ArrayLike<number> };
}

/** `n` copies of `row`. */
export function tiled(row: ArrayLike<number>, n: number): Float32Array {
  const out = new Float32Array(row.length * n);
  for (let i = 0; i < n; i++) out.set(row, i * row.length);
  return out;
}

/** The request's mode. */
export function modeOf(request: FoleyRequest): Mode {
  return request.source ? 'video' : request.still ? 'image' : 'text';
}

/** The picture's frames for the encoders (none for text alone). */
export async function decodePicture(o: {
  ffmpeg: string;
  request: FoleyRequest;
  durationS: number;
  picture: PictureStream;
  syncSide: number;
}): Promise<DecodedFrames | undefined> {
  const { request } = o;
  const common = {
    ffmpeg: o.ffmpeg,
    workDir: request.workDir,
    picture: o.picture,
    syncSide: o.syncSide,
    signal: request.signal,
    timeoutMs: request.timeoutMs,
  };
  if (request.source) return decodeVideoFrames({ ...common, file: request.source.file, durationS: o.durationS });
  if (request.still) return decodeStillFrame({ ...common, ...request.still });
  return undefined;
}

/** The seconds of sound to make: the picture's (to `duration`), or `duration` (default `defaultS`). */
export async function lengthOf(request: FoleyRequest, defaultS: number): Promise<number> {
  if (!request.source) return request.duration ?? defaultS;
  const media = await request.source.media;
  const d = media.duration ?? request.duration ?? 0;
  return request.duration === undefined ? d : Math.min(d, request.duration);
}

export interface WindowConditions {
  clip: Float32Array;
  sync: Float32Array;
}

const addTime = (job: EngineJob, name: string, since: number): void => {
  job.timings[name] = (job.timings[name] ?? 0) + Math.round(performance.now() - since);
};

/** The picture's conditions for a window at `startS`: real features where there are frames, the learned empty ones elsewhere. */
export async function pictureConditions(o: {
  facts: PictureFacts;
  synchformer: Session;
  mode: Mode;
  frames: DecodedFrames | undefined;
  images: ClipFrameFeatures | undefined;
  startS: number;
  signal: AbortSignal;
  job: EngineJob;
}): Promise<WindowConditions> {
  const { facts } = o;
  const clip = tiled(facts.empty.clip, facts.clip.frames);
  const sync = tiled(facts.empty.sync, facts.sync.tokens);
  if (o.mode === 'text' || !o.images) return { clip, sync };
  const t0 = performance.now();
  if (o.mode === 'image') {
    const [still] = await o.images.range(0, 1, o.signal);
    addTime(o.job, 'clip_image', t0);
    return { clip: tiled(still!, facts.clip.frames), sync };
  }
  const feats = await o.images.range(Math.round(o.startS * CLIP_FPS), facts.clip.frames, o.signal);
  for (const [i, f] of feats.entries()) clip.set(f, i * facts.clip.dim);
  addTime(o.job, 'clip_image', t0);
  const t1 = performance.now();
  const segments = await syncFeatures({
    session: o.synchformer,
    frames: o.frames!.sync!,
    from: Math.round(o.startS * SYNC_FPS),
    segments: facts.sync.tokens / SYNC_STRIDE,
    segmentFrames: facts.sync.segmentFrames,
    signal: o.signal,
  });
  for (const [k, f] of segments.entries()) if (f) sync.set(f, k * SYNC_STRIDE * facts.sync.dim);
  addTime(o.job, 'synchformer', t1);
  return { clip, sync };
}

/** Two arrays end to end (the two rows of a batch of 2). */
export function join2(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The sessions with every run's time added to `timings.model_runs` (and counted in `model_run_count`):
 * the job's time over that sum is the worker's own overhead, which the bench reports.
 */
export function timedSessions<K extends string>(sessions: Readonly<Record<K, Session>>, job: EngineJob): Record<K, Session> {
  const wrap = (s: Session): Session =>
    timedSession(s, (ms) => {
      job.timings.model_runs = (job.timings.model_runs ?? 0) + ms;
      job.timings.model_run_count = (job.timings.model_run_count ?? 0) + 1;
    });
  return Object.fromEntries(Object.entries<Session>(sessions).map(([k, v]) => [k, wrap(v)])) as Record<K, Session>;
}

/** One window's sound from its start noise: what each network does between the picture and the crossfade. */
export type WindowRenderer = (o: {
  index: number;
  window: Window;
  x0: Float32Array;
  onStep: (done: number) => void;
}) => Promise<Float32Array>;

/**
 * The track from each window's sound: laid in order with an equal-power crossfade over the overlap,
 * then the WAV (float, mono, at the network's rate) in the job's folder.
 */
export async function layTrack(o: {
  windows: readonly Window[];
  sampleRate: number;
  durationS: number;
  request: FoleyRequest;
  job: EngineJob;
  audio: (index: number) => Promise<Float32Array>;
}): Promise<{ wav: string; durationS: number }> {
  const { windows, sampleRate } = o;
  const track = new Float32Array(Math.max(1, Math.round(o.durationS * sampleRate)));
  for (const [index, window] of windows.entries()) {
    o.request.signal.throwIfAborted();
    const audio = await o.audio(index);
    layWindow(track, {
      audio,
      startSample: Math.round(window.start * sampleRate),
      fadeSamples: overlapSamples(windows, index, sampleRate),
    });
  }
  const wav = join(o.request.workDir, 'learned.wav');
  const t = performance.now();
  await writeFile(wav, encodeWavFloat32([track], sampleRate));
  o.job.mark('write', t);
  return { wav, durationS: track.length / sampleRate };
}

/**
 * The track, window by window: each window's noise from (seed, index), its sound from `render`,
 * progress as steps done over all steps, laid by {@link layTrack}.
 */
export async function renderWindows(o: {
  durationS: number;
  windowS: number;
  sampleRate: number;
  latentSize: number;
  request: FoleyRequest;
  steps: number;
  job: EngineJob;
  render: WindowRenderer;
}): Promise<{ wav: string; durationS: number; windows: Window[] }> {
  const { request } = o;
  const windows = planWindows(o.durationS, o.windowS);
  const totalSteps = windows.length * o.steps;
  const track = await layTrack({
    windows,
    sampleRate: o.sampleRate,
    durationS: o.durationS,
    request,
    job: o.job,
    audio: (index) => {
      const x0 = gaussianNoise({ seed: request.seed, stream: index, count: o.latentSize });
      const onStep = (done: number): void =>
        request.onProgress({ stage: 'sampling', percent: Math.round((100 * (index * o.steps + done)) / totalSteps) });
      return o.render({ index, window: windows[index]!, x0, onStep });
    },
  });
  return { ...track, windows };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The result's `windows`: where each window's sound sits in the track (s). */
export function windowFields(windows: readonly Window[]): { start: number; end: number }[] {
  return windows.map((w) => ({ start: round3(w.start), end: round3(w.start + w.length) }));
}

/** A loaded network as every learned engine keeps it: its name, sessions and the CFG pair's state. */
export interface LearnedRuntime<K extends string> {
  engine: string;
  sessions: Record<K, Session>;
  flowBatch: 1 | 2;
}

/**
 * Runs one job on a copy of the runtime whose sessions are timed (timings.model_runs), and keeps
 * what the job learned about memory (the CFG pair split after running out of it) for later jobs.
 */
export async function withTimedRuntime<K extends string, R extends LearnedRuntime<K>, T>(
  shared: R,
  job: EngineJob,
  run: (rt: R) => Promise<T>,
): Promise<T> {
  const rt: R = { ...shared, sessions: timedSessions(shared.sessions, job) };
  try {
    return await run(rt);
  } finally {
    shared.flowBatch = rt.flowBatch;
    if (job.timings.model_runs !== undefined) job.timings.model_runs = Math.round(job.timings.model_runs);
  }
}

/** A learned engine's render: the unmastered track and the result fields every learned engine gives. */
export function learnedRender(o: {
  rt: Pick<LearnedRuntime<string>, 'engine' | 'flowBatch'>;
  /** Where the flow graph ran. */
  provider: string;
  request: FoleyRequest;
  settings: { steps: number; cfgStrength: number };
  mode: Mode;
  track: { wav: string; durationS: number; windows: readonly Window[] };
  sampleRate: number;
}): FoleyRender {
  const { rt, settings } = o;
  return {
    track: { wav: o.track.wav, durationS: o.track.durationS, mastered: false },
    fields: {
      variant: rt.engine,
      mode: o.mode,
      seed: o.request.seed,
      steps: settings.steps,
      cfg_strength: settings.cfgStrength,
      windows: windowFields(o.track.windows),
      sample_rate: o.sampleRate,
      provider: o.provider,
      ...(rt.flowBatch === 1 ? { cfg_batched: false } : {}),
    },
  };
}
