/**
 * @module Refuses videos the worker should not spend a GPU-second on: too many pixels, too long,
 * too many frames, as soon as the probe has read them (the analysis decode may have started
 * alongside; it is stopped). A `duration` trim counts: a long video is fine when only its start
 * is asked for.
 */
import type { Config, InputLimits } from '../config.js';
import { WorkerError } from '../errors.js';
import type { MediaInfo } from '../media/probe.js';

export function checkMediaLimits(media: MediaInfo, requestedDurationS: number | undefined, limits: InputLimits): void {
  const { width, height, fps } = media.video;
  if (width * height > limits.maxPixels) {
    throw new WorkerError('VIDEO_TOO_LARGE', `the video is ${width}×${height}, over the ${limits.maxPixels}-pixel limit (MAX_PIXELS)`, {
      details: { width, height, limit: limits.maxPixels },
    });
  }
  const duration =
    requestedDurationS !== undefined && media.duration !== undefined
      ? Math.min(requestedDurationS, media.duration)
      : (requestedDurationS ?? media.duration);
  if (duration !== undefined && duration > limits.maxDurationS) {
    throw new WorkerError(
      'VIDEO_TOO_LONG',
      `the video is ${duration.toFixed(1)} s, over the ${limits.maxDurationS}-second limit (MAX_DURATION_S); send a shorter "duration"`,
      {
        details: { duration, limit: limits.maxDurationS },
      },
    );
  }
  const frames = duration !== undefined && fps !== undefined ? Math.ceil(duration * fps) : media.video.frames;
  if (frames !== undefined && frames > limits.maxFrames) {
    throw new WorkerError('VIDEO_TOO_LONG', `the video has about ${frames} frames, over the ${limits.maxFrames}-frame limit (MAX_FRAMES)`, {
      details: { frames, limit: limits.maxFrames },
    });
  }
}

/**
 * A `duration` that does not reach the video's first frame cuts nothing a task could use: refused
 * naming the field (ffmpeg would take a tiny trim for an empty file, or fail on the number).
 */
export function checkRequestedDuration(media: MediaInfo, requestedDurationS: number | undefined): void {
  if (requestedDurationS === undefined) return;
  const frameS = media.video.fps ? 1 / media.video.fps : 0.001;
  if (requestedDurationS < frameS) {
    const rate = media.video.fps ? ` at ${Math.round(media.video.fps * 1000) / 1000} fps` : '';
    throw new WorkerError(
      'INVALID_INPUT',
      `invalid input: duration: ${requestedDurationS} s is shorter than one frame of the video (${frameS.toFixed(3)} s${rate})`,
      {
        details: {
          field: 'duration',
          issues: [{ field: 'duration', message: `must be at least one frame (${frameS.toFixed(3)} s${rate})` }],
          duration: requestedDurationS,
          frame_s: frameS,
        },
      },
    );
  }
}

/** What a client may send and get back, for `/health` (the playground warns against these before sending). */
export interface PublicLimits {
  max_input_bytes: number;
  max_base64_bytes: number;
  max_duration_s: number;
  max_pixels: number;
  max_frames: number;
}

export function publicLimits(config: Pick<Config, 'maxInputBytes' | 'maxBase64Bytes' | 'limits'>): PublicLimits {
  return {
    max_input_bytes: config.maxInputBytes,
    max_base64_bytes: config.maxBase64Bytes,
    max_duration_s: config.limits.maxDurationS,
    max_pixels: config.limits.maxPixels,
    max_frames: config.limits.maxFrames,
  };
}
