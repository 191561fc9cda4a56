/**
 * @module `task: "sound"`: a prompt in, a sound out (MossSFX-style text-to-audio), through the
 * Foley engines in text-only mode — a learned engine conditioned on the prompt with the learned
 * "no picture" features. The built-in engine follows a picture and cannot; `auto` picks the first
 * learned engine this worker has. Mastered and delivered as every Foley track is.
 */
import { WorkerError } from '../../errors.js';
import type { TaskDefinition, TaskDeps, TaskRunner } from '../../job/task.js';
import { FOLEY_ENGINES } from '../../pipelines/foley/engines/index.js';
import { chooseEngine, loadChoice, LoadedEngines } from '../../pipelines/foley/engines/select.js';
import { randomSeed } from '../../pipelines/foley/rng.js';
import { wavIsResult } from '../foley/deliver-track.js';
import { renderPictureless } from '../foley/pictureless.js';
import { skippedWarning } from '../foley/task.js';
import { SoundInputSchema, type SoundInput } from './input.js';

/** Engines that make sound from words alone: those with weights. */
const SOUND_ENGINES = FOLEY_ENGINES.filter((e) => e.models.length > 0);

export function createSoundRunner(deps: TaskDeps): TaskRunner<SoundInput> {
  const loaded = new LoadedEngines(deps);
  return async (input, job) => {
    const { config } = deps;
    if (input.duration > config.limits.maxDurationS) {
      throw new WorkerError(
        'INVALID_INPUT',
        `duration: must be at most ${config.limits.maxDurationS} seconds on this worker (MAX_DURATION_S)`,
        {
          details: { field: 'duration', max: config.limits.maxDurationS },
        },
      );
    }
    if (input.engine === 'procedural') {
      throw new WorkerError('ENGINE_NOT_AVAILABLE', 'engine: "procedural" follows a picture and cannot make a sound from a prompt alone', {
        details: { field: 'engine', engine: 'procedural' },
      });
    }
    const choice = chooseEngine(input.engine, SOUND_ENGINES, deps);
    const ready = loadChoice(choice, { auto: input.engine === 'auto', engines: SOUND_ENGINES, deps, loaded });
    ready.catch(() => undefined);
    const format = input.output_format;
    return renderPictureless({
      ready,
      request: {
        prompt: input.prompt,
        negativePrompt: input.negative_prompt,
        seed: input.seed ?? randomSeed(),
        duration: input.duration,
        sampling: { steps: input.steps, cfgStrength: input.cfg_strength },
        output: { mode: 'replace', sampleFormat: wavIsResult(format, 'replace') ? 's16' : 'f32', aac: undefined },
        workDir: job.workDir,
        signal: job.ctx.signal,
        timeoutMs: config.ffmpegTimeoutMs,
        limits: { maxFrames: config.limits.maxFrames, maxTimeS: config.limits.maxDurationS },
        onProgress: (p) => job.ctx.progress({ stage: p.stage, percent: p.percent }),
        log: job.ctx.log,
      },
      format,
      job,
      deps,
      skippedWarning,
    });
  };
}

export const soundTask: TaskDefinition<SoundInput> = {
  name: 'sound',
  description: 'a prompt in, a sound out (learned engines only)',
  schema: SoundInputSchema,
  engines: SOUND_ENGINES.map((e) => ({ name: e.name, models: e.models, description: e.description, licence: e.licence })),
  create: (deps) => createSoundRunner(deps),
};
