/**
 * @module `task: "interpolate"`: a video in, the same video at a higher frame rate out (×`factor`
 * or to `fps`), the new frames made by a RIFE ONNX model from MODELS or by ffmpeg's
 * motion-compensated interpolation. Scene cuts are never blended across (the frames there repeat
 * the nearer source frame), the duration is kept to a frame, and the audio packets are copied.
 */
import { join } from 'node:path';
import { invalidInput } from '../../util/field-issues.js';
import { prepareVideo } from '../../job/video-input.js';
import { canCopyAudioIntoMp4 } from '../../media/mux.js';
import type { MediaInfo } from '../../media/probe.js';
import { displaySize } from '../../media/probe.js';
import { RifeInterpolator } from '../../pipelines/interpolate/rife-model.js';
import { rateFromFps, rateValue, reduceRate, toRate, type Rate } from '../../pipelines/interpolate/schedule.js';
import { interpolateVideo } from '../../pipelines/interpolate/video.js';
import type { EngineEntry, TaskDefinition } from '../../job/task.js';
import { InterpolateInputSchema, MAX_FPS, type InterpolateInput } from './input.js';
import { createInterpolationModels } from './models.js';
import { retryOnOutOfMemory } from '../../inference/out-of-memory.js';
import { verifiedMp4 } from '../../job/video-output.js';

/** x264 CRF and preset of the result: visually lossless, at a speed that keeps up with the engines. */
export const INTERPOLATE_CRF = 18;
export const INTERPOLATE_PRESET = 'fast';

const ENGINES: readonly EngineEntry[] = [
  { name: 'ffmpeg', models: [], description: "ffmpeg's motion-compensated interpolation (minterpolate), built in" },
];

/** The source's rate, exact when the container says it. */
function sourceRate(media: MediaInfo): Rate {
  if (media.video.rate) {
    try {
      return toRate(media.video.rate);
    } catch {
      // "0/0" and the like: fall through to the nominal fps.
    }
  }
  return reduceRate(Math.round((media.video.fps ?? 25) * 1000), 1000);
}

/** The output rate the payload asks for, refused by field when it is not above the source's. */
function targetRate(input: InterpolateInput, rateIn: Rate): Rate {
  if (input.factor !== undefined) {
    const out = reduceRate(rateIn.num * input.factor, rateIn.den);
    if (rateValue(out) > MAX_FPS) {
      throw invalidInput([
        {
          field: 'factor',
          message:
            `×${input.factor} of ${rateValue(rateIn).toFixed(3)} fps is ${rateValue(out).toFixed(3)} fps, ` +
            `over the ${MAX_FPS} fps limit`,
        },
      ]);
    }
    return out;
  }
  const out = rateFromFps(input.fps!);
  if (!(rateValue(out) > rateValue(rateIn) + 1e-6)) {
    throw invalidInput([{ field: 'fps', message: `must be above the source's ${rateValue(rateIn).toFixed(3)} fps` }]);
  }
  return out;
}

export const interpolateTask: TaskDefinition<InterpolateInput> = {
  name: 'interpolate',
  description: 'frame interpolation to a higher frame rate (RIFE ONNX, or ffmpeg motion compensation)',
  schema: InterpolateInputSchema,
  engines: ENGINES,
  create(deps) {
    const models = createInterpolationModels(deps);
    return async (input, job) => {
      const { config } = deps;
      const { ctx, warnings } = job;
      const bins = deps.binaries();
      // The rates are checked with the probe, before any model load or decoding.
      const { file, media: mediaReady } = await prepareVideo(input, job, deps, { check: (m) => void targetRate(input, sourceRate(m)) });
      const media = await mediaReady;
      const rateIn = sourceRate(media);
      const rateOut = targetRate(input, rateIn);
      const loadStarted = performance.now();
      const engine = await models.resolve(input.model, ctx.log, (m) => warnings.push(m));
      job.mark('model_load', loadStarted);

      const { width, height } = displaySize(media.video);
      if (media.video.variableRate) {
        warnings.push(`the video has a variable frame rate: its frames are taken as evenly spaced at ${rateValue(rateIn).toFixed(3)} fps`);
      }
      const audioCodec = media.audio?.codec;
      const audio = audioCodec === undefined ? 'none' : canCopyAudioIntoMp4(audioCodec) ? 'copy' : 'aac';
      if (audio === 'aac') warnings.push(`${audioCodec} audio cannot be stored in MP4 as it is: re-encoded to AAC`);
      const expected = media.video.frames ?? (media.duration !== undefined ? Math.round(media.duration * rateValue(rateIn)) : undefined);
      const out = join(job.workDir, 'result.mp4');
      const run = (maxBatch: number): ReturnType<typeof interpolateVideo> =>
        interpolateVideo({
          ffmpeg: bins.ffmpeg,
          input: file,
          width,
          height,
          rateIn,
          rateOut,
          engine:
            engine.kind === 'rife'
              ? { kind: 'rife', model: new RifeInterpolator(engine.session, { width, height, timestep: engine.timestep, maxBatch }) }
              : { kind: 'minterpolate' },
          crf: INTERPOLATE_CRF,
          preset: INTERPOLATE_PRESET,
          audio,
          output: out,
          signal: ctx.signal,
          timeoutMs: config.ffmpegTimeoutMs,
          limits: { maxFrames: config.limits.maxFrames },
          onProgress: (source, frames) =>
            ctx.progress({
              stage: 'interpolate',
              frames,
              source_frames: source,
              ...(expected ? { percent: Math.min(100, Math.round((100 * source) / expected)) } : {}),
            }),
        });
      // Out of memory with batched pairs: once more, one frame per run (ffmpeg's engine is not retried).
      const gpu = engine.kind === 'rife' && engine.session.provider === 'cuda' ? ' on the GPU' : '';
      const {
        result,
        size: batch,
        retriedFrom,
      } = engine.kind === 'rife'
        ? await retryOnOutOfMemory({
            size: engine.maxBatch,
            run,
            smaller: (b) => (b > 1 ? 1 : undefined),
            onRetry: (from, _to, e) =>
              ctx.log.warn({ batch: from, reason: (e as Error).message }, 'out of memory: retrying one frame per run'),
            exhausted: (_b, retried) => ({
              message: retried
                ? `out of memory${gpu} interpolating ${width}×${height} frames even one at a time; send a smaller video`
                : `out of memory${gpu} interpolating ${width}×${height} frames one at a time; ` +
                  `send a smaller video${gpu ? ', or use a GPU with more memory' : ''}`,
              details: { width, height },
            }),
          })
        : { result: await run(1), size: 1, retriedFrom: undefined };
      if (retriedFrom !== undefined) warnings.push(`out of memory with ${retriedFrom} frames per model run: ran one at a time`);
      job.timings.interpolate = Math.round(result.wallMs);
      if (engine.kind === 'rife') job.timings.inference = Math.round(result.modelMs);
      return {
        ...(await verifiedMp4(out, job, bins.ffprobe)),
        fields: {
          width: result.width,
          height: result.height,
          fps_in: Number(rateValue(rateIn).toFixed(6)),
          fps_out: Number(rateValue(rateOut).toFixed(6)),
          frames: result.frames,
          source_frames: result.sourceFrames,
          interpolated: result.interpolated,
          cuts: result.cuts,
          model: engine.name,
          ...(engine.kind === 'rife' ? { provider: engine.session.provider, batch, model_runs: result.modelRuns } : {}),
        },
      };
    };
  },
};
