/**
 * @module Renders the track to a WAV file on a worker thread. Synthesis is seconds to minutes of
 * pure CPU on long videos, and on the main thread it would starve the RunPod heartbeat timer (a
 * worker that stops pinging is considered dead). Blocks go to disk as they are rendered, so memory
 * does not grow with the length; progress comes back as messages.
 */
import { closeSync, existsSync, ftruncateSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { type WorkerError, cancelledError } from '../../errors.js';
import { float32LeBytes, wavHeader, type WavSampleFormat } from '../../media/wav.js';
import { keepPeakThroughAac } from './dsp/aac-check.js';
import { compileFoleyDsp } from './dsp/wasm.js';
import { BLOCK, renderFoley, SAMPLE_RATE, type OutputBlock, type RawStore, type RenderJob, type RenderReport } from './render.js';

export interface SynthJob extends RenderJob {
  /** Where the WAV goes. */
  wavPath: string;
  /** 32-bit float (default: for an encoder to read) or 16-bit PCM (a WAV to deliver as it is). */
  sampleFormat?: WavSampleFormat;
  /** Scratch file for the unmastered mix between passes (deleted after); default `<wavPath>.raw`. */
  rawPath?: string;
  /**
   * Set when this (float) WAV will be delivered AAC-encoded as it is (MP4 or M4A, nothing mixed
   * in): after rendering, the track is encoded as delivered and measured, and turned down until
   * the AAC track's true peak keeps the promise (dsp/aac-check.ts). Runs on the calling thread.
   */
  aacCheck?: { ffmpeg: string; timeoutMs: number; keepEncoded?: string | undefined } | undefined;
}

/** What the render did, and what the AAC check did (absent without one). */
export interface SynthReport extends RenderReport {
  aac?: { trimDb: number; aacTruePeakDbtp: number; trials: number; encoded?: string | undefined };
}

/** The AAC check of a rendered job, when it asks for one: the report's levels move by the trim. */
async function checkAac(job: SynthJob, report: RenderReport, signal: AbortSignal | undefined): Promise<SynthReport> {
  if (!job.aacCheck || (job.sampleFormat ?? 'f32') !== 'f32') return report;
  const aac = await keepPeakThroughAac(job.wavPath, { ...job.aacCheck, signal });
  return { ...report, loudnessLufs: report.loudnessLufs + aac.trimDb, truePeakDbtp: report.truePeakDbtp + aac.trimDb, aac };
}

/**
 * The unmastered stems (bed and events, stereo each) of a long track between passes, parked on
 * disk: 16 bytes a frame (46 MB a minute), read back block by block, so RAM stays flat for any
 * length. (A short track's stems stay inside the engine: render.ts.)
 */
class FileStore implements RawStore {
  private fd: number | undefined;
  private readonly sizes: number[] = [];
  private readonly buf = new Float32Array(4 * BLOCK);
  private readonly out = Array.from({ length: 4 }, () => new Float32Array(BLOCK));

  /** The file is created on the first block (never, for a track the engine keeps). */
  constructor(readonly path: string) {}

  append(channels: readonly Float32Array[], frames: number): void {
    if (frames > BLOCK || channels.length !== 4) throw new RangeError('blocks are 4 channels of at most BLOCK frames');
    this.fd ??= openSync(this.path, 'w+');
    for (const [k, c] of channels.entries()) this.buf.set(c.subarray(0, frames), k * frames);
    writeAll(this.fd, float32LeBytes(this.buf, 4 * frames));
    this.sizes.push(frames);
  }

  *blocks(): Iterable<{ channels: readonly Float32Array[]; frames: number }> {
    if (this.fd === undefined) return;
    let pos = 0;
    const bytes = new Uint8Array(this.buf.buffer);
    for (const frames of this.sizes) {
      const n = 16 * frames;
      let got = 0;
      while (got < n) {
        const r = readSync(this.fd, bytes, got, n - got, pos + got);
        if (r === 0) throw new Error('the raw stems file ended early');
        got += r;
      }
      pos += n;
      for (const [k, c] of this.out.entries()) c.set(this.buf.subarray(k * frames, (k + 1) * frames));
      yield { channels: this.out, frames };
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    rmSync(this.path, { force: true });
  }
}

/** Writes all of `bytes` (at `position`, else at the file's offset). */
function writeAll(fd: number, bytes: Uint8Array, position?: number): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, position === undefined ? null : position + off);
}

type WorkerMessage = { type: 'progress'; percent: number } | { type: 'done'; report: RenderReport };

/** Render `job` into `job.wavPath` (stereo WAV, float or 16-bit), synchronously, block by block. */
export function renderToWav(job: SynthJob, onProgress?: (percent: number) => void): RenderReport {
  const sr = job.sampleRate ?? SAMPLE_RATE;
  const frames = Math.max(1, Math.round(job.durationS * sr));
  const fd = openSync(job.wavPath, 'w');
  const store = new FileStore(job.rawPath ?? `${job.wavPath}.raw`);
  try {
    const format = job.sampleFormat ?? 'f32';
    const header = wavHeader(frames, 2, sr, format);
    // The header goes straight to disk: a restart keeps it and drops only queued samples.
    writeAll(fd, header, 0);
    let pos = header.length;
    // Output goes to disk in 256 KiB writes, not one small write per block (a block is at most
    // BLOCK stereo float frames, 32 KiB).
    const pending = new Uint8Array(256 * 1024);
    let queued = 0;
    const flush = (): void => {
      writeAll(fd, pending.subarray(0, queued), pos);
      pos += queued;
      queued = 0;
    };
    const write = (bytes: Uint8Array): void => {
      if (queued + bytes.length > pending.length) flush();
      pending.set(bytes, queued);
      queued += bytes.length;
    };
    const restartSink = (): void => {
      queued = 0;
      ftruncateSync(fd, header.length);
      pos = header.length;
    };
    const sink = (out: OutputBlock): void => write(format === 's16' ? out.pcm16() : float32LeBytes(out.interleaved));
    const report = renderFoley(job, sink, { store, onProgress, restartSink });
    flush();
    return report;
  } finally {
    store.close();
    closeSync(fd);
  }
}

if (!isMainThread && parentPort && (workerData as { synthWorker?: boolean } | undefined)?.synthWorker) {
  const port = parentPort;
  // One job at a time, as many as the main thread sends: a kept thread renders later jobs with
  // its modules loaded and the engine compiled.
  port.on('message', (job: SynthJob) => {
    // Every 5 % is all the job reports (engines/procedural/pipeline.ts): fewer messages across the thread.
    let sent = -5;
    const progress = (percent: number): void => {
      if (percent - sent < 5 && percent < 100) return;
      sent = percent;
      port.postMessage({ type: 'progress', percent } satisfies WorkerMessage);
    };
    const report = renderToWav(job, progress);
    port.postMessage({ type: 'done', report } satisfies WorkerMessage);
  });
  // Compile the engine now, while the job that started this thread is still decoding frames.
  setImmediate(compileFoleyDsp);
}

/** This module's compiled file; absent when running from TypeScript sources (vitest). */
const WORKER_FILE = new URL(import.meta.url);

export interface SynthRunner {
  render(
    job: SynthJob,
    opts?: { signal?: AbortSignal | undefined; onProgress?: ((percent: number) => void) | undefined },
  ): Promise<SynthReport>;
  /** Frees the thread (also when `render` was never called). */
  close(): Promise<void>;
}

/**
 * Threads that finished a render cleanly wait here for the next job, unref'd so they never keep
 * the process alive. A render that failed or was aborted never comes back: its thread is ended.
 */
const idle: Worker[] = [];
/** At most this many idle threads are kept (one per concurrent job is plenty). */
export const MAX_IDLE_SYNTH_WORKERS = 2;

/** While idle, a thread that dies just leaves the pool (an 'error' with no listener would throw). */
function dropFromIdle(this: Worker): void {
  const i = idle.indexOf(this);
  if (i >= 0) idle.splice(i, 1);
}

function acquireWorker(): Worker {
  const kept = idle.pop();
  if (kept) {
    kept.off('error', dropFromIdle).off('exit', dropFromIdle);
    kept.ref();
    return kept;
  }
  return new Worker(WORKER_FILE, { workerData: { synthWorker: true } });
}

function keepOrEnd(worker: Worker, reusable: boolean): Promise<unknown> {
  if (reusable && idle.length < MAX_IDLE_SYNTH_WORKERS) {
    worker.on('error', dropFromIdle).on('exit', dropFromIdle);
    worker.unref();
    idle.push(worker);
    return Promise.resolve();
  }
  return worker.terminate();
}

/** True when running compiled (a worker thread can load this file), false from TypeScript sources. */
function threadsAvailable(): boolean {
  const file = fileURLToPath(WORKER_FILE);
  return file.endsWith('.js') && existsSync(file);
}

/**
 * Starts a thread before any job needs it, so that starting it (a new JavaScript engine: ~25 ms
 * of CPU), loading its modules and compiling the engine happen while the worker waits for its
 * first job rather than while that job decodes. No-op when a thread is idle, or from sources.
 */
export function prestartSynthWorker(): void {
  if (idle.length > 0 || !threadsAvailable()) return;
  void keepOrEnd(new Worker(WORKER_FILE, { workerData: { synthWorker: true } }), true);
}

/** Ends the kept threads (tests, shutdown). */
export async function closeIdleSynthWorkers(): Promise<void> {
  await Promise.all(idle.splice(0).map((w) => w.terminate()));
}

/**
 * A worker thread when running compiled (production): an idle one (prestarted, or kept from an
 * earlier job), or one started now so that starting it overlaps the frame decoding. In place when
 * running from sources, where a worker could not load TypeScript. Aborting a render terminates
 * the thread.
 */
export function startSynthRunner(): SynthRunner {
  if (!threadsAvailable()) {
    return { render: async (job, opts = {}) => checkAac(job, renderToWav(job, opts.onProgress), opts.signal), close: async () => {} };
  }
  const worker = acquireWorker();
  // Errors before render() is called surface there (or nowhere, if the job fails first).
  let early: unknown;
  const onEarly = (e: unknown): void => {
    early = e;
  };
  worker.on('error', onEarly);
  let settled = false;
  // A thread never asked to render (the job failed before synthesis) is as good as new.
  let reusable = true;
  const finish = async (): Promise<void> => {
    if (settled) return;
    settled = true;
    worker.off('error', onEarly);
    await keepOrEnd(worker, reusable && early === undefined);
  };
  return {
    async render(job, opts = {}) {
      const { signal, onProgress } = opts;
      const cancelled = (): WorkerError => cancelledError(signal?.reason);
      if (signal?.aborted) throw cancelled();
      if (early) throw early;
      let cleanup = (): void => undefined;
      reusable = false;
      try {
        const report = await new Promise<RenderReport>((resolve, reject) => {
          const onAbort = (): void => reject(cancelled());
          const onMessage = (m: WorkerMessage): void => {
            if (m.type === 'progress') onProgress?.(m.percent);
            else resolve(m.report);
          };
          const onExit = (code: number): void => reject(new Error(`synthesis worker exited with code ${code}`));
          signal?.addEventListener('abort', onAbort, { once: true });
          worker.on('message', onMessage);
          worker.once('error', reject);
          worker.once('exit', onExit);
          cleanup = () => {
            signal?.removeEventListener('abort', onAbort);
            worker.off('message', onMessage);
            worker.off('error', reject);
            worker.off('exit', onExit);
          };
          worker.postMessage(job);
        });
        reusable = true;
        cleanup();
        await finish();
        return await checkAac(job, report, signal);
      } finally {
        cleanup();
        await finish();
      }
    },
    close: finish,
  };
}
