/**
 * Tiling must not change the picture: a model with a local receptive field, run in tiles with
 * enough overlap, gives the untiled result (to 1e-3 on the 0..1 scale, before rounding). The
 * model is a real ONNX graph run by ORT (a random 3×3 convolution then a pixel shuffle, the shape
 * of real SR networks), so the test also covers the NCHW packing and the session wrapper.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWorkerError } from '../../errors.js';
import { createOrtRuntime, type Session } from '../../inference/ort.js';
import { FrameUpscaler, srModelFromSession, type SrModel } from './frame-upscaler.js';
import { planTiles, TileBlender } from './tiles.js';
import { attr, createOnnxGraph } from '../../convert/onnx-graph.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * `layers` 3×3 convolutions (random weights, zero padding; ReLU between) ending in 12 channels,
 * then DepthToSpace ×2: [N,3,H,W] → [N,3,2H,2W], receptive-field radius `layers` input pixels.
 */
function convShuffleX2(layers: number, seed: number): Uint8Array {
  const rnd = rng(seed);
  const g = createOnnxGraph('conv_shuffle_x2');
  g.addInput('input', ['N', 3, 'H', 'W']);
  let prev = 'input';
  let cin = 3;
  for (let l = 0; l < layers; l++) {
    const cout = l === layers - 1 ? 12 : 8;
    g.addInitializer(
      `w${l}`,
      [cout, cin, 3, 3],
      Float32Array.from({ length: cout * cin * 9 }, () => (rnd() - 0.5) * 0.6),
    );
    g.addInitializer(
      `b${l}`,
      [cout],
      Float32Array.from({ length: cout }, () => rnd() * 0.2),
    );
    g.addNode('Conv', [prev, `w${l}`, `b${l}`], [`conv${l}`], {
      attributes: [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])],
    });
    prev = `conv${l}`;
    if (l < layers - 1) {
      g.addNode('Relu', [prev], [`relu${l}`]);
      prev = `relu${l}`;
    }
    cin = cout;
  }
  g.addNode('DepthToSpace', [prev], ['output'], { attributes: [attr.int('blocksize', 2), attr.string('mode', 'CRD')] });
  g.addOutput('output', ['N', 3, 'H2', 'W2']);
  return g.encode({ producerName: 'tiles-test', producerVersion: '1' });
}

function randomFrame(width: number, height: number, seed: number): Uint8Array {
  const rnd = rng(seed);
  return Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rnd() * 256));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Counts model calls and the batch size of each. */
function counting(model: SrModel): SrModel & { calls: number[] } {
  const calls: number[] = [];
  return {
    scale: model.scale,
    maxBatch: model.maxBatch,
    calls,
    run(input, shape, signal) {
      calls.push(shape.n);
      return model.run(input, shape, signal);
    },
  };
}

describe('planTiles', () => {
  it('tiles are one size, inside the image, cover it, and neighbours share at least `overlap` pixels', () => {
    for (const [width, height, tile, overlap] of [
      [70, 46, 16, 4],
      [100, 100, 64, 16],
      [130, 33, 64, 16],
      [120, 120, 64, 30],
      [1920, 1080, 256, 32],
      [17, 9, 8, 7],
    ] as const) {
      const g = planTiles(width, height, tile, overlap);
      expect([g.tileWidth, g.tileHeight]).toEqual([Math.min(tile, width), Math.min(tile, height)]);
      for (const [starts, size, t] of [
        [g.xs, width, g.tileWidth],
        [g.ys, height, g.tileHeight],
      ] as const) {
        expect(starts[0]).toBe(0);
        expect((starts.at(-1) as number) + t).toBe(size);
        for (let k = 1; k < starts.length; k++) {
          const shared = (starts[k - 1] as number) + t - (starts[k] as number);
          expect(shared).toBeGreaterThanOrEqual(overlap);
          expect(shared).toBeLessThan(t);
        }
      }
      expect(g.tiles).toHaveLength(g.xs.length * g.ys.length);
    }
  });

  it('an image smaller than the tile is one tile of the image size', () => {
    const g = planTiles(40, 30, 64, 16);
    expect(g.tiles).toEqual([{ x: 0, y: 0, i: 0, j: 0 }]);
    expect([g.tileWidth, g.tileHeight]).toEqual([40, 30]);
    // Only one axis too small: one row of full-height tiles.
    const h = planTiles(200, 30, 64, 16);
    expect(h.ys).toEqual([0]);
    expect(h.tileHeight).toBe(30);
    expect(h.xs.length).toBeGreaterThan(1);
  });

  it('refuses nonsense', () => {
    expect(() => planTiles(10, 10, 8, 8)).toThrow(RangeError);
    expect(() => planTiles(10, 10, 0, 0)).toThrow(RangeError);
    expect(() => planTiles(10.5, 10, 8, 2)).toThrow(RangeError);
  });
});

describe('TileBlender', () => {
  it('weights are normalised: tiles that all say v blend to v everywhere, for many plans and scales', () => {
    const rnd = rng(7);
    for (let trial = 0; trial < 40; trial++) {
      const width = 5 + Math.floor(rnd() * 90);
      const height = 5 + Math.floor(rnd() * 60);
      const tile = 4 + Math.floor(rnd() * 40);
      const overlap = Math.floor(rnd() * tile);
      const scale = 1 + Math.floor(rnd() * 4);
      const b = new TileBlender(planTiles(width, height, tile, overlap), scale);
      const acc = b.createAccumulator();
      const out = new Float32Array(3 * b.grid.tileWidth * scale * b.grid.tileHeight * scale).fill(0.3);
      b.grid.tiles.forEach((_, k) => {
        b.add(acc, k, out);
      });
      const result = b.toFloat(acc);
      expect({
        width,
        height,
        tile,
        overlap,
        scale,
        err: maxAbsDiff(result, new Float32Array(result.length).fill(0.3)) < 1e-5,
      }).toMatchObject({ err: true });
    }
  });

  it('rounds and clips to bytes', () => {
    const b = new TileBlender(planTiles(2, 1, 8, 0), 1);
    const acc = b.createAccumulator();
    // Planes R, G, B over two pixels: below 0, above 1, NaN, and in range.
    b.add(acc, 0, Float32Array.from([-0.2, 1.3, Number.NaN, 0.5, 0.001, 0.999]));
    expect([...b.toRgb24(acc)]).toEqual([0, 0, 0, 255, 128, 255]);
  });
});

describe('tiled inference equals untiled inference (ORT, local receptive field)', () => {
  const width = 70;
  const height = 46;
  const frame = randomFrame(width, height, 3);
  let radius1: Session;
  let radius2: Session;
  beforeAll(async () => {
    const rt = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });
    [radius1, radius2] = await Promise.all([rt.createSession(convShuffleX2(1, 11)), rt.createSession(convShuffleX2(2, 12))]);
  });
  afterAll(async () => {
    await Promise.all([radius1?.release(), radius2?.release()]);
  });

  /** The model on the whole frame (one tile), and in tiles; planned overlaps must be exactly `overlap`. */
  async function compare({
    session,
    w,
    h,
    tile,
    overlap,
    exact = true,
  }: {
    session: Session;
    w: number;
    h: number;
    tile: number;
    overlap: number;
    exact?: boolean;
  }): Promise<number> {
    const f = randomFrame(w, h, w * h + tile);
    const whole = await new FrameUpscaler({
      model: srModelFromSession(session, { scale: 2, maxBatch: 1 }),
      width: w,
      height: h,
      tile: 512,
      overlap: 0,
    }).upscaleFloat(f);
    expect(whole.length).toBe(3 * w * 2 * h * 2);
    const up = new FrameUpscaler({ model: srModelFromSession(session, { scale: 2, maxBatch: 4 }), width: w, height: h, tile, overlap });
    expect(up.grid.xs.length * up.grid.ys.length).toBeGreaterThan(2);
    if (exact) {
      // Sizes chosen so the even spread leaves no spare pixels: every neighbour pair shares `overlap`.
      for (const starts of [up.grid.xs, up.grid.ys])
        starts.slice(1).forEach((x, k) => {
          expect(x - (starts[k] as number)).toBe(tile - overlap);
        });
    }
    return maxAbsDiff(await up.upscaleFloat(f), whole);
  }

  it('radius 1 (one 3×3 conv), several tile sizes, overlap = 4·radius or more: equal to 1e-3 over the whole frame', async () => {
    for (const [w, h, tile, overlap, exact] of [
      [64, 40, 16, 4, true],
      [62, 48, 20, 6, true],
      [80, 56, 32, 8, true],
      [70, 46, 24, 4, false],
      [70, 46, 45, 4, false],
    ] as const) {
      expect({ w, h, tile, overlap, diff: await compare({ session: radius1, w, h, tile, overlap, exact }) }).toEqual({
        w,
        h,
        tile,
        overlap,
        diff: expect.closeTo(0, 3) as number,
      });
    }
  });

  it(
    'radius 2 (two stacked 3×3 convs): equal with overlap 8; ' + 'not with overlap 4 or 0 (the bound is real, the test has teeth)',
    async () => {
      expect(await compare({ session: radius2, w: 72, h: 40, tile: 24, overlap: 8 })).toBeLessThan(1e-3);
      expect(await compare({ session: radius2, w: 64, h: 44, tile: 24, overlap: 4 })).toBeGreaterThan(1e-2);
      expect(await compare({ session: radius2, w: 72, h: 48, tile: 24, overlap: 0 })).toBeGreaterThan(1e-1);
    },
  );

  it('batches hold at most maxBatch tiles, every tile runs once, and the result does not depend on the batch size', async () => {
    const tile = 16;
    const overlap = 4;
    const tilesPerFrame = planTiles(width, height, tile, overlap).tiles.length;
    expect(tilesPerFrame).toBe(6 * 4);
    let first: Uint8Array | undefined;
    for (const maxBatch of [1, 5, 7, 24, 32]) {
      const model = counting(srModelFromSession(radius1, { scale: 2, maxBatch }));
      const up = new FrameUpscaler({ model, width, height, tile, overlap });
      const rgb = await up.upscaleFrame(frame);
      expect(rgb.length).toBe(width * 2 * height * 2 * 3);
      expect(model.calls.every((n) => n >= 1 && n <= maxBatch)).toBe(true);
      expect(model.calls.reduce((s, n) => s + n, 0)).toBe(tilesPerFrame);
      expect(model.calls).toHaveLength(Math.ceil(tilesPerFrame / maxBatch));
      expect(up.stats).toEqual({ runs: model.calls.length, tiles: tilesPerFrame, tilesPerFrame });
      expect(up.modelMs).toBeGreaterThan(0);
      first ??= rgb;
      expect(Buffer.compare(rgb, first)).toBe(0);
    }
  });

  it('the rgb24 result is the float result rounded and clipped (tiled, and one tile)', async () => {
    for (const tile of [24, 512]) {
      const up = (): FrameUpscaler =>
        new FrameUpscaler({ model: srModelFromSession(radius1, { scale: 2, maxBatch: 4 }), width, height, tile, overlap: 8 });
      const [rgb, float] = await Promise.all([up().upscaleFrame(frame), up().upscaleFloat(frame)]);
      const plane = width * 2 * height * 2;
      let clipped = 0;
      let worst = 0;
      for (let p = 0; p < plane; p++) {
        for (let c = 0; c < 3; c++) {
          const v = (float[c * plane + p] as number) * 255;
          if (v < 0 || v > 255) clipped++;
          worst = Math.max(worst, Math.abs((rgb[3 * p + c] as number) - Math.min(255, Math.max(0, v))));
        }
      }
      expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
      // The random convolution does leave 0..1, so clipping was exercised.
      expect(clipped).toBeGreaterThan(0);
    }
  });

  it('frames smaller than a batch share batches across frames (stream), in order', async () => {
    // 70×46 in 40-pixel tiles: 2×2 = 4 tiles a frame; batches of 6 span frames.
    const frames = [randomFrame(width, height, 21), randomFrame(width, height, 22), randomFrame(width, height, 23)];
    const model = counting(srModelFromSession(radius1, { scale: 2, maxBatch: 6 }));
    const up = new FrameUpscaler({ model, width, height, tile: 40, overlap: 8 });
    async function* source(): AsyncGenerator<Uint8Array> {
      yield* frames;
    }
    const out: Uint8Array[] = [];
    for await (const rgb of up.stream(source())) out.push(rgb);
    expect(model.calls).toEqual([6, 6]);
    // Same bytes as each frame done on its own.
    for (const [k, f] of frames.entries()) {
      const alone = await new FrameUpscaler({
        model: srModelFromSession(radius1, { scale: 2, maxBatch: 1 }),
        width,
        height,
        tile: 40,
        overlap: 8,
      }).upscaleFrame(f);
      expect(Buffer.compare(out[k] as Uint8Array, alone)).toBe(0);
    }

    // One tile a frame: frames are read straight from the model's output (no accumulator), two
    // to a batch, while the next batch runs; nothing may be overwritten.
    const whole = counting(srModelFromSession(radius1, { scale: 2, maxBatch: 2 }));
    const single: Uint8Array[] = [];
    for await (const rgb of new FrameUpscaler({ model: whole, width, height, tile: 512, overlap: 8 }).stream(source())) single.push(rgb);
    expect(whole.calls).toEqual([2, 1]);
    for (const [k, f] of frames.entries()) {
      const alone = await new FrameUpscaler({
        model: srModelFromSession(radius1, { scale: 2, maxBatch: 1 }),
        width,
        height,
        tile: 512,
        overlap: 0,
      }).upscaleFrame(f);
      expect(Buffer.compare(single[k] as Uint8Array, alone)).toBe(0);
    }
  });

  it('a session with one input and one output runs whatever their names; one with two unnamed inputs is refused', async () => {
    const rt = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });
    const graph = (inputs: string[], op: string): Uint8Array => {
      const g = createOnnxGraph('g');
      for (const name of inputs) g.addInput(name, ['N', 3, 'H', 'W']);
      g.addNode(op, inputs, ['y']);
      g.addOutput('y', ['N', 3, 'H', 'W']);
      return g.encode({ producerName: 'tiles-test', producerVersion: '1' });
    };
    const [renamed, twoInputs] = await Promise.all([
      rt.createSession(graph(['x'], 'Identity')),
      rt.createSession(graph(['a', 'b'], 'Add')),
    ]);
    try {
      const x = Float32Array.from({ length: 12 }, (_, i) => i / 12);
      expect(Array.from(await srModelFromSession(renamed, { scale: 1, maxBatch: 1 }).run(x, { n: 1, h: 2, w: 2 }))).toEqual(Array.from(x));
      expect(() => srModelFromSession(twoInputs, { scale: 1, maxBatch: 1 })).toThrow(
        expect.objectContaining({ code: 'MODEL_LOAD_FAILED' }) as Error,
      );
    } finally {
      await Promise.all([renamed.release(), twoInputs.release()]);
    }
  });

  it('a model whose output has the wrong size fails the frame, it does not corrupt it', async () => {
    const liar: SrModel = { scale: 2, maxBatch: 1, run: async (_x, { n, h, w }) => new Float32Array(n * 3 * h * w) };
    const e = await new FrameUpscaler({ model: liar, width, height, tile: 32, overlap: 8 }).upscaleFrame(frame).catch((x: unknown) => x);
    expect(isWorkerError(e) && e.code).toBe('INTERNAL');
  });
});

describe('mirrored frame border (pad)', () => {
  /** Nearest ×s in JS: the right answer is each source pixel as an s×s block. */
  const nearest = (s: number): SrModel => ({
    scale: s,
    maxBatch: 2,
    run: async (x, { n, h, w }) => {
      const out = new Float32Array(n * 3 * h * s * w * s);
      for (let k = 0; k < n * 3; k++)
        for (let Y = 0; Y < h * s; Y++)
          for (let X = 0; X < w * s; X++)
            out[(k * h * s + Y) * w * s + X] = x[(k * h + Math.floor(Y / s)) * w + Math.floor(X / s)] as number;
      return out;
    },
  });

  it('the model sees the mirrored border, and the output is exactly the frame, not the border', async () => {
    const [w, h, s] = [37, 23, 3];
    const frame = randomFrame(w, h, 5);
    const calls: number[][] = [];
    const inner = nearest(s);
    const model: SrModel = {
      ...inner,
      run: (x, shape) => {
        calls.push([shape.h, shape.w]);
        return inner.run(x, shape);
      },
    };
    const up = new FrameUpscaler({ model, width: w, height: h, tile: 16, overlap: 4, pad: 4 });
    expect([up.outWidth, up.outHeight]).toEqual([w * s, h * s]);
    const out = await up.upscaleFrame(frame);
    const want = new Uint8Array(w * s * h * s * 3);
    for (let Y = 0; Y < h * s; Y++)
      for (let X = 0; X < w * s; X++)
        want.set(
          frame.subarray((Math.floor(Y / s) * w + Math.floor(X / s)) * 3, (Math.floor(Y / s) * w + Math.floor(X / s)) * 3 + 3),
          (Y * w * s + X) * 3,
        );
    expect(Buffer.from(out).equals(Buffer.from(want))).toBe(true);
    // The tiles cover the padded frame (45×31), more than the frame alone would need.
    expect(up.grid.width).toBe(w + 8);
    expect(up.grid.height).toBe(h + 8);
    const float = await new FrameUpscaler({ model: inner, width: w, height: h, tile: 16, overlap: 4, pad: 4 }).upscaleFloat(frame);
    expect(float).toHaveLength(3 * w * s * h * s);
    expect(Math.round((float[0] as number) * 255)).toBe(frame[0]);
  });

  it('refuses a pad as large as the frame', () => {
    expect(() => new FrameUpscaler({ model: nearest(2), width: 8, height: 4, tile: 16, overlap: 4, pad: 4 })).toThrow(RangeError);
  });
});
