/**
 * @module The one place that joins the RunPod side and the tasks: validate the payload, pick the
 * task from the registry, and run it inside the job frame. Each task's runner is built once, so
 * what it keeps between jobs (ONNX sessions, the synthesis thread) outlives a job.
 */
import { cpuInference, type WorkerInference } from '../inference/worker-inference.js';
import type { Handler } from '../runtime/types.js';
import { TASK_NAMES, taskDefinition, type JobInput, type TaskName } from '../tasks/registry.js';
import { taskConfig, type TaskDeps, type TaskRunner } from '../job/task.js';
import { runInFrame, type FrameDeps } from './frame.js';
import { parseJobInput } from './input.js';

/** `inference` defaults to warm-up's (`models`), else a CPU stand-in (worker-inference.ts). */
export type HandlerDeps = Omit<FrameDeps, 'inference'> & { inference?: WorkerInference | undefined };

/** The RunPod handler for every task in the registry. */
export function createHandler(handlerDeps: HandlerDeps): Handler {
  const deps: FrameDeps = {
    ...handlerDeps,
    inference: handlerDeps.inference ?? handlerDeps.models ?? cpuInference({ config: handlerDeps.config }),
  };
  // Tasks get their part of the configuration: no bucket, key or token reaches a task.
  const { describeWorker: _describe, ...shared } = deps;
  const taskDeps: TaskDeps = { ...shared, config: taskConfig(deps.config) };
  const runners = new Map<TaskName, TaskRunner<JobInput>>(TASK_NAMES.map((name) => [name, taskDefinition(name).create(taskDeps)]));
  return async (job, ctx) => {
    const input = parseJobInput(job.input);
    return runInFrame(runners.get(input.task as TaskName) as TaskRunner<JobInput>, input, ctx, deps);
  };
}
