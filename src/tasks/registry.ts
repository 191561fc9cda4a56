/**
 * @module The task table (transformers.js keeps its SUPPORTED_TASKS the same way): task → payload
 * schema → engines → the models each engine needs → how it runs. A new task is one folder under
 * src/tasks/ and one line here; the runtime never changes for it.
 */
import type { z } from 'zod';
import { animateTask } from './animate/task.js';
import { foleyTask } from './foley/task.js';
import { interpolateTask } from './interpolate/task.js';
import { soundTask } from './sound/task.js';
import type { TaskDefinition } from '../job/task.js';
import { upscaleTask } from './upscale/task.js';

export const TASKS = {
  foley: foleyTask,
  upscale: upscaleTask,
  animate: animateTask,
  interpolate: interpolateTask,
  sound: soundTask,
} as const;

export type TaskName = keyof typeof TASKS;

/** A validated payload of any task (discriminated by `task`). */
export type JobInput = { [K in TaskName]: z.output<(typeof TASKS)[K]['schema']> }[TaskName];

export const TASK_NAMES = Object.keys(TASKS) as TaskName[];

export function taskDefinition(name: TaskName): TaskDefinition<JobInput> {
  return TASKS[name] as unknown as TaskDefinition<JobInput>;
}

/** Engine → the Hub repos it needs, over every task (for ModelRegistry.forEngine). */
export function engineModels(): Record<string, readonly string[]> {
  return Object.fromEntries(Object.values(TASKS).flatMap((t) => t.engines.map((e) => [e.name, e.models] as const)));
}

/** Every task's engines with their weights' licences, for /health: the operator's choice, said plainly. */
export function engineLicences(): { task: string; engine: string; licence: string }[] {
  return Object.values(TASKS).flatMap((t) =>
    t.engines.map((e) => ({
      task: t.name,
      engine: e.name,
      licence: e.licence ?? (e.models.length === 0 ? 'built in: no Hub weights' : 'the licence of the repo MODELS names'),
    })),
  );
}
