/**
 * @module A RIFE 4.x ONNX export as a frame interpolator. The export takes `img0`, `img1`
 * [N,3,H,W] in 0..1 with H and W multiples of 32 (its flow pyramid halves the picture five
 * times) and `timestep`, either [N,1,1,1] or a full [N,1,H,W] map depending on the export, and
 * returns the frame at that timestep [N,3,H,W]. ORT's node binding does not expose input shapes,
 * so the timestep's shape is found by running the model once on a 32×32 pair each way.
 *
 * Frames are padded by repeating the last row/column (zeros would be read as a black bar
 * moving in) and the padding is cropped from the result. One pair's several timesteps run as
 * one batch (img0/img1 repeated), up to `maxBatch`.
 */
import { WorkerError } from '../../errors.js';
import { tensor, type Session } from '../../inference/ort.js';

export type TimestepShape = 'scalar' | 'map';

/** RIFE's alignment: H and W padded up to multiples of this. */
export const RIFE_ALIGN = 32;

export interface RifeIo {
  img0: string;
  img1: string;
  timestep: string;
  output: string;
}

/** The session's input names for img0/img1/timestep: by name when it has them, else by position. */
export function rifeIoNames(session: Pick<Session, 'inputNames' | 'outputNames'>, model = 'the model'): RifeIo {
  const ins = session.inputNames;
  const byName = (n: string, i: number): string | undefined => (ins.includes(n) ? n : ins[i]);
  const img0 = byName('img0', 0);
  const img1 = byName('img1', 1);
  const timestep = byName('timestep', 2);
  const output = session.outputNames[0];
  if (ins.length < 3 || !img0 || !img1 || !timestep || !output) {
    throw new WorkerError(
      'MODEL_LOAD_FAILED',
      `${model}: not a RIFE 4.x export (inputs img0, img1, timestep; it has ${ins.join(', ') || 'none'})`,
      { details: { model, inputs: [...ins] } },
    );
  }
  return { img0, img1, timestep, output };
}

/** Runs the model on a 32×32 pair with a scalar timestep, then a map; the shape that works. */
export async function detectTimestepShape(session: Session, model = 'the model'): Promise<TimestepShape> {
  const io = rifeIoNames(session, model);
  const s = RIFE_ALIGN;
  const img = (): ReturnType<typeof tensor> => tensor('float32', new Float32Array(3 * s * s).fill(0.5), [1, 3, s, s]);
  const errors: string[] = [];
  for (const shape of ['scalar', 'map'] as const) {
    const ts =
      shape === 'scalar'
        ? tensor('float32', Float32Array.of(0.5), [1, 1, 1, 1])
        : tensor('float32', new Float32Array(s * s).fill(0.5), [1, 1, s, s]);
    try {
      const out = await session.run({ [io.img0]: img(), [io.img1]: img(), [io.timestep]: ts });
      const dims = out[io.output]?.dims ?? [];
      if (dims.join(',') !== `1,3,${s},${s}`) {
        throw new WorkerError('MODEL_LOAD_FAILED', `${model}: the output [${dims.join(',')}] is not a frame the size of the inputs`, {
          details: { model, dims: [...dims] },
        });
      }
      return shape;
    } catch (e) {
      if (e instanceof WorkerError && e.code === 'MODEL_LOAD_FAILED') throw e;
      errors.push(`${shape}: ${(e as Error).message}`);
    }
  }
  throw new WorkerError('MODEL_LOAD_FAILED', `${model}: runs neither with a [N,1,1,1] nor a [N,1,H,W] timestep (${errors.join('; ')})`, {
    details: { model },
  });
}

export interface RifeStats {
  /** Calls of `session.run`. */
  runs: number;
  /** Frames made by the model. */
  frames: number;
  /** Time inside `session.run`. */
  modelMs: number;
  /** The batch size of every run, in order (for tests and the bench). */
  batches: number[];
}

/** Interpolates between two rgb24 frames of a fixed size. */
export class RifeInterpolator {
  readonly padW: number;
  readonly padH: number;
  readonly stats: RifeStats = { runs: 0, frames: 0, modelMs: 0, batches: [] };
  private readonly io: RifeIo;
  private cached: { frame: Uint8Array; planes: Float32Array } | undefined;
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly session: Session,
    private readonly o: { width: number; height: number; timestep: TimestepShape; maxBatch: number; now?: () => number },
  ) {
    this.io = rifeIoNames(session);
    this.padW = Math.ceil(o.width / RIFE_ALIGN) * RIFE_ALIGN;
    this.padH = Math.ceil(o.height / RIFE_ALIGN) * RIFE_ALIGN;
  }

  /** rgb24 → planar float 0..1 at the padded size, edges repeated into the padding. */
  private planes(frame: Uint8Array): Float32Array {
    if (this.cached?.frame === frame) return this.cached.planes;
    const { width, height } = this.o;
    const { padW, padH } = this;
    const plane = padW * padH;
    const out = new Float32Array(3 * plane);
    for (let y = 0; y < padH; y++) {
      const sy = Math.min(y, height - 1);
      for (let x = 0; x < padW; x++) {
        const i = (sy * width + Math.min(x, width - 1)) * 3;
        const o = y * padW + x;
        out[o] = frame[i]! / 255;
        out[plane + o] = frame[i + 1]! / 255;
        out[2 * plane + o] = frame[i + 2]! / 255;
      }
    }
    this.cached = { frame, planes: out };
    return out;
  }

  /** The frames between `a` and `b` at each of `timesteps` (0 < t < 1), rgb24 at the frame size. */
  async between(a: Uint8Array, b: Uint8Array, timesteps: readonly number[], signal?: AbortSignal): Promise<Uint8Array[]> {
    const now = this.o.now ?? (() => performance.now());
    const pa = this.planes(a);
    const pb = this.planes(b);
    const { padW, padH } = this;
    const plane = padW * padH;
    const out: Uint8Array[] = [];
    for (let start = 0; start < timesteps.length; start += this.o.maxBatch) {
      signal?.throwIfAborted();
      const ts = timesteps.slice(start, start + this.o.maxBatch);
      const n = ts.length;
      const img0 = new Float32Array(n * 3 * plane);
      const img1 = new Float32Array(n * 3 * plane);
      for (let k = 0; k < n; k++) {
        img0.set(pa, k * 3 * plane);
        img1.set(pb, k * 3 * plane);
      }
      const step =
        this.o.timestep === 'scalar'
          ? tensor('float32', Float32Array.from(ts), [n, 1, 1, 1])
          : tensor(
              'float32',
              Float32Array.from({ length: n * plane }, (_, i) => ts[Math.floor(i / plane)]!),
              [n, 1, padH, padW],
            );
      const t0 = now();
      // The batch's buffers are this call's alone: a session thread may move them (at 720p the
      // two frames are 22 MB, whose copy was most of the path's cost beside a fast model).
      const feeds = {
        [this.io.img0]: tensor('float32', img0, [n, 3, padH, padW]),
        [this.io.img1]: tensor('float32', img1, [n, 3, padH, padW]),
        [this.io.timestep]: step,
      };
      const run = this.session.run(feeds, { transfer: true });
      this.inFlight = run.catch(() => undefined);
      const res = await run;
      this.stats.modelMs += now() - t0;
      this.stats.runs++;
      this.stats.batches.push(n);
      this.stats.frames += n;
      const y = res[this.io.output];
      const dims = y?.dims ?? [];
      if (!y || dims.join(',') !== `${n},3,${padH},${padW}`) {
        throw new WorkerError('MODEL_LOAD_FAILED', `the interpolation model returned [${dims.join(',')}], not [${n},3,${padH},${padW}]`, {
          details: { dims: [...dims] },
        });
      }
      const data = y.data as Float32Array;
      for (let k = 0; k < n; k++) out.push(this.crop(data, k * 3 * plane));
    }
    return out;
  }

  /** One planar float frame of the batch → rgb24 at the frame size (padding dropped). */
  private crop(data: Float32Array, base: number): Uint8Array {
    const { width, height } = this.o;
    const plane = this.padW * this.padH;
    const rgb = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const s = base + y * this.padW + x;
        const d = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) {
          const v = Math.round(data[s + c * plane]! * 255);
          rgb[d + c] = v < 0 ? 0 : Math.min(v, 255);
        }
      }
    }
    return rgb;
  }

  /** Resolves once the model call in flight (if any) has returned. */
  settled(): Promise<void> {
    return this.inFlight.then(() => undefined);
  }
}
