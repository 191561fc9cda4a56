/**
 * @module `task: "foley"`: the video in, a synchronized sound track out (muxed into the video, or
 * the audio alone). The runner is a sequence: pick the engine (`engine`; `auto` = the best
 * available) → prepare the source → the senses (vision, speech) → the engine renders a track →
 * the track is mastered and delivered (deliver-track.ts) → the result. The engines themselves are
 * src/pipelines/foley/engines/ (one folder each, one list).
 */
import type { Logger } from 'pino';
import { WorkerError } from '../../errors.js';
import { prepareImage } from '../../job/image-input.js';
import { prepareVideo } from '../../job/video-input.js';
import type { FoleyEngine, FoleyRequest } from '../../pipelines/foley/engines/engine.js';
import { FOLEY_ENGINES } from '../../pipelines/foley/engines/index.js';
import {
  checkEngineModels,
  chooseEngine,
  loadChoice,
  LoadedEngines,
  preferenceOrder,
  type SkippedEngine,
} from '../../pipelines/foley/engines/select.js';
import { randomSeed } from '../../pipelines/foley/rng.js';
import type { TaskDefinition, TaskDeps, TaskRunner } from '../../job/task.js';
import { aacAsIs, deliverTrack, wavIsResult } from './deliver-track.js';
import { FoleyInputSchema, type FoleyInput } from './input.js';
import { listen } from './listen.js';
import { renderPictureless } from './pictureless.js';
import { createFoleySenses } from './senses.js';

export { onPictureClock } from './listen.js';

const MIME = { mp4: 'video/mp4', wav: 'audio/wav', flac: 'audio/flac', m4a: 'audio/mp4' } as const;

const round2 = (x: number): number => Math.round(x * 100) / 100;

export function skippedWarning(skipped: readonly SkippedEngine[], ran: string): string {
  return `engine "auto": ${skipped.map((s) => `${s.name} is not available (${s.reason})`).join('; ')}; ${ran} ran instead`;
}

export interface FoleyRunnerOptions {
  /** The engines, best first (default: the worker's, FOLEY_ENGINES). */
  engines?: readonly FoleyEngine[];
  /** Where the start-up check of the engines' models is reported (default: deps.log). */
  log?: Logger | undefined;
}

/**
 * The Foley runner over a list of engines. At start it checks each engine's declared models
 * against MODELS and the registry (a line in the log per engine left unavailable) and starts
 * loading the available ones.
 */
export function createFoleyRunner(deps: TaskDeps, o: FoleyRunnerOptions = {}): TaskRunner<FoleyInput> {
  const engines = o.engines ?? FOLEY_ENGINES;
  const log = o.log ?? deps.log;
  for (const problem of checkEngineModels(engines, {
    specs: deps.config.models.specs,
    registry: deps.models?.registry,
    wanted: deps.config.models.foleyEngine,
  })) {
    log?.warn({ task: 'foley' }, problem);
  }
  const loaded = new LoadedEngines(deps);
  // Loaded now: the engine `auto` would run (FOLEY_ENGINE's, converting its weights on the first
  // start) and every engine without weights; other learned networks load when a job names them.
  const available = preferenceOrder(engines, deps).filter((e) => e.available(deps) === true);
  for (const engine of available.filter((e, i) => i === 0 || e.models.length === 0)) {
    loaded
      .get(engine)
      .catch((e: unknown) => log?.warn({ err: e, engine: engine.name }, 'engine failed to load at start-up; jobs will try again'));
  }
  const senses = createFoleySenses(deps);
  return async (input, job) => {
    const { config } = deps;
    const { ctx, warnings } = job;
    const still = input.image_url !== undefined || input.image_base64 !== undefined || input.image_path !== undefined;
    // A still is sound for a picture that does not move: only a learned engine makes it.
    const pool = still ? engines.filter((e) => e.models.length > 0) : engines;
    if (still && input.engine === 'procedural') {
      throw new WorkerError(
        'ENGINE_NOT_AVAILABLE',
        'engine: "procedural" follows motion and needs a video; a still needs a learned engine',
        {
          details: { field: 'engine', engine: 'procedural' },
        },
      );
    }
    // The engine is settled before anything is fetched: a name this worker cannot run costs nothing.
    const choice = chooseEngine(input.engine, pool, deps);
    const ready = loadChoice(choice, { auto: input.engine === 'auto', engines: pool, deps, loaded });
    ready.catch(() => undefined);
    const bins = deps.binaries();
    const seed = input.seed ?? randomSeed();
    const format = input.output_format;
    const output: FoleyRequest['output'] = {
      mode: input.audio_mode,
      // A WAV of the new track alone is delivered as the engine writes it.
      sampleFormat: wavIsResult(format, input.audio_mode) ? 's16' : 'f32',
      aac: aacAsIs(format, input.audio_mode) ? { ffmpeg: bins.ffmpeg, timeoutMs: config.ffmpegTimeoutMs } : undefined,
    };
    const common = {
      prompt: input.prompt,
      negativePrompt: input.negative_prompt,
      seed,
      duration: input.duration,
      sampling: { steps: input.steps, cfgStrength: input.cfg_strength },
      workDir: job.workDir,
      signal: ctx.signal,
      timeoutMs: config.ffmpegTimeoutMs,
      limits: { maxFrames: config.limits.maxFrames, maxTimeS: config.limits.maxDurationS },
      onProgress: (p: { stage: string; percent: number }) => ctx.progress({ stage: p.stage, percent: p.percent }),
      log: ctx.log,
    };
    if (still) {
      if (input.audio_mode === 'mix') warnings.push('audio_mode "mix": a still has no audio to mix with, so the new track is alone');
      const image = await prepareImage(input, job, deps);
      return renderPictureless({ ready, request: { ...common, output }, format, job, deps, skippedWarning, still: image });
    }
    // The engine may start decoding at once; the probe runs alongside and stops it with its error.
    const { file, media } = await prepareVideo(input, job, deps, { probeAlongside: true });
    const heard = await listen({
      senses,
      // What the vision models see steers the procedural engine only; a learned engine watches for itself.
      watching: input.vision && config.models.foleyVision && choice.engine.models.length === 0,
      pose: input.pose,
      source: { file, media },
      maxSeconds: input.duration,
      ffmpeg: bins.ffmpeg,
      timeoutMs: config.ffmpegTimeoutMs,
      job,
    });
    const { engine, loaded: renderer, skipped } = await ready;
    if (skipped.length > 0) warnings.push(skippedWarning(skipped, engine.name));
    const request: FoleyRequest = {
      ...common,
      source: { file, media },
      // Never rejects: a failed detection (or probe) is no speech here, and the job's error elsewhere.
      senses: {
        vision: heard.vision,
        speech: heard.speech?.then(
          (s) => s?.spans ?? [],
          () => [],
        ),
      },
      output,
    };
    const { track, fields } = await renderer.render(request, job);
    const probed = await media;
    const speech = await heard.speech;
    if (speech) job.timings.speech_model = Math.round(speech.modelMs);
    const spans = speech?.spans ?? [];
    if (input.audio_mode === 'replace' && spans.length > 0) {
      warnings.push(
        `the source has speech (${spans.length} span${spans.length === 1 ? '' : 's'}); audio_mode "replace" drops it: use "mix" to keep it`,
      );
    }
    const delivered = await deliverTrack({
      track,
      source: { file, media: probed },
      format,
      mode: input.audio_mode,
      speech: spans,
      workDir: job.workDir,
      run: { ffmpeg: bins.ffmpeg, signal: ctx.signal, timeoutMs: config.ffmpegTimeoutMs },
      job,
    });
    return {
      file: delivered.file,
      ext: format,
      mime: MIME[format],
      kind: format === 'mp4' ? 'video' : 'audio',
      duration: track.durationS,
      fields: {
        engine: engine.name,
        ...fields,
        ...(speech ? { speech: spans.map(([a, b]) => [round2(a), round2(b)]) } : {}),
        loudness: delivered.loudness,
      },
    };
  };
}

export const foleyTask: TaskDefinition<FoleyInput> = {
  name: 'foley',
  description: 'video in, synchronized sound effects out',
  schema: FoleyInputSchema,
  sourceGroups: [['video', 'image']],
  engines: FOLEY_ENGINES.map((e) => ({ name: e.name, models: e.models, description: e.description, licence: e.licence })),
  create: (deps) => createFoleyRunner(deps),
};
