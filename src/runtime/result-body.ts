/**
 * @module Serializes a job's final result for job-done and enforces the platform's size limit.
 * job-done refuses a body of about 20 MB with a 400, after which the client sees COMPLETED with no
 * output (runpod-python #309, worker-comfyui #129: 19.5 MB refused): an oversize result is replaced
 * here by a coded RESULT_TOO_LARGE error, which the client does see.
 */
import { WorkerError, toJobErrorString } from '../errors.js';
import type { JobResult } from './types.js';

/** Default ceiling for a serialized result, in bytes: under the ~19.5 MB seen refused. */
export const DEFAULT_MAX_RESULT_BYTES = 18_000_000;

export interface ResultBody {
  /** JSON text to POST. */
  text: string;
  /** True when the result failed (handler error or size guard). */
  failed: boolean;
  /** Set when the original result was replaced because of its size. */
  oversizeBytes?: number;
}

/** `{output}` or `{error}` as JSON text; an unserializable or oversize output becomes a coded error. */
export function resultBody(result: JobResult, maxBytes: number = DEFAULT_MAX_RESULT_BYTES): ResultBody {
  if ('error' in result) return { text: JSON.stringify({ error: result.error }), failed: true };
  let text: string;
  try {
    // `undefined` output (a handler that returned nothing) goes out as null, like runpod-python's None.
    text = JSON.stringify({ output: result.output ?? null });
  } catch (cause) {
    const err = new WorkerError('INTERNAL', `the handler's output is not serializable as JSON: ${(cause as Error).message}`, { cause });
    return { text: JSON.stringify({ error: toJobErrorString(err) }), failed: true };
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return { text, failed: false };
  const err = new WorkerError(
    'RESULT_TOO_LARGE',
    `the result is ${bytes} bytes of JSON, over the ${maxBytes}-byte limit the platform accepts (MAX_RESULT_BYTES); ` +
      'return a URL or a path instead of inline data',
    { details: { bytes, limit: maxBytes } },
  );
  return { text: JSON.stringify({ error: toJobErrorString(err) }), failed: true, oversizeBytes: bytes };
}
