/**
 * @module The `--test_output` comparison: every key given in the expected object must deep-equal
 * the same key of the output, and keys it leaves out are ignored (so a test can skip timings,
 * seeds or base64 data). A non-object expectation must deep-equal the whole output.
 */
import { isDeepStrictEqual } from 'node:util';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The top-level keys that differ (`[]` when the output matches; `['']` when the whole value differs). */
export function outputMismatches(expected: unknown, actual: unknown): string[] {
  if (!isPlainObject(expected) || !isPlainObject(actual)) return isDeepStrictEqual(expected, actual) ? [] : [''];
  return Object.keys(expected).filter((k) => !(k in actual) || !isDeepStrictEqual(expected[k], actual[k]));
}
