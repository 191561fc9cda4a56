/**
 * How a failed job is logged (src/log.ts logJobFailure, through a real pino logger): the client's
 * bad input once at warn with no stack, a cancellation at info, the worker's own failures at error
 * with the stack and every detail (ffmpeg's command line stays here, off the wire).
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cancelledError, isClientError, WorkerError, type ErrorCode } from '../../src/errors.js';
import { parseJobInput } from '../../src/dispatch/input.js';
import { createLogger, logJobFailure } from '../../src/log.js';

function capture(level = 'info'): { log: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  const log = createLogger({ level, destination });
  return {
    log,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

function badPayload(): unknown {
  try {
    parseJobInput({ video_path: 'a.mp4', duration: '5' });
  } catch (e) {
    return e;
  }
  throw new Error('accepted');
}

describe('a failed job in the logs', () => {
  it('bad input: one warn line, the field named, no stack', () => {
    const { log, lines } = capture();
    const err = logJobFailure(log, badPayload());
    expect(err.code).toBe('INVALID_INPUT');
    const out = lines();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ level: 40, code: 'INVALID_INPUT', error: { details: { issues: [{ field: 'duration' }] } } });
    expect(JSON.stringify(out)).not.toMatch(/stack|at parseJobInput|\.ts:\d+/);
  });

  it.each(['INPUT_NOT_FOUND', 'URL_NOT_ALLOWED', 'MEDIA_UNREADABLE', 'VIDEO_TOO_LONG'] as ErrorCode[])(
    "%s is the client's: warn",
    (code) => {
      const { log, lines } = capture();
      logJobFailure(log, new WorkerError(code, 'x'));
      expect(lines()).toMatchObject([{ level: 40, code }]);
      expect(isClientError(code)).toBe(true);
    },
  );

  it('a cancellation: info, no stack', () => {
    const { log, lines } = capture();
    logJobFailure(log, cancelledError(new Error('shutdown')));
    const out = lines();
    expect(out).toMatchObject([{ level: 30, code: 'CANCELLED' }]);
    expect(JSON.stringify(out)).not.toContain('stack');
  });

  it.each(['INTERNAL', 'FFMPEG_FAILED', 'OUT_OF_MEMORY', 'MODEL_LOAD_FAILED'] as ErrorCode[])(
    "%s is the worker's: error with the stack",
    (code) => {
      const { log, lines } = capture();
      logJobFailure(log, new WorkerError(code, 'x', { details: { command: '/usr/bin/ffmpeg -i /tmp/job/in.mp4' } }));
      const [line] = lines();
      expect(line).toMatchObject({ level: 50, code, err: { details: { command: '/usr/bin/ffmpeg -i /tmp/job/in.mp4' } } });
      expect((line!.err as { stack: string }).stack).toContain('WorkerError');
      expect(isClientError(code)).toBe(false);
    },
  );

  it('a thrown non-WorkerError is INTERNAL, at error with its stack', () => {
    const { log, lines } = capture();
    expect(logJobFailure(log, new TypeError('boom')).code).toBe('INTERNAL');
    expect(lines()).toMatchObject([{ level: 50, code: 'INTERNAL' }]);
  });

  it('warn is still seen at LOG_LEVEL=warn; a cancellation is not', () => {
    const { log, lines } = capture('warn');
    logJobFailure(log, badPayload());
    logJobFailure(log, cancelledError());
    expect(lines().map((l) => l.level)).toEqual([40]);
  });
});
