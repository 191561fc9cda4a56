/**
 * @module The only place that starts ffmpeg/ffprobe processes. Arguments are argv arrays (never a
 * shell string), every run has an AbortSignal and a timeout, and a failure carries the command,
 * exit code, signal and the tail of stderr (execa's fields) as an FFMPEG_FAILED error.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
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

export interface RunOptions {
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** Called for each complete stderr line (e.g. to parse `showinfo`). */
  onStderrLine?: (line: string) => void;
  /** Receives stdout as it arrives; when absent stdout is collected and returned. */
  onStdout?: (chunk: Buffer) => void;
}

export interface RunResult {
  stdout: Buffer;
  stderrTail: string;
}

const STDERR_TAIL_BYTES = 4000;

function failure(message: string, bin: string, args: string[], stderrTail: string, extra: object, cause?: unknown): WorkerError {
  const command = [bin, ...args].join(' ');
  return new WorkerError('FFMPEG_FAILED', message, {
    cause,
    // stderr may quote file names from the job's own temp dir; it never holds secrets we own.
    details: { command: command.length > 2000 ? `${command.slice(0, 2000)}…` : command, stderr: stderrTail.slice(-1500), ...extra },
  });
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
      child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    } catch (cause) {
      reject(failure(`could not start ${bin}`, bin, args, '', {}, cause));
      return;
    }
    const out: Buffer[] = [];
    let stderrTail = '';
    let partialLine = '';
    let ended: 'timeout' | 'abort' | undefined;

    const kill = (why: 'timeout' | 'abort'): void => {
      ended ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('timeout'), opts.timeoutMs);
    timer.unref();
    const onAbort = (): void => kill('abort');
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      if (opts.onStdout) opts.onStdout(chunk);
      else out.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderrTail = (stderrTail + text).slice(-STDERR_TAIL_BYTES);
      if (opts.onStderrLine) {
        const lines = (partialLine + text).split(/\r?\n|\r/);
        partialLine = lines.pop() ?? '';
        for (const line of lines) opts.onStderrLine(line);
      }
    });
    child.on('error', (cause) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(failure(`could not run ${bin}: ${cause.message}`, bin, args, stderrTail, {}, cause));
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (partialLine && opts.onStderrLine) opts.onStderrLine(partialLine);
      if (ended === 'abort') {
        reject(cancelledError(opts.signal?.reason));
      } else if (ended === 'timeout') {
        reject(new WorkerError('TIMED_OUT', `${bin.split('/').pop()} did not finish within ${opts.timeoutMs} ms`));
      } else if (exitCode !== 0) {
        const last = stderrTail.trim().split('\n').pop() ?? '';
        reject(failure(`ffmpeg failed (exit ${exitCode ?? signal}): ${last}`, bin, args, stderrTail, { exitCode, signal }));
      } else {
        resolvePromise({ stdout: Buffer.concat(out), stderrTail });
      }
    });
  });
}
