/**
 * @module The one way a zod failure becomes INVALID_INPUT naming each field, in the payload's own
 * words ("must be a number (got null)"), for the job payload and the local API's request body
 * alike. Knows zod and the error class, nothing of tasks.
 */
import type { z } from 'zod';
import { WorkerError } from '../errors.js';

export interface FieldIssue {
  field: string;
  message: string;
}

/** The value at `path` in the raw payload, and whether the key is there at all. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let cur: unknown = raw;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, key)) return { present: false, value: undefined };
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return { present: true, value: cur };
}

/** What JSON calls a value's type, for "got …" in a message. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'a fraction';
  return `a ${typeof value}`;
}

/**
 * A value as a message's "got …" shows it: a short string or number as itself (JSON), anything
 * else by its JSON type. Never more than 40 characters of what the client sent.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string' && value.length <= 40) return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  return jsonType(value);
}

const ZOD_TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

/**
 * zod issues → one message per field. zod 4 leaves `issue.input` out of its issues, so whether a
 * field is missing ("is required") or present with the wrong type ("must be a number…") is read
 * from the raw payload itself. Our schemas' own messages win; zod's generic "Invalid input:
 * expected X, received Y" becomes "must be X (got Y)".
 */
export function toFieldIssues(error: z.ZodError, raw: unknown): FieldIssue[] {
  // zod 4 goes on checking a value's size after its type failed ("expected array to have >=1
  // items" for a string field sent []): the type is what the client needs to hear.
  const wrongType = new Set(error.issues.filter((i) => i.code === 'invalid_type').map((i) => i.path.map(String).join('.')));
  return error.issues.flatMap((issue): FieldIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: key, message: 'unknown field' }));
    }
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'input';
    const zods = /^(Invalid|Too (big|small))/.test(issue.message);
    if ((issue.code === 'too_big' || issue.code === 'too_small') && wrongType.has(issue.path.map(String).join('.'))) return [];
    if ((issue.code === 'too_big' || issue.code === 'too_small') && zods) return [{ field, message: sizeMessage(issue) }];
    if (issue.code === 'invalid_value' && zods) {
      // zod's "Invalid input: expected \"foley\"" (a literal or a closed set with no message of ours).
      const want = issue.values.map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v))).join(', ');
      return [
        {
          field,
          message: `must be ${issue.values.length > 1 ? 'one of ' : ''}${want} (got ${describeValue(valueAt(raw, issue.path).value)})`,
        },
      ];
    }
    if (issue.code !== 'invalid_type') return [{ field, message: issue.message }];
    const at = valueAt(raw, issue.path);
    if (!at.present || at.value === undefined) return [{ field, message: 'is required' }];
    if (!issue.message.startsWith('Invalid input:')) return [{ field, message: issue.message }];
    const want = ZOD_TYPE_NAMES[issue.expected] ?? `of type ${issue.expected}`;
    return [{ field, message: `must be ${want} (got ${jsonType(at.value)})` }];
  });
}

/** zod's "Too big: expected string to have <=4096 characters" in the payload's own words. */
function sizeMessage(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall): string {
  const big = issue.code === 'too_big';
  const bound = Number(big ? (issue as z.core.$ZodIssueTooBig).maximum : (issue as z.core.$ZodIssueTooSmall).minimum);
  const most = big ? 'at most' : 'at least';
  if (issue.origin === 'string') return `must be ${most} ${bound} characters long`;
  if (issue.origin === 'array' || issue.origin === 'set') return `must have ${most} ${bound} items`;
  const strict = issue.inclusive === false;
  return `must be ${strict ? (big ? 'less than' : 'greater than') : most} ${bound}`;
}

export function invalidInput(issues: FieldIssue[]): WorkerError {
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  return new WorkerError('INVALID_INPUT', `invalid input: ${summary}`, { details: { issues } });
}
