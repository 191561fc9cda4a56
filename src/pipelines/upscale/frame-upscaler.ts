/**
 * @module Runs a super-resolution model over rgb24 frames, tile by tile, in batches. Tiles from
 * consecutive frames share a batch when a frame has fewer tiles than the model's batch (small
 * videos on a big GPU), and at most one model run is in flight: the next batch is packed before
 * the running one is awaited, and the finished one is blended after the next has started, so with
 * a session on its own thread (inference/session-thread.ts) the JavaScript work hides behind
 * inference. (A session on the main thread holds it for the whole `run`: then only ffmpeg, in its
 * own processes, overlaps inference; see video.ts.)
 *
 * The model interface (every SR model the worker runs): input `input` (or the only input) float32 [N,3,H,W], NCHW,
 * 0..1; output `output` float32 [N,3,H·s,W·s], nominally 0..1 (clipped when made bytes).
 */
import { WorkerError, cancelledError } from '../../errors.js';
import { tensor, type Session } from '../../inference/ort.js';
import { ChromaFromSource } from './color-fix.js';
import { planTiles, TileBlender, type TileGrid } from './tiles.js';

/** A batch of tiles: `n` tiles of h×w pixels. */
export interface TileShape {
  n: number;
  h: number;
  w: number;
}

export interface SrModel {
  /** Output pixels per input pixel, per axis. */
  scale: number;
  /** Most tiles per run (1 for exports with a fixed batch of one). */
  maxBatch: number;
  /** `input`: n·3·h·w NCHW 0..1 → n·3·(h·scale)·(w·scale). */
  run(input: Float32Array, shape: TileShape, signal?: AbortSignal): Promise<Float32Array>;
}

/** Races `work` against `signal`: CANCELLED at once on abort (the work itself is left to finish). */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(cancelledError(signal.reason));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * The image input and output of a super-resolution session: `input`/`output` by name, else the
 * only input and output (exports name them as they like). MODEL_LOAD_FAILED otherwise.
 */
export function srIoNames(session: Pick<Session, 'inputNames' | 'outputNames'>): { input: string; output: string } {
  const pick = (names: readonly string[], want: string): string | undefined =>
    names.includes(want) ? want : names.length === 1 ? names[0] : undefined;
  const input = pick(session.inputNames, 'input');
  const output = pick(session.outputNames, 'output');
  if (input === undefined || output === undefined) {
    throw new WorkerError(
      'MODEL_LOAD_FAILED',
      'a super-resolution model needs one image input and one image output (or ones named "input" and "output"); ' +
        `this one has ${JSON.stringify({ inputs: session.inputNames, outputs: session.outputNames })}`,
    );
  }
  return { input, output };
}

/**
 * An SrModel over a session (ort.ts's, or session-thread.ts's) with the interface above. A run
 * that fails is INTERNAL with the batch's dims (never its data) and the cause's message (so an
 * out-of-memory stays recognisable). Abort: ORT cannot stop a run that has started, so the signal
 * is checked just before each run and the caller is released at once on abort.
 */
export function srModelFromSession(session: Session, o: { scale: number; maxBatch: number }): SrModel {
  const { input: inputName, output: outputName } = srIoNames(session);
  if (!Number.isInteger(o.scale) || o.scale < 1) throw new RangeError(`scale must be a positive integer, got ${o.scale}`);
  if (!Number.isInteger(o.maxBatch) || o.maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${o.maxBatch}`);
  return {
    scale: o.scale,
    maxBatch: o.maxBatch,
    async run(input, { n, h, w }, signal) {
      if (signal?.aborted) throw cancelledError(signal.reason);
      const dims = [n, 3, h, w];
      const want = [n, 3, h * o.scale, w * o.scale];
      const running = session.run({ [inputName]: tensor('float32', input, dims) }).then(
        (outputs) => {
          const out = outputs[outputName];
          if (out?.type !== 'float32' || out.dims.join() !== want.join()) {
            throw new WorkerError(
              'INTERNAL',
              `the super-resolution model gave ${out ? `${out.type} [${out.dims.join(',')}]` : `no "${outputName}"`} ` +
                `for [${dims.join(',')}], expected float32 [${want.join(',')}]`,
            );
          }
          return out.data as Float32Array;
        },
        (cause: unknown) => {
          throw new WorkerError(
            'INTERNAL',
            `the super-resolution model failed on a batch [${dims.join(',')}]: ${(cause as Error)?.message ?? String(cause)}`,
            {
              cause,
              details: { input: { type: 'float32', dims } },
            },
          );
        },
      );
      return abortable(running, signal);
    },
  };
}

export interface FrameUpscalerOptions {
  model: SrModel;
  /** Size of the input frames. */
  width: number;
  height: number;
  /** Largest tile side (input pixels). */
  tile: number;
  /** Pixels neighbouring tiles share (input pixels); exact for receptive fields ≤ overlap/4 (tiles.ts). */
  overlap: number;
  /** The model's luma on the source's chroma (color-fix.ts). @default false */
  colorFix?: boolean | undefined;
  /**
   * Input pixels mirrored around the frame before tiling, and cut off the output: the model sees
   * picture, not its own zero padding, at the frame's edges (measured on real footage: up to
   * +1.2 dB on clean, flat frames). @default 0
   */
  pad?: number | undefined;
  /** Clock for `modelMs`. @default performance.now */
  now?: () => number;
}

/**
 * A frame whose tiles are being inferred: its pixels and its accumulator (from the pool; for a
 * one-tile frame, a view of the model's output instead, which needs no blending).
 */
interface Pending {
  /** The source frame, as it came. */
  rgb: Uint8Array;
  /** What the tiles are cut from: `rgb`, or `rgb` with mirrored borders. */
  padded: Uint8Array;
  acc: Float32Array | undefined;
  pooled: boolean;
  left: number;
}

interface Batch {
  items: Array<{ frame: Pending; tile: number }>;
  input: Float32Array;
}

/** u8 → 0..1, by table. */
const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

export class FrameUpscaler {
  readonly grid: TileGrid;
  readonly outWidth: number;
  readonly outHeight: number;
  private readonly blender: TileBlender;
  private readonly model: SrModel;
  private readonly now: () => number;
  private readonly frameBytes: number;
  private readonly colorFix: ChromaFromSource | undefined;
  private readonly pad: number;
  private readonly width: number;
  private readonly height: number;
  private readonly free: Float32Array[] = [];
  private inflight: Promise<unknown> | undefined;
  private ms = 0;
  private runs = 0;
  private tilesRun = 0;

  constructor(o: FrameUpscalerOptions) {
    if (!Number.isInteger(o.model.maxBatch) || o.model.maxBatch < 1)
      throw new RangeError(`maxBatch must be a positive integer, got ${o.model.maxBatch}`);
    this.model = o.model;
    this.pad = o.pad ?? 0;
    if (!Number.isInteger(this.pad) || this.pad < 0 || this.pad >= Math.min(o.width, o.height))
      throw new RangeError(`pad must be an integer in [0, ${Math.min(o.width, o.height)}), got ${o.pad}`);
    this.width = o.width;
    this.height = o.height;
    this.grid = planTiles(o.width + 2 * this.pad, o.height + 2 * this.pad, o.tile, o.overlap);
    this.blender = new TileBlender(this.grid, o.model.scale);
    this.outWidth = o.width * o.model.scale;
    this.outHeight = o.height * o.model.scale;
    this.frameBytes = o.width * o.height * 3;
    this.colorFix = o.colorFix ? new ChromaFromSource(o.width, o.height, o.model.scale) : undefined;
    this.now = o.now ?? (() => performance.now());
  }

  /** Milliseconds spent inside `model.run` (call to result), over every frame so far. */
  get modelMs(): number {
    return this.ms;
  }

  /** Calls of `model.run`, and tiles they carried. */
  get stats(): { runs: number; tiles: number; tilesPerFrame: number } {
    return { runs: this.runs, tiles: this.tilesRun, tilesPerFrame: this.grid.tiles.length };
  }

  /** Resolves when no model run is in flight (e.g. before releasing the session after an abort). */
  async settled(): Promise<void> {
    await this.inflight?.catch(() => undefined);
  }

  /** One frame → rgb24 of outWidth × outHeight (colour-fixed when asked). */
  async upscaleFrame(rgb: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    for await (const out of this.stream(one(rgb), signal)) return out;
    throw new Error('unreachable: a frame in gives a frame out');
  }

  /** One frame → the blended model output before rounding (and before any colour fix): planar float 3 × outHeight × outWidth. */
  async upscaleFloat(rgb: Uint8Array, signal?: AbortSignal): Promise<Float32Array> {
    for await (const frame of this.frames(one(rgb), signal)) {
      const padded = this.blender.toFloat(frame.acc as Float32Array);
      this.release(frame);
      if (this.pad === 0) return padded;
      const { outWidth: w, outHeight: h } = this;
      const pw = this.blender.outWidth;
      const ph = this.blender.outHeight;
      const o = this.pad * this.model.scale;
      const out = new Float32Array(3 * w * h);
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < h; y++)
          out.set(padded.subarray(c * pw * ph + (y + o) * pw + o, c * pw * ph + (y + o) * pw + o + w), (c * h + y) * w);
      return out;
    }
    throw new Error('unreachable: a frame in gives a frame out');
  }

  /**
   * Frames in → upscaled rgb24 frames out, in order. Pulls input only as batches need it (at most
   * one batch of frames ahead), and each output frame is a fresh buffer.
   */
  async *stream(frames: AsyncIterable<Uint8Array>, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    for await (const frame of this.frames(frames, signal)) {
      const rgb = this.crop(this.blender.toRgb24(frame.acc as Float32Array));
      this.colorFix?.apply(rgb, frame.rgb);
      this.release(frame);
      yield rgb;
    }
  }

  /** The frame inside its mirrored border. */
  private crop(padded: Uint8Array): Uint8Array {
    if (this.pad === 0) return padded;
    const row = this.outWidth * 3;
    const pw = this.blender.outWidth * 3;
    const o = this.pad * this.model.scale;
    const out = new Uint8Array(row * this.outHeight);
    for (let y = 0; y < this.outHeight; y++) out.set(padded.subarray((y + o) * pw + o * 3, (y + o) * pw + o * 3 + row), y * row);
    return out;
  }

  /** The frame with `pad` pixels mirrored on every side (edge pixel not repeated). */
  private mirror(rgb: Uint8Array): Uint8Array {
    const { pad: p, width: w, height: h } = this;
    if (p === 0) return rgb;
    const W = w + 2 * p;
    const out = new Uint8Array(W * (h + 2 * p) * 3);
    const reflect = (i: number, n: number): number => (i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);
    for (let y = 0; y < h + 2 * p; y++) {
      const sy = reflect(y - p, h);
      const dst = y * W * 3;
      out.set(rgb.subarray(sy * w * 3, (sy + 1) * w * 3), dst + p * 3);
      for (let x = 0; x < p; x++) {
        const l = reflect(x - p, w) * 3 + sy * w * 3;
        const r = reflect(w + x, w) * 3 + sy * w * 3;
        out.set(rgb.subarray(l, l + 3), dst + x * 3);
        out.set(rgb.subarray(r, r + 3), dst + (p + w + x) * 3);
      }
    }
    return out;
  }

  private release(frame: Pending): void {
    if (frame.acc && frame.pooled) {
      frame.acc.fill(0);
      this.free.push(frame.acc);
    }
    frame.acc = undefined;
  }

  /** The core loop: frames whose every tile has been blended into `acc`, in order. */
  private async *frames(source: AsyncIterable<Uint8Array>, signal: AbortSignal | undefined): AsyncGenerator<Pending> {
    const it = source[Symbol.asyncIterator]();
    const tiles = this.grid.tiles.length;
    const pending: Pending[] = [];
    let current: Pending | undefined;
    let nextTile = tiles;
    let sourceDone = false;

    const nextBatch = async (): Promise<Batch | undefined> => {
      const items: Batch['items'] = [];
      while (items.length < this.model.maxBatch) {
        if (nextTile === tiles) {
          if (sourceDone) break;
          const r = await it.next();
          if (r.done) {
            sourceDone = true;
            break;
          }
          if (r.value.length !== this.frameBytes) throw new RangeError(`a frame must be ${this.frameBytes} bytes, got ${r.value.length}`);
          current = { rgb: r.value, padded: this.mirror(r.value), acc: undefined, pooled: tiles > 1, left: tiles };
          if (current.pooled) current.acc = this.free.pop() ?? this.blender.createAccumulator();
          pending.push(current);
          nextTile = 0;
        }
        items.push({ frame: current as Pending, tile: nextTile++ });
      }
      return items.length === 0 ? undefined : { items, input: this.pack(items) };
    };

    let running: { items: Batch['items']; result: Promise<Float32Array> } | undefined;
    try {
      for (;;) {
        const batch = await nextBatch();
        const finished = running && { items: running.items, out: await running.result };
        running = batch && { items: batch.items, result: this.start(batch, signal) };
        if (finished) {
          this.blend(finished.items, finished.out);
          while (pending[0]?.left === 0) yield pending.shift() as Pending;
        }
        if (!running) break;
      }
    } finally {
      if (!sourceDone) await it.return?.();
    }
  }

  private start(batch: Batch, signal: AbortSignal | undefined): Promise<Float32Array> {
    if (signal?.aborted) return Promise.reject(cancelledError(signal.reason));
    const n = batch.items.length;
    const { tileWidth: w, tileHeight: h } = this.grid;
    const s = this.model.scale;
    const t0 = this.now();
    const result = this.model.run(batch.input, { n, h, w }, signal).then((out) => {
      this.ms += this.now() - t0;
      if (out.length !== n * 3 * h * s * w * s) {
        throw new WorkerError(
          'INTERNAL',
          `the model gave ${out.length} values for [${n},3,${h},${w}] at ×${s}, expected ${n * 3 * h * s * w * s}`,
        );
      }
      return out;
    });
    this.runs++;
    this.tilesRun += n;
    this.inflight = result;
    // Awaited in the loop; this only keeps a failure that lands while the loop waits elsewhere
    // (the consumer writing a frame) from counting as unhandled.
    result.catch(() => undefined);
    return result;
  }

  /** Tiles → one NCHW float batch. */
  private pack(items: Batch['items']): Float32Array {
    const { tileWidth: tw, tileHeight: th, width } = this.grid;
    const plane = tw * th;
    const input = new Float32Array(items.length * 3 * plane);
    items.forEach(({ frame, tile }, k) => {
      const t = this.grid.tiles[tile] as { x: number; y: number };
      const base = k * 3 * plane;
      const rgb = frame.padded;
      for (let y = 0; y < th; y++) {
        let src = ((t.y + y) * width + t.x) * 3;
        const row = base + y * tw;
        for (let x = 0; x < tw; x++, src += 3) {
          input[row + x] = UNIT[rgb[src] as number] as number;
          input[row + plane + x] = UNIT[rgb[src + 1] as number] as number;
          input[row + 2 * plane + x] = UNIT[rgb[src + 2] as number] as number;
        }
      }
    });
    return input;
  }

  private blend(items: Batch['items'], out: Float32Array): void {
    const s = this.model.scale;
    const size = 3 * this.grid.tileWidth * s * this.grid.tileHeight * s;
    items.forEach(({ frame, tile }, k) => {
      if (frame.pooled) this.blender.add(frame.acc as Float32Array, tile, out, k * size);
      else frame.acc = out.subarray(k * size, (k + 1) * size);
      frame.left--;
    });
  }
}

async function* one(rgb: Uint8Array): AsyncGenerator<Uint8Array> {
  yield rgb;
}
