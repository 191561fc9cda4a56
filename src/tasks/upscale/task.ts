/**
 * @module `task: "upscale"`: a video in, the same video `scale` times larger out, through a trained
 * super-resolution model (embedded ESRGAN, or a Real-ESRGAN ONNX repo from MODELS) run in tiles
 * on ONNX Runtime. Every frame is kept, the audio is copied untouched, and the picture is
 * encoded once (H.264, CRF `quality`).
 */
import { join } from 'node:path';
import { WorkerError } from '../../errors.js';
import type { Tier } from '../../hardware/tier.js';
import { invalidInput } from '../../util/field-issues.js';
import { prepareVideo } from '../../job/video-input.js';
import { canCopyAudioIntoMp4 } from '../../media/mux.js';
import { displaySize } from '../../media/probe.js';
import { srModelFromSession } from '../../pipelines/upscale/frame-upscaler.js';
import { upscaleVideo, type UpscaleVideoResult } from '../../pipelines/upscale/video.js';
import type { EngineEntry, TaskDefinition } from '../../job/task.js';
import { UpscaleInputSchema, type UpscaleInput } from './input.js';
import { createSrModelResolver } from './models.js';
import { retryOnOutOfMemory } from '../../inference/out-of-memory.js';
import { EMBEDDED_SR_MODELS } from '../../convert/esrgan.js';
import { verifiedMp4 } from '../../job/video-output.js';

/** Tile side (input pixels) by tier: big tiles waste less on overlap; a GPU's memory sets the cap. */
export const TILE_BY_TIER: Record<Tier, number> = { cpu: 192, 'gpu-small': 256, gpu: 384, 'gpu-large': 512 };
/** Input pixels neighbouring tiles share; the blend ramps across them (no seams). */
export const TILE_OVERLAP = 16;
/**
 * Input pixels mirrored around each frame, so the model sees picture at the edges
 * (+0.15 dB mean, +1.2 dB on flat footage; BENCHMARKS.md).
 */
export const FRAME_PAD = 4;

const ENGINES: readonly EngineEntry[] = Object.entries(EMBEDDED_SR_MODELS).map(([name, m]) => ({
  name,
  models: [],
  description: m.description,
}));

export const upscaleTask: TaskDefinition<UpscaleInput> = {
  name: 'upscale',
  description: 'video super-resolution ×2/×3/×4/×8 with trained models',
  schema: UpscaleInputSchema,
  engines: ENGINES,
  create(deps) {
    const models = createSrModelResolver(deps);
    return async (input, job) => {
      const { config } = deps;
      const { ctx, warnings } = job;
      const bins = deps.binaries();
      const { scale } = input;
      // No model here has a denoise control: refused before any download, probe or model load.
      if (input.denoise !== undefined) {
        throw invalidInput([{ field: 'denoise', message: 'no upscale model on this worker has a denoise control' }]);
      }
      // Output pixels over the limit are refused with the probe, before any decoding.
      const { file, media: mediaReady } = await prepareVideo(input, job, deps, {
        check: (m) => {
          const { width, height } = displaySize(m.video);
          if (width * scale * height * scale > config.limits.maxPixels) {
            throw new WorkerError(
              'VIDEO_TOO_LARGE',
              `the result would be ${width * scale}×${height * scale}, ` +
                `over the ${config.limits.maxPixels}-pixel limit (MAX_PIXELS); ask for a smaller scale`,
              {
                details: { field: 'scale', width: width * scale, height: height * scale, limit: config.limits.maxPixels },
              },
            );
          }
        },
      });
      const media = await mediaReady;
      const loadStarted = performance.now();
      const model = await models.resolve({ model: input.model, scale }, ctx.log, (m) => warnings.push(m));
      job.mark('model_load', loadStarted);

      const { width, height } = displaySize(media.video);
      const firstTile = input.tile ?? TILE_BY_TIER[deps.inference.hardware.tier];
      const rate = media.video.rate ?? (media.video.fps ? String(Math.round(media.video.fps)) : '25');
      if (media.video.variableRate) {
        warnings.push(
          `the video has a variable frame rate: every frame is kept, evenly spaced at ${media.video.fps?.toFixed(3) ?? rate} fps`,
        );
      }
      const audioCodec = media.audio?.codec;
      const audio = audioCodec === undefined ? 'none' : canCopyAudioIntoMp4(audioCodec) ? 'copy' : 'aac';
      if (audio === 'aac') warnings.push(`${audioCodec} audio cannot be stored in MP4 as it is: re-encoded to AAC`);
      const expected =
        media.video.frames ?? (media.duration !== undefined && media.video.fps ? Math.round(media.duration * media.video.fps) : undefined);
      const out = join(job.workDir, 'result.mp4');
      const run = (tileSide: number): Promise<UpscaleVideoResult> =>
        upscaleVideo({
          ffmpeg: bins.ffmpeg,
          input: file,
          width,
          height,
          rate,
          model: srModelFromSession(model.session, { scale: model.scale, maxBatch: model.maxBatch }),
          tile: tileSide,
          overlap: TILE_OVERLAP,
          crf: input.quality,
          colorFix: input.color_fix,
          pad: Math.min(FRAME_PAD, width - 1, height - 1),
          audio,
          output: out,
          signal: ctx.signal,
          timeoutMs: config.ffmpegTimeoutMs,
          limits: { maxFrames: config.limits.maxFrames },
          onProgress: (frames) =>
            ctx.progress({
              stage: 'upscale',
              frames,
              ...(expected ? { percent: Math.min(100, Math.round((100 * frames) / expected)) } : {}),
            }),
        });
      // Out of memory on the device: once more with tiles of a quarter of the pixels.
      const gpu = model.session.provider === 'cuda';
      const {
        result,
        size: tile,
        retriedFrom,
      } = await retryOnOutOfMemory({
        size: firstTile,
        run,
        smaller: (side) => Math.max(32, Math.floor(side / 2)),
        onRetry: (from, to, e) =>
          ctx.log.warn({ tile: from, retryTile: to, reason: (e as Error).message }, 'out of memory: retrying with smaller tiles'),
        exhausted: (side) => ({
          message:
            `out of memory${gpu ? ' on the GPU' : ''} even with ${side}px tiles; ` +
            `send a smaller "tile" or a smaller scale${gpu ? ', or use a GPU with more memory' : ''}`,
          details: { field: 'tile', tile: side },
        }),
      });
      if (retriedFrom !== undefined) warnings.push(`out of memory with ${retriedFrom}px tiles: ran with ${tile}px tiles`);
      job.timings.upscale = Math.round(result.wallMs);
      job.timings.inference = Math.round(result.modelMs);
      return {
        ...(await verifiedMp4(out, job, bins.ffprobe)),
        fields: {
          width: result.width,
          height: result.height,
          frames: result.frames,
          scale,
          model: model.name,
          provider: model.session.provider,
          tile,
          color_fix: input.color_fix,
        },
      };
    };
  },
};
