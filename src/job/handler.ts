/**
 * @module The one place that joins the RunPod side and the tasks: validate the payload, pick the
 * task from the registry, and run it inside the job frame. Each task's runner is built once, so
 * what it keeps between jobs (ONNX sessions, the synthesis thread) outlives a job.
 */
import type { Handler } from '../runtime/types.js';
import { TASK_NAMES, taskDefinition, type JobInput, type TaskName } from '../tasks/registry.js';
import type { TaskRunner } from '../tasks/task.js';
import type { Logger } from 'pino';
import type { OrtRuntime } from '../inference/ort.js';
import { runInFrame, type FrameDeps } from './frame.js';
import { parseJobInput } from './input.js';

export interface HandlerDeps extends Omit<FrameDeps, 'ort'> {
  /** The worker's logger (for what is not a job's: the ONNX provider choice). */
  log?: Logger | undefined;
}

/** The RunPod handler for every task in the registry. */
export function createHandler(deps: HandlerDeps): Handler {
  // The warm-up's runtime, else one made on first use (onnxruntime-node loads only then).
  let runtime: Promise<OrtRuntime> | undefined;
  const ort = (): Promise<OrtRuntime> =>
    (runtime ??= deps.models
      ? Promise.resolve(deps.models.runtime)
      : import('../inference/ort.js').then(async ({ createOrtRuntime }) => {
          const { pino } = await import('pino');
          return createOrtRuntime({ log: deps.log ?? pino({ enabled: false }), ep: deps.config.models.executionProvider });
        }));
  const frameDeps: FrameDeps = { ...deps, ort };
  const runners = new Map<TaskName, TaskRunner<JobInput>>(TASK_NAMES.map((name) => [name, taskDefinition(name).create(frameDeps)]));
  return async (job, ctx) => {
    const input = parseJobInput(job.input);
    return runInFrame(runners.get(input.task as TaskName) as TaskRunner<JobInput>, input, ctx, frameDeps);
  };
}
