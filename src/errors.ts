/**
 * @module One error base with a stable `code`, and the single mapping of any thrown value to the
 * wire shape a job fails with. Codes are part of the public API (README, "Error codes"): never
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
  'OUT_OF_MEMORY',
  /** A bad environment variable or command-line flag: the worker's setup, not the job's payload (that is INVALID_INPUT). */
  'CONFIG_INVALID',
  /** The local API could not listen: another process already has `--rp_api_host`:`--rp_api_port`. */
  'PORT_IN_USE',
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

/** The wire shape of a failed job's `error` field. */
export interface JobErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
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
  const lines = typeof stderr === 'string' ? stderr.split(/\r?\n|\r/).map((l) => l.trim()).filter(Boolean).slice(-3) : [];
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
  if (err.code === 'FFMPEG_FAILED') {
    const body: JobErrorBody = { code: err.code, message: redactPaths(err.message) };
    return err.details === undefined ? body : { ...body, details: publicFfmpegDetails(err.details) };
  }
  return err.details === undefined
    ? { code: err.code, message: err.message }
    : { code: err.code, message: err.message, details: err.details };
}

export function toJobErrorString(value: unknown): string {
  return JSON.stringify(toJobErrorBody(value));
}
