/**
 * @module Runs synthesis + WAV encoding on a worker thread. Both are seconds of pure CPU on long
 * videos, and on the main thread they would starve the RunPod heartbeat timer (a worker that stops
 * pinging is considered dead). The WAV bytes come back as a transferred buffer, not a copy.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { WorkerError } from '../../errors.js';
import { encodeWavFloat32 } from '../../media/wav.js';
import type { AnalysisResult } from './analysis.js';
import type { Preset } from './presets.js';
import { synthesize } from './synth.js';

export interface SynthJob {
  analysis: AnalysisResult;
  preset: Preset;
  seed: number;
  durationS: number;
}

export interface SynthOutput {
  wav: Uint8Array;
  peak: number;
}

function render(job: SynthJob): SynthOutput {
  const audio = synthesize(job);
  const wav = encodeWavFloat32([audio.left, audio.right], audio.sampleRate);
  return { wav: new Uint8Array(wav.buffer, wav.byteOffset, wav.byteLength), peak: audio.peak };
}

if (!isMainThread && parentPort && (workerData as { synthWorker?: boolean } | undefined)?.synthWorker) {
  const port = parentPort;
  port.once('message', (job: SynthJob) => {
    const out = render(job);
    port.postMessage(out, [out.wav.buffer as ArrayBuffer]);
  });
}

/** This module's compiled file; absent when running from TypeScript sources (vitest). */
const WORKER_FILE = new URL(import.meta.url);

/**
 * Render on a worker thread when running compiled (production); in place when running from
 * sources, where a worker could not load TypeScript. Aborting terminates the thread.
 */
export async function renderFoleyWav(job: SynthJob, signal?: AbortSignal): Promise<SynthOutput> {
  const file = fileURLToPath(WORKER_FILE);
  if (!file.endsWith('.js') || !existsSync(file)) return render(job);
  const cancelled = (): WorkerError => new WorkerError('CANCELLED', 'the job was cancelled', { cause: signal?.reason });
  if (signal?.aborted) throw cancelled();
  const worker = new Worker(WORKER_FILE, { workerData: { synthWorker: true } });
  try {
    return await new Promise<SynthOutput>((resolve, reject) => {
      const onAbort = (): void => reject(cancelled());
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.once('message', (out: SynthOutput) => resolve(out));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`synthesis worker exited with code ${code}`)));
      worker.postMessage(job);
    });
  } finally {
    await worker.terminate();
  }
}
