/**
 * @module The pino root logger. Logs go to stderr so that stdout stays clean for the result JSON
 * of local test mode. Secrets are redacted by path as a second line of defence: the first is never
 * putting them in a log object.
 */
import { pino, type Logger } from 'pino';
import { coerceError, isClientError, toJobErrorBody, type WorkerError } from './errors.js';

export type { Logger };

export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
  'secretAccessKey',
  '*.secretAccessKey',
  'input.video_base64',
  '*.input.video_base64',
  'input.image_base64',
  '*.input.image_base64',
  'input.audio_base64',
  '*.input.audio_base64',
  'models.token',
  '*.models.token',
  'hub.accessToken',
  '*.hub.accessToken',
];

export interface LogOptions {
  level: string;
  /** Human-readable output through pino-pretty (dev only; it is a devDependency). */
  pretty?: boolean;
  /** Where the JSON lines go; default stderr (fd 2). */
  destination?: NodeJS.WritableStream | number;
}

export function createLogger({ level, pretty = false, destination = 2 }: LogOptions): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } };
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { destination: 2 } } });
  }
  const dest = typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino(options, dest);
}

/**
 * Log a failed job once, at the level its cause deserves: the client's mistake (isClientError) at
 * warn with the wire body and no stack, a cancellation at info, anything else at error with the
 * error itself (stack, cause chain, full details such as ffmpeg's command line). Returns the
 * coerced error for the caller to put on the wire.
 */
export function logJobFailure(log: Logger, value: unknown): WorkerError {
  const err = coerceError(value);
  if (isClientError(err.code)) {
    log.warn({ code: err.code, error: toJobErrorBody(err) }, 'job refused: bad input');
  } else if (err.code === 'CANCELLED') {
    log.info({ code: err.code, reason: err.message }, 'job cancelled');
  } else {
    log.error({ err, code: err.code }, 'job failed');
  }
  return err;
}
