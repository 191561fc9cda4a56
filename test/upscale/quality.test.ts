/**
 * Super-resolution quality on real footage (Debian's opencv-doc, and ../shared/media when it is
 * beside the repo): crops shrunk ×2 with bicubic, upscaled ×2 by the model `auto` picks (on a CPU
 * worker and on a GPU worker) in tiles, with the colour fix and the mirrored frame border, as a job does, and scored against
 * the original next to bicubic's upscale. PSNR, SSIM and sharpness are printed per source; the
 * test fails when the model is more than 0.5 dB PSNR below bicubic over the footage. The bench
 * (`npm run bench upscale`) covers every model and scale.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedSrModel } from '../../src/convert/esrgan.js';
import { createOrtRuntime } from '../../src/inference/ort.js';
import { srModelFromSession } from '../../src/pipelines/upscale/frame-upscaler.js';
import { DEFAULT_EMBEDDED } from '../../src/tasks/upscale/models.js';
import { FRAME_PAD, TILE_OVERLAP } from '../../src/tasks/upscale/task.js';
import { OPENCV_DATA, realFootage, scoreSr, srSamples, type SrSample } from '../../bench/sr-footage.js';
import { binaries, SHARED_MEDIA } from '../helpers/media.js';

// ../shared/media where the tests find it (FOLEY_TEST_SHARED_MEDIA moves it); opencv-doc's footage is always required.
const footage = realFootage({ shared: SHARED_MEDIA });
let dir: string;
const samples = new Map<string, SrSample[]>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sr-quality-'));
  for (const source of footage) samples.set(source.name, await srSamples(binaries().ffmpeg, source, { scale: 2, width: 192, height: 144 }));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('super-resolution ×2 against bicubic on real footage', () => {
  it('has real footage to work on (apt install opencv-doc), frames with something in them', () => {
    expect(
      footage.map((f) => f.name),
      `no footage under ${OPENCV_DATA}`,
    ).toEqual(expect.arrayContaining(['vtest.avi', 'Megamind.avi', 'baboon.jpg']));
    for (const source of footage) {
      expect(samples.get(source.name), source.name).toHaveLength(source.frames);
    }
  });

  it.each([
    ['cpu', DEFAULT_EMBEDDED.cpu],
    ['gpu', DEFAULT_EMBEDDED.gpu],
  ] as const)(
    'the %s default (%s) is not below bicubic by more than 0.5 dB PSNR',
    async (_tier, name) => {
      const session = await createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' }).createSession(
        (await loadEmbeddedSrModel(name, 2, { cacheDir: dir })).path,
      );
      try {
        const model = srModelFromSession(session, { scale: 2, maxBatch: 1 });
        const deltas: number[] = [];
        for (const source of footage) {
          // 64-pixel tiles: the crops are tiled and blended as in a job.
          const s = await scoreSr(model, samples.get(source.name) ?? [], {
            tile: 64,
            overlap: TILE_OVERLAP,
            colorFix: true,
            pad: FRAME_PAD,
          });
          expect(s.sharpOriginal, `${source.name}: a flat frame says nothing`).toBeGreaterThan(20);
          deltas.push(s.psnrModel - s.psnrBicubic);
          console.log(
            `${name} ${source.name}: PSNR ${s.psnrModel.toFixed(2)} dB (bicubic ${s.psnrBicubic.toFixed(2)}), ` +
              `SSIM ${s.ssimModel.toFixed(3)} (bicubic ${s.ssimBicubic.toFixed(3)}), ` +
              `sharpness ${s.sharpModel.toFixed(1)} (bicubic ${s.sharpBicubic.toFixed(1)}, original ${s.sharpOriginal.toFixed(1)})`,
          );
        }
        const mean = deltas.reduce((a, b) => a + b, 0) / deltas.length;
        console.log(`${name}: mean ${mean.toFixed(2)} dB over bicubic on ${deltas.length} sources`);
        expect(mean).toBeGreaterThan(-0.5);
      } finally {
        await session.release();
      }
    },
    120_000,
  );
});
