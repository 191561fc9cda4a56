/**
 * @module The playground's calls to the worker it was served by (`/schema.json`, `/health`,
 * `/run`, `/status`, `/cancel`), with the local API key when the worker asks for one. A refused
 * request comes back as the same coded error a failed job carries.
 */
import { parseWorkerError, type PayloadSchema, type WorkerErrorBody } from './form-model.js';

const KEY_STORE = 'foley-worker.local-api-key';

/** The worker answered 401: the page asks for LOCAL_API_KEY. */
export class KeyNeeded extends Error {
  override name = 'KeyNeeded';
}

/** A request the worker refused, with its coded body. */
export class RequestRefused extends Error {
  override name = 'RequestRefused';
  constructor(
    readonly status: number,
    readonly body: WorkerErrorBody,
  ) {
    super(`${body.code}: ${body.message}`);
  }
}

export interface JobStatus {
  id: string;
  status: 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';
  delayTime: number;
  executionTime: number;
  output?: unknown;
  error?: string;
}

/** What the worker accepts (its /health `worker.limits`). */
export interface WorkerLimits {
  max_input_bytes?: number;
  max_base64_bytes?: number;
  max_duration_s?: number;
  max_pixels?: number;
}

export const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

export function storedKey(): string {
  try {
    return sessionStorage.getItem(KEY_STORE) ?? '';
  } catch {
    return '';
  }
}

export function storeKey(key: string): void {
  try {
    sessionStorage.setItem(KEY_STORE, key);
  } catch {
    // storage off (private mode): the key lasts as long as the page
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const key = storedKey();
  const res = await fetch(path, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status === 401) throw new KeyNeeded('this worker needs its LOCAL_API_KEY');
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      const parsed = JSON.parse(text) as { error?: unknown };
      if (typeof parsed.error === 'string') message = parsed.error;
    } catch {
      // a plain-text answer
    }
    throw new RequestRefused(res.status, parseWorkerError(message));
  }
  return JSON.parse(text) as T;
}

export const api = {
  schema: () => call<PayloadSchema>('GET', '/schema.json'),
  health: () => call<{ worker?: { tier?: string; provider?: string; limits?: WorkerLimits } }>('GET', '/health'),
  run: (input: unknown) => call<{ id: string; status: string }>('POST', '/run', { input }),
  status: (id: string) => call<JobStatus>('GET', `/status/${encodeURIComponent(id)}`),
  cancel: (id: string) => call<{ id: string; status: string }>('POST', `/cancel/${encodeURIComponent(id)}`),
};
