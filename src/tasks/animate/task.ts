/**
 * @module `task: "animate"`: a still image and an audio track in, a video out that lasts exactly as
 * long as the audio (to a frame), the audio muxed untouched. The camera (a Ken Burns path over
 * the still, pipelines/animate/path.ts) moves with the sound's energy and punches in on its
 * onsets. Rendered frame by frame in TypeScript and streamed into the H.264 encoder.
 */
import { join } from 'node:path';
import { WorkerError } from '../../errors.js';
import { AUDIO_FORMATS, prepareAudio } from '../../job/audio-input.js';
import { prepareImage } from '../../job/image-input.js';
import { canCopyAudioIntoMp4 } from '../../media/mux.js';
import { ENVELOPE_RATE, decodeFrameRms, decodeStill, remuxAudio } from '../../pipelines/animate/media.js';
import { normalizeEnergy, onsets } from '../../pipelines/animate/envelope.js';
import { planPath } from '../../pipelines/animate/path.js';
import { renderAnimation } from '../../pipelines/animate/render.js';
import { salientRegion } from '../../pipelines/animate/saliency.js';
import type { EngineEntry, TaskDefinition } from '../../job/task.js';
import { AnimateInputSchema, DEFAULT_LONG_SIDE, type AnimateInput } from './input.js';
import { verifiedMp4 } from '../../job/video-output.js';

const ENGINES: readonly EngineEntry[] = [
  { name: 'kenburns', models: [], description: 'audio-driven pan and zoom over the still, rendered in TypeScript' },
];

/** x264 settings of the result: a still moving slowly compresses well even at `veryfast`. */
export const ANIMATE_CRF = 20;
export const ANIMATE_PRESET = 'veryfast';
/** The working copy of the still: this much larger than the output at the widest window, so zooming in stays sharp. */
export const WORKING_OVERSCAN = 1.5;

const even = (x: number): number => Math.max(2, 2 * Math.round(x / 2));

/** The result's size: as asked, or from the image's aspect (long side 1280, even sides). */
export function outputSize(
  image: { width: number; height: number },
  width: number | undefined,
  height: number | undefined,
): { width: number; height: number } {
  const aspect = image.width / image.height;
  if (width !== undefined && height !== undefined) return { width, height };
  if (width !== undefined) return { width, height: even(width / aspect) };
  if (height !== undefined) return { width: even(height * aspect), height };
  return aspect >= 1
    ? { width: DEFAULT_LONG_SIDE, height: even(DEFAULT_LONG_SIDE / aspect) }
    : { width: even(DEFAULT_LONG_SIDE * aspect), height: DEFAULT_LONG_SIDE };
}

/** The working copy's size: the widest window (the output's aspect) WORKING_OVERSCAN × the output, never smaller than the image needs. */
export function workingSize(
  image: { width: number; height: number },
  out: { width: number; height: number },
): { width: number; height: number } {
  const aspect = out.width / out.height;
  const baseW = image.width / image.height > aspect ? image.height * aspect : image.width;
  const s = Math.min((WORKING_OVERSCAN * out.width) / baseW, Math.max(1, out.width / baseW));
  return { width: Math.max(2, Math.round(image.width * s)), height: Math.max(2, Math.round(image.height * s)) };
}

export const animateTask: TaskDefinition<AnimateInput> = {
  name: 'animate',
  description: 'a still image and an audio track → a video whose pan and zoom follow the sound',
  schema: AnimateInputSchema,
  engines: ENGINES,
  create(deps) {
    return async (input, job) => {
      const { config } = deps;
      const { ctx, warnings } = job;
      const { limits } = config;
      const bins = deps.binaries();
      const run = { ffmpeg: bins.ffmpeg, signal: ctx.signal, timeoutMs: config.ffmpegTimeoutMs };
      let t = performance.now();
      const image = await prepareImage(input, job, deps);
      const audio = await prepareAudio(input, job, deps);
      t = job.mark('input', t);

      const size = outputSize(image, input.width, input.height);
      if (size.width * size.height > limits.maxPixels) {
        throw new WorkerError(
          'VIDEO_TOO_LARGE',
          `the result would be ${size.width}×${size.height}, over the ${limits.maxPixels}-pixel limit (MAX_PIXELS)`,
          {
            details: { field: 'width', ...size, limit: limits.maxPixels },
          },
        );
      }
      const { fps } = input;
      // Decoded as a stream and stopped at the limits: a track that does not declare its length
      // (raw FLAC, Ogg written to a pipe) is measured here, in memory of one number per frame.
      const maxFramesS = (limits.maxFrames + 0.5) / fps;
      const envelope = await decodeFrameRms(audio.file, AUDIO_FORMATS, {
        ...run,
        field: audio.field,
        fps,
        stopAfterS: Math.min(limits.maxDurationS, maxFramesS) + 1 / ENVELOPE_RATE,
      });
      if (envelope.seconds === 0)
        throw new WorkerError('MEDIA_UNREADABLE', `${audio.field}: the audio stream has no samples`, { details: { field: audio.field } });
      const duration = envelope.seconds;
      if (duration > limits.maxDurationS) {
        const length = envelope.longer ? 'runs past' : `is ${duration.toFixed(1)} s, over`;
        throw new WorkerError(
          'VIDEO_TOO_LONG',
          `${audio.field}: the audio ${length} the ${limits.maxDurationS}-second limit (MAX_DURATION_S)`,
          {
            details: { field: audio.field, duration, limit: limits.maxDurationS, ...(envelope.longer ? { stopped_at_limit: true } : {}) },
          },
        );
      }
      const frames = envelope.rms.length;
      if (frames > limits.maxFrames) {
        throw new WorkerError(
          'VIDEO_TOO_LONG',
          `the result would have ${envelope.longer ? 'more than ' : ''}${frames} frames, ` +
            `over the ${limits.maxFrames}-frame limit (MAX_FRAMES); ask for a lower fps`,
          {
            details: { field: 'fps', frames, limit: limits.maxFrames, ...(envelope.longer ? { stopped_at_limit: true } : {}) },
          },
        );
      }
      const energy = normalizeEnergy(envelope.rms);
      if (energy.silent) warnings.push('the audio is silent: the camera moves at a constant speed, with no punches');
      t = job.mark('audio', t);

      const work = workingSize(image, size);
      const still = await decodeStill(image, work.width, work.height, { ...run, field: image.field });
      const salient = salientRegion(still, work.width, work.height);
      const path = planPath({
        motion: input.motion,
        width: work.width,
        height: work.height,
        aspect: size.width / size.height,
        salient,
        energy: energy.level,
        onsets: onsets(energy.level, fps),
        fps,
        seed: input.seed,
      });
      ctx.log.info({ image, size, work, salient, motion: path.motion, frames }, 'animate plan');
      t = job.mark('plan', t);

      const mode = canCopyAudioIntoMp4(audio.codec) ? 'copy' : 'aac';
      if (mode === 'aac') warnings.push(`${audio.codec} audio cannot be stored in MP4 as it is: re-encoded to AAC`);
      const track = join(job.workDir, 'audio.mka');
      await remuxAudio(audio.file, AUDIO_FORMATS, track, run);
      const out = join(job.workDir, 'result.mp4');
      const result = await renderAnimation({
        ffmpeg: bins.ffmpeg,
        still,
        stillWidth: work.width,
        stillHeight: work.height,
        windows: path.windows,
        width: size.width,
        height: size.height,
        fps,
        audio: { from: track, mode },
        output: out,
        quality: ANIMATE_CRF,
        preset: ANIMATE_PRESET,
        signal: ctx.signal,
        timeoutMs: config.ffmpegTimeoutMs,
        onProgress: (n) => ctx.progress({ stage: 'animate', frames: n, percent: Math.min(100, Math.round((100 * n) / frames)) }),
      });
      job.timings.render = Math.round(result.wallMs);
      job.timings.crop_scale = Math.round(result.renderMs);
      return {
        ...(await verifiedMp4(out, job, bins.ffprobe, frames / fps)),
        fields: { width: size.width, height: size.height, fps, frames: result.frames, motion: path.motion },
      };
    };
  },
};
