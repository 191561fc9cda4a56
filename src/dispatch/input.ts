/**
 * @module The job payload (`input` of a RunPod job), validated once with the schema of the task it
 * names (`task`, default "foley"). Unknown fields are rejected by name, per task; every rejection
 * is INVALID_INPUT with the offending fields in `details`.
 */
import { WorkerError } from '../errors.js';
import { TASK_NAMES, taskDefinition, type JobInput, type TaskName } from '../tasks/registry.js';
import { describeValue, invalidInput, toFieldIssues } from '../util/field-issues.js';

export type { JobInput } from '../tasks/registry.js';

/** Validate a raw job input. Throws INVALID_INPUT naming each bad field. */
export function parseJobInput(raw: unknown): JobInput {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new WorkerError('INVALID_INPUT', 'input must be a JSON object', {
      details: { issues: [{ field: 'input', message: 'must be an object' }] },
    });
  }
  // Absent means foley; present, it must name a task (`task: null` is not "absent").
  const task = Object.hasOwn(raw, 'task') ? (raw as { task: unknown }).task : 'foley';
  if (typeof task !== 'string' || !(TASK_NAMES as string[]).includes(task)) {
    throw invalidInput([
      { field: 'task', message: `must be one of ${TASK_NAMES.map((t) => `"${t}"`).join(', ')} (got ${describeValue(task)})` },
    ]);
  }
  const r = taskDefinition(task as TaskName).schema.safeParse(raw);
  if (r.success) return r.data;
  throw invalidInput(toFieldIssues(r.error, raw));
}
