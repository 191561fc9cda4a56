/**
 * @module The only place that starts ffmpeg/ffprobe processes. Arguments are argv arrays (never a
 * shell string), every run has an AbortSignal and a timeout, and a failure carries the command,
 * exit code, signal and the tail of stderr (execa's fields) as an FFMPEG_FAILED error. `runBinary`
 * runs to completion and collects stdout; `openBinary` hands out stdin and stdout as streams, for
 * raw frames that must flow with backpressure instead of piling up in memory.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { WorkerError, cancelledError } from '../errors.js';

/**
 * Protocols ffmpeg may open. A crafted input (an HLS playlist or concat list named `.mp4`) would
 * otherwise make ffmpeg read other local files or fetch URLs.
 */
export const PROTOCOL_WHITELIST = 'file,pipe';

/**
 * Demuxers ffmpeg may use for an input. Playlist and list formats (hls, concat, image2, …) are left
 * out: their files name other files, and the `file` protocol is allowed.
 */
export const FORMAT_WHITELIST = 'mov,matroska,avi,flv,mpegts,mpeg,ogg,asf,ivf,wav';

/** The options that must precede every input: allowed protocols and demuxers. */
export const INPUT_GUARDS = ['-protocol_whitelist', PROTOCOL_WHITELIST, '-format_whitelist', FORMAT_WHITELIST];

/** `-i file` with the input guards. */
export function inputArgs(file: string): string[] {
  return [...INPUT_GUARDS, '-i', file];
}

/**
 * A number as ffmpeg's option and filter parsers read it: fixed-point, at most six decimals, never
 * JavaScript's exponent form (`String(1e-7)` is "1e-7", which ffmpeg refuses as a duration).
 */
export function ffmpegNumber(x: number): string {
  const fixed = (Math.round(x * 1e6) / 1e6).toFixed(6).replace(/\.?0+$/, '');
  return fixed === '-0' ? '0' : fixed;
}

/**
 * The options that must precede an input read with `formats` only. A single format is also forced
 * (`-f`), so ffmpeg does not first pick a demuxer by the file's name.
 */
export function guardedInputArgs(file: string, formats: readonly string[]): string[] {
  return [
    '-protocol_whitelist',
    PROTOCOL_WHITELIST,
    '-format_whitelist',
    formats.join(','),
    ...(formats.length === 1 ? ['-f', formats[0] as string] : []),
    '-i',
    file,
  ];
}

export interface RunOptions {
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** Called for each complete stderr line (e.g. to parse `showinfo`). */
  onStderrLine?: (line: string) => void;
  /** Receives stdout as it arrives; when absent stdout is collected and returned. */
  onStdout?: (chunk: Buffer) => void;
  /**
   * The most stdout collected (without `onStdout`): past it the process is stopped and the run
   * fails with FFMPEG_FAILED naming the bound, so no input can make a
   * collected report or decode grow without end. @default 64 MiB
   */
  maxStdoutBytes?: number;
  /**
   * More outputs, on file descriptors 3, 4, … (ffmpeg's `pipe:3`, `pipe:4`, …), each handed over
   * as a stream the caller reads with backpressure: when the caller stops reading one, ffmpeg
   * blocks on that output.
   */
  onPipes?: Array<(stream: Readable) => void>;
}

export interface RunResult {
  stdout: Buffer;
  stderrTail: string;
}

const STDERR_TAIL_BYTES = 4000;
/** What runBinary collects of stdout at most unless told otherwise (an ffprobe report is kilobytes). */
export const DEFAULT_MAX_STDOUT_BYTES = 64 * 1024 * 1024;

interface Failure {
  message: string;
  bin: string;
  args: string[];
  stderrTail: string;
  /** More details (exit code, signal, a bound). */
  extra?: object;
  cause?: unknown;
}

function failure({ message, bin, args, stderrTail, extra = {}, cause }: Failure): WorkerError {
  const command = [bin, ...args].join(' ');
  return new WorkerError('FFMPEG_FAILED', message, {
    cause,
    // stderr may quote file names from the job's own temp dir; it never holds secrets we own.
    details: { command: command.length > 2000 ? `${command.slice(0, 2000)}…` : command, stderr: stderrTail.slice(-1500), ...extra },
  });
}

/** Keeps the tail of a process's stderr, and hands each complete line to `onLine`. */
function watchStderr(stderr: Readable, onLine: ((line: string) => void) | undefined): { tail(): string; flush(): void } {
  let tail = '';
  let partial = '';
  stderr.setEncoding('utf8');
  stderr.on('data', (text: string) => {
    tail = (tail + text).slice(-STDERR_TAIL_BYTES);
    if (onLine) {
      const lines = (partial + text).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    }
  });
  return {
    tail: () => tail,
    flush: () => {
      if (partial && onLine) onLine(partial);
      partial = '';
    },
  };
}

/** Calls `kill` when the time is up or the signal fires; the returned function disarms both. */
function armKill(kill: (why: 'timeout' | 'abort') => void, timeoutMs: number, signal: AbortSignal | undefined): () => void {
  const timer = setTimeout(() => kill('timeout'), timeoutMs);
  timer.unref();
  const onAbort = (): void => kill('abort');
  signal?.addEventListener('abort', onAbort, { once: true });
  return () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
}

/** The error a finished process gives its caller, or undefined for a clean exit. */
function exitError(
  bin: string,
  args: string[],
  o: {
    ended: 'timeout' | 'abort' | 'kill' | undefined;
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    stderrTail: string;
    timeoutMs: number;
    reason: unknown;
  },
): Error | undefined {
  const name = bin.split('/').pop();
  if (o.ended === 'abort') return cancelledError(o.reason);
  if (o.ended === 'kill') return cancelledError(new Error(`${name} was stopped by its caller`));
  if (o.ended === 'timeout') return new WorkerError('TIMED_OUT', `${name} did not finish within ${o.timeoutMs} ms`);
  if (o.exitCode !== 0) {
    const last = o.stderrTail.trim().split('\n').pop() ?? '';
    return failure({
      message: `ffmpeg failed (exit ${o.exitCode ?? o.signal}): ${last}`,
      bin,
      args,
      stderrTail: o.stderrTail,
      extra: { exitCode: o.exitCode, signal: o.signal },
    });
  }
  return undefined;
}

/** Run an ffmpeg-family binary to completion. Rejects with FFMPEG_FAILED, CANCELLED or TIMED_OUT. */
export function runBinary(bin: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    if (opts.signal?.aborted) {
      reject(cancelledError(opts.signal.reason));
      return;
    }
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(bin, args, {
        stdio: ['ignore', 'pipe', 'pipe', ...(opts.onPipes ?? []).map(() => 'pipe' as const)],
        windowsHide: true,
      }) as ChildProcessByStdio<null, Readable, Readable>;
    } catch (cause) {
      reject(failure({ message: `could not start ${bin}`, bin, args, stderrTail: '', cause }));
      return;
    }
    const pipes = (opts.onPipes ?? []).map((_, i) => child.stdio[3 + i] as Readable);
    // Their end after a kill is reported through the promise, not as a stream error.
    for (const p of pipes) p.on('error', () => undefined);
    const out: Buffer[] = [];
    let collected = 0;
    const maxStdout = opts.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
    let ended: 'timeout' | 'abort' | 'overflow' | undefined;
    const disarm = armKill(
      (why) => {
        ended ??= why;
        child.kill('SIGKILL');
        // A reader of an extra pipe waiting for data must not wait for the exit.
        for (const p of pipes) p.destroy();
      },
      opts.timeoutMs,
      opts.signal,
    );
    for (const [i, read] of (opts.onPipes ?? []).entries()) read(pipes[i]!);
    child.stdout.on('data', (chunk: Buffer) => {
      if (opts.onStdout) return opts.onStdout(chunk);
      collected += chunk.length;
      if (collected > maxStdout) {
        ended ??= 'overflow';
        child.kill('SIGKILL');
        out.length = 0;
        return;
      }
      out.push(chunk);
    });
    const stderr = watchStderr(child.stderr, opts.onStderrLine);
    child.on('error', (cause) => {
      disarm();
      reject(failure({ message: `could not run ${bin}: ${cause.message}`, bin, args, stderrTail: stderr.tail(), cause }));
    });
    child.on('close', (exitCode, signal) => {
      disarm();
      stderr.flush();
      if (ended === 'overflow') {
        reject(
          failure({
            message: `${bin.split('/').pop()} wrote more than ${maxStdout} bytes: stopped`,
            bin,
            args,
            stderrTail: stderr.tail(),
            extra: { maxStdoutBytes: maxStdout },
          }),
        );
        return;
      }
      const error = exitError(bin, args, {
        ended,
        exitCode,
        signal,
        stderrTail: stderr.tail(),
        timeoutMs: opts.timeoutMs,
        reason: opts.signal?.reason,
      });
      if (error) reject(error);
      else resolvePromise({ stdout: Buffer.concat(out), stderrTail: stderr.tail() });
    });
  });
}

export interface OpenOptions {
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** Called for each complete stderr line. */
  onStderrLine?: (line: string) => void;
}

/** A running ffmpeg-family process whose stdin and stdout are streamed by the caller. */
export interface OpenedBinary {
  /**
   * The process's stdin (`pipe:0`). Write with backpressure (`write()` → false: wait for `drain`)
   * and `end()` it when done. Its errors (EPIPE once the process is gone) are swallowed here:
   * `done` says what happened. Unused: `end()` it.
   */
  readonly stdin: Writable;
  /**
   * The process's stdout (`pipe:1`), read with backpressure (async iteration, `pipeline`). It must
   * be consumed (or `resume()`d) to its end, or the process blocks and `done` never settles. On a
   * kill it is destroyed, so a reader stops at once (async iteration throws a premature close).
   */
  readonly stdout: Readable;
  /** The process id (undefined when it could not start). */
  readonly pid: number | undefined;
  /**
   * Settles once the process has exited and its pipes are closed: resolves with the stderr tail
   * (`stdout` empty: it was streamed), rejects FFMPEG_FAILED, CANCELLED (signal or `kill()`) or
   * TIMED_OUT. Marked as handled, so a process that dies while the caller is busy elsewhere is no
   * unhandled rejection; callers must still await it to learn the outcome.
   */
  readonly done: Promise<RunResult>;
  /** Stops the process now (SIGKILL, pipes destroyed); `done` then rejects CANCELLED. */
  kill(): void;
}

/** The handle of a process that never started: empty pipes and a rejected `done`. */
function notStarted(error: WorkerError): OpenedBinary {
  const done = Promise.reject(error);
  done.catch(() => undefined);
  const stdin = new Writable({ write: (_chunk, _enc, cb) => cb() });
  return { stdin, stdout: Readable.from([]), pid: undefined, done, kill: () => undefined };
}

/**
 * Start an ffmpeg-family binary with piped stdin and stdout, for frames streamed in or out with
 * backpressure (`runBinary` collects stdout instead). Same guarantees as `runBinary`: argv array,
 * AbortSignal, timeout, stderr tail, FFMPEG_FAILED / CANCELLED / TIMED_OUT. Never throws: a
 * process that cannot start (or a signal that already fired) gives a handle whose `done` rejects.
 */
export function openBinary(bin: string, args: string[], opts: OpenOptions): OpenedBinary {
  if (opts.signal?.aborted) return notStarted(cancelledError(opts.signal.reason));
  let child: ChildProcessByStdio<Writable, Readable, Readable>;
  try {
    child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
  } catch (cause) {
    return notStarted(failure({ message: `could not start ${bin}`, bin, args, stderrTail: '', cause }));
  }
  // EPIPE when the process exits before reading all its input (or after a kill): `done` reports it.
  child.stdin.on('error', () => undefined);
  child.stdout.on('error', () => undefined);
  let ended: 'timeout' | 'abort' | 'kill' | undefined;
  let exited = false;

  const kill = (why: 'timeout' | 'abort' | 'kill'): void => {
    if (exited) return;
    ended ??= why;
    child.kill('SIGKILL');
    // A reader blocked on stdout (or a writer waiting for drain) must not wait for the exit.
    child.stdout.destroy();
    child.stdin.destroy();
  };
  const disarm = armKill(kill, opts.timeoutMs, opts.signal);
  const stderr = watchStderr(child.stderr, opts.onStderrLine);
  child.on('exit', () => {
    exited = true;
  });

  const done = new Promise<RunResult>((resolvePromise, reject) => {
    child.on('error', (cause) => {
      exited = true;
      disarm();
      child.stdout.destroy();
      child.stdin.destroy();
      reject(failure({ message: `could not run ${bin}: ${cause.message}`, bin, args, stderrTail: stderr.tail(), cause }));
    });
    child.on('close', (exitCode, signal) => {
      exited = true;
      disarm();
      stderr.flush();
      const error = exitError(bin, args, {
        ended,
        exitCode,
        signal,
        stderrTail: stderr.tail(),
        timeoutMs: opts.timeoutMs,
        reason: opts.signal?.reason,
      });
      if (error) reject(error);
      else resolvePromise({ stdout: Buffer.alloc(0), stderrTail: stderr.tail() });
    });
  });
  done.catch(() => undefined);
  return { stdin: child.stdin, stdout: child.stdout, pid: child.pid, done, kill: () => kill('kill') };
}
