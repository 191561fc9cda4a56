/**
 * @module The pino root logger. Logs go to stderr so that stdout stays clean for the result JSON
 * of local test mode. Secrets are redacted by path as a second line of defence: the first is never
 * putting them in a log object.
 */
import { pino, type Logger } from 'pino';

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
