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

/**
 * The licences of the weights this worker can run, for /health and every result's metadata: one
 * entry per licence with the engines under it (an engine is named once, whatever tasks run it).
 * Engines without Hub weights are built in and not listed.
 */
export function engineLicences(): { licence: string; engines: string[] }[] {
  const byLicence = new Map<string, Set<string>>();
  for (const t of Object.values(TASKS)) {
    for (const e of t.engines) {
      if (e.licence === undefined) continue;
      byLicence.set(e.licence, (byLicence.get(e.licence) ?? new Set()).add(e.name));
    }
  }
  return [...byLicence].map(([licence, engines]) => ({ licence, engines: [...engines] }));
}
