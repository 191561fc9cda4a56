/**
 * @module One error base with a stable `code`, and the single mapping of any thrown value to the
 * wire shape a job fails with. Codes are part of the public API (docs/api.md, "Errors"): never
 * rename one, only add.
 */

/** Every code a job can fail with. Stable: clients switch on these. */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'INPUT_NOT_FOUND',
  'URL_NOT_ALLOWED',
  'INPUT_TOO_LARGE',
  'DOWNLOAD_FAILED',
  'MEDIA_UNREADABLE',
  'NO_VIDEO_STREAM',
  'VIDEO_TOO_LONG',
  'VIDEO_TOO_LARGE',
  'ENGINE_NOT_AVAILABLE',
  'FFMPEG_NOT_FOUND',
  'FFMPEG_FAILED',
  'OUTPUT_TOO_LARGE',
  'UPLOAD_FAILED',
  'CANCELLED',
  'TIMED_OUT',
  'INTERNAL',
  'RESULT_TOO_LARGE',
  'MODEL_NOT_AVAILABLE',
  'MODEL_DOWNLOAD_FAILED',
  'MODEL_CORRUPT',
  'MODEL_LOCK_TIMEOUT',
  'MODEL_LOAD_FAILED',
  /** A weights file (a torch.save pickle) names code outside the allow-list (os.system, builtins.eval, …); nothing of it was run. */
  'MODEL_UNSAFE',
  'OUT_OF_MEMORY',
  /** A bad environment variable or command-line flag: the worker's setup, not the job's payload (that is INVALID_INPUT). */
  'CONFIG_INVALID',
  /** The local API could not listen: another process already has `--rp_api_host`:`--rp_api_port`. */
  'PORT_IN_USE',
  /** Local API requests (not jobs): no or a wrong LOCAL_API_KEY (401). */
  'UNAUTHORIZED',
  /** Local API: no such route, or a job id unknown or expired (404). */
  'NOT_FOUND',
  /** Local API: the route does not take this method (405; `details.allow`). */
  'METHOD_NOT_ALLOWED',
  /** Local API: the queue is full (429). */
  'QUEUE_FULL',
  /** Local API: `/retry` of a job that did not fail, time out or get cancelled (400). */
  'NOT_RETRYABLE',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface WorkerErrorOptions {
  cause?: unknown;
  /** Machine-readable context sent to the client (never secrets, never file contents). */
  details?: unknown;
  /** True when the same job may succeed if simply tried again (network, busy disk). */
  retryable?: boolean;
}

export class WorkerError extends Error {
  override name = 'WorkerError';
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: WorkerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

/**
 * Brand check that also works across realms and duplicated module copies (ky's type guards do the
 * same): an object with our name and a known code is ours.
 */
export function isWorkerError(value: unknown): value is WorkerError {
  if (value instanceof WorkerError) return true;
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; code?: unknown };
  return v.name === 'WorkerError' && (ERROR_CODES as readonly unknown[]).includes(v.code);
}

/** The error of a job whose AbortSignal fired; `cause` is the signal's reason or what it broke. */
export function cancelledError(cause?: unknown): WorkerError {
  return new WorkerError('CANCELLED', 'the job was cancelled', { cause });
}

/** Node's `listen` failing with EADDRINUSE (the error a second server on a used port gets). */
function addressInUse(value: unknown): value is Error & { address?: string; port?: number } {
  return value instanceof Error && (value as { code?: unknown }).code === 'EADDRINUSE';
}

/** Any thrown value → a WorkerError; unknown failures become INTERNAL with the original as cause. */
export function coerceError(value: unknown): WorkerError {
  if (isWorkerError(value)) return value;
  if (value instanceof Error && value.name === 'AbortError') {
    return cancelledError(value);
  }
  if (addressInUse(value)) {
    const where = value.port === undefined ? 'the local API port' : `${value.address ?? ''}:${value.port}`;
    return new WorkerError('PORT_IN_USE', `cannot listen on ${where}: the port is already in use (choose another with --rp_api_port)`, {
      cause: value,
      ...(value.port === undefined ? {} : { details: { host: value.address, port: value.port } }),
    });
  }
  const message = value instanceof Error ? value.message : String(value);
  return new WorkerError('INTERNAL', `internal error: ${message}`, { cause: value });
}

/**
 * Whether the caller may succeed by sending the same job again (later, or to another worker):
 * one decision per code, so adding a code forces one. `'if-transient'` defers to the throw site's
 * own `retryable` (set for network errors, 5xx and 429; not for a 404 or a refused credential).
 */
const RETRY_BY_CODE: Record<ErrorCode, boolean | 'if-transient'> = {
  INVALID_INPUT: false,
  INPUT_NOT_FOUND: false,
  URL_NOT_ALLOWED: false,
  INPUT_TOO_LARGE: false,
  DOWNLOAD_FAILED: 'if-transient',
  MEDIA_UNREADABLE: false,
  NO_VIDEO_STREAM: false,
  VIDEO_TOO_LONG: false,
  VIDEO_TOO_LARGE: false,
  ENGINE_NOT_AVAILABLE: false,
  FFMPEG_NOT_FOUND: false,
  FFMPEG_FAILED: false,
  OUTPUT_TOO_LARGE: false,
  UPLOAD_FAILED: 'if-transient',
  // Cancelled by /cancel or by a shutdown: the job itself was fine.
  CANCELLED: true,
  // A busy worker or a slow source may be faster next time (or give a larger executionTimeout).
  TIMED_OUT: true,
  // An unknown failure: like HTTP 500, worth one more try.
  INTERNAL: true,
  RESULT_TOO_LARGE: false,
  MODEL_NOT_AVAILABLE: false,
  MODEL_DOWNLOAD_FAILED: 'if-transient',
  // Re-downloaded on the next warm-up or job.
  MODEL_CORRUPT: true,
  MODEL_LOCK_TIMEOUT: true,
  MODEL_LOAD_FAILED: false,
  // The same file is refused every time: the operator must replace it.
  MODEL_UNSAFE: false,
  // Memory held by other jobs is freed when they end; a worker on a larger GPU may take it.
  OUT_OF_MEMORY: true,
  CONFIG_INVALID: false,
  PORT_IN_USE: false,
  UNAUTHORIZED: false,
  NOT_FOUND: false,
  METHOD_NOT_ALLOWED: false,
  // The queue drains: the same request later, or to another worker, may be taken.
  QUEUE_FULL: true,
  NOT_RETRYABLE: false,
};

/**
 * The codes that mean the request itself was wrong (the payload, or the media it named): the
 * client's to fix, nothing for the operator to look into. Logged at warn without a stack.
 */
const CLIENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_INPUT',
  'INPUT_NOT_FOUND',
  'URL_NOT_ALLOWED',
  'INPUT_TOO_LARGE',
  'MEDIA_UNREADABLE',
  'NO_VIDEO_STREAM',
  'VIDEO_TOO_LONG',
  'VIDEO_TOO_LARGE',
  'OUTPUT_TOO_LARGE',
  'RESULT_TOO_LARGE',
]);

/** Whether a code is the client's mistake (warn, no stack) rather than the worker's (error, stack). */
export function isClientError(code: ErrorCode): boolean {
  return CLIENT_CODES.has(code);
}

/** Whether sending the same job again may succeed (the `retryable` of the wire body). */
export function isRetryable(value: unknown): boolean {
  const err = coerceError(value);
  const rule = RETRY_BY_CODE[err.code];
  return rule === 'if-transient' ? err.retryable : rule;
}

/** The wire shape of a failed job's `error` field. */
export interface JobErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
  /** Whether sending the same job again may succeed (RETRY_BY_CODE). */
  retryable: boolean;
}

/**
 * Absolute paths → their base names (`/tmp/foley-job-x/in.mp4` → `in.mp4`): the caller needs to
 * know which file, not where this worker keeps it. URLs (`https://host/a/b`) are left alone.
 */
export function redactPaths(text: string): string {
  return text.replace(/(?<![\w:/.~-])\/(?:[^\s'"/]+\/)+([^\s'"/]*)/g, '$1');
}

/** What an FFMPEG_FAILED caller is shown of the details ffmpeg.ts records (all of it stays in the logs). */
interface FfmpegDetails {
  command?: unknown;
  stderr?: unknown;
  exitCode?: unknown;
  signal?: unknown;
}

/**
 * FFMPEG_FAILED details for the wire: which program, its exit code or signal, and the last few
 * lines of its stderr with paths cut to base names. Never the full command line (it holds the
 * worker's scratch paths and every option we pass); the logs keep that, under `err.details`.
 */
function publicFfmpegDetails(details: unknown): unknown {
  if (typeof details !== 'object' || details === null) return details;
  const { command, stderr, exitCode, signal, ...rest } = details as FfmpegDetails & Record<string, unknown>;
  const program = typeof command === 'string' ? (command.split(' ')[0] ?? '').split('/').pop() : undefined;
  const lines =
    typeof stderr === 'string'
      ? stderr
          .split(/\r?\n|\r/)
          .map((l) => l.trim())
          .filter(Boolean)
          .slice(-3)
      : [];
  return {
    ...rest,
    ...(program ? { program } : {}),
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(signal !== undefined ? { signal } : {}),
    ...(lines.length > 0 ? { stderr: redactPaths(lines.join('\n')) } : {}),
  };
}

/**
 * The one place an error becomes what the client sees. Following runpod-python's convention the
 * job's `error` is a JSON *string*; unlike it, no traceback goes out (stacks stay in our logs).
 * Logs record the WorkerError itself (`err`), so nothing trimmed here is lost to the operator.
 */
export function toJobErrorBody(value: unknown): JobErrorBody {
  const err = coerceError(value);
  const retryable = isRetryable(err);
  if (err.code === 'FFMPEG_FAILED') {
    const message = redactPaths(err.message);
    return err.details === undefined
      ? { code: err.code, message, retryable }
      : { code: err.code, message, details: publicFfmpegDetails(err.details), retryable };
  }
  return err.details === undefined
    ? { code: err.code, message: err.message, retryable }
    : { code: err.code, message: err.message, details: err.details, retryable };
}

export function toJobErrorString(value: unknown): string {
  return JSON.stringify(toJobErrorBody(value));
}
