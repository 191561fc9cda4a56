/**
 * @module The payload as JSON Schema (`GET /schema.json` on the local API), made from the same
 * zod schemas the handler validates with, so a backend can check a payload before sending it and
 * the two cannot drift. One definition per task under `$defs`; the payload is one of them. What
 * zod's refinements check in code and JSON Schema can say too is added by hand: exactly one of
 * each source's fields (`video_*`, `image_*`, `audio_*`).
 */
import { z } from 'zod';
import { type SourceKind, sourceFields } from '../job/fields.js';
import { TASKS, type TaskName } from '../tasks/registry.js';

const SOURCES = { video: sourceFields('video'), image: sourceFields('image'), audio: sourceFields('audio') };

/**
 * `oneOf` one field of each source group the task has: exactly one of them, as the handler asks.
 * Kinds the task groups (Foley's video or still) share one `oneOf` over all their fields.
 */
function exactlyOneSource(properties: Record<string, unknown>, groups: readonly (readonly SourceKind[])[]): object[] {
  const present = (Object.keys(SOURCES) as SourceKind[]).filter((k) => SOURCES[k].every((f) => f in properties));
  const grouped = groups.map((g) => g.filter((k) => present.includes(k))).filter((g) => g.length > 0);
  const alone = present.filter((k) => !grouped.some((g) => g.includes(k))).map((k) => [k]);
  return [...grouped, ...alone].map((kinds) => ({ oneOf: kinds.flatMap((k) => SOURCES[k]).map((f) => ({ required: [f] })) }));
}

export function payloadJsonSchema(): object {
  const defs: Record<string, object> = {};
  for (const [name, task] of Object.entries(TASKS) as Array<[TaskName, (typeof TASKS)[TaskName]]>) {
    // `input`: the shape a client sends (defaults make fields optional), not the parsed one.
    const schema = z.toJSONSchema(task.schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown> & {
      properties?: Record<string, unknown>;
    };
    delete schema.$schema;
    const one = exactlyOneSource(schema.properties ?? {}, task.sourceGroups ?? []);
    defs[name] = { ...schema, title: `task: "${name}"`, description: task.description, ...(one.length > 0 ? { allOf: one } : {}) };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'foley-worker job input',
    description: 'The `input` of a job ({"input": …}). `task` picks the definition; without it the payload is a Foley job.',
    oneOf: Object.keys(defs).map((name) => ({ $ref: `#/$defs/${name}` })),
    $defs: defs,
  };
}
