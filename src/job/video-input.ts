/**
 * @module The video every video task starts from: the payload's source made a local file (under
 * the path, SSRF and size guards of `source.ts`), probed, held to the limits, and trimmed to
 * `duration` when asked. A task that can start decoding before the probe ends (Foley) asks for
 * the probe alongside; the others get the checked facts first.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkerError, isWorkerError } from '../errors.js';
import { inputArgs } from '../media/ffmpeg.js';
import { measureStreamLength } from '../media/measure.js';
import { trimCopy } from '../media/mux.js';
import { probeMedia, type MediaInfo } from '../media/probe.js';
import type { TaskDeps, TaskJob } from './task.js';
import { sourceField, type VideoSource } from './fields.js';
import { checkMediaLimits, checkRequestedDuration } from './limits.js';
import { materializeSource } from './source.js';
import { jobSourceOptions } from './source-options.js';

export interface PreparedVideo {
  /** The file to read (the trimmed copy when `duration` trimmed it). */
  file: string;
  /** Its probe, limits checked; still running when `probeAlongside` was asked. */
  media: Promise<MediaInfo>;
}

export interface PrepareVideoOptions {
  /** Start the probe and return at once (the caller decodes alongside and awaits `media`). */
  probeAlongside?: boolean;
  /** A task's own check of the probed facts (e.g. output size), run with the limits. */
  check?: (media: MediaInfo) => void;
}

/** An unreadable file, or one without a video stream, is the named field's fault: say which. */
function namingField(e: unknown, field: string): unknown {
  if (!isWorkerError(e) || (e.code !== 'NO_VIDEO_STREAM' && e.code !== 'MEDIA_UNREADABLE')) return e;
  const details = typeof e.details === 'object' && e.details !== null ? e.details : {};
  return new WorkerError(e.code, `${field}: ${e.message}`, { cause: e.cause ?? e, details: { field, ...details } });
}

/**
 * Still images by their first bytes. ffmpeg would read one as a one-frame "video"; a video task
 * says what was sent instead. (Animated GIF and WebP are left to ffmpeg: they are moving pictures.)
 */
const IMAGE_MAGIC: ReadonlyArray<[string, (b: Buffer) => boolean]> = [
  ['PNG', (b) => b.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))],
  ['JPEG', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
];

async function refuseImages(file: string, field: string): Promise<void> {
  const fh = await open(file, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(12);
    await fh.read(head, 0, 12, 0);
  } finally {
    await fh.close();
  }
  const kind = IMAGE_MAGIC.find(([, is]) => is(head))?.[0];
  if (kind) {
    throw new WorkerError('MEDIA_UNREADABLE', `${field}: is a ${kind} image, not a video`, {
      details: { field, format: kind.toLowerCase() },
    });
  }
}

export async function prepareVideo(
  input: VideoSource & { duration?: number | undefined },
  job: TaskJob,
  deps: TaskDeps,
  o: PrepareVideoOptions = {},
): Promise<PreparedVideo> {
  const { config } = deps;
  const { limits } = config;
  const bins = deps.binaries();
  const { signal, log } = job.ctx;
  const field = sourceField(input);
  const t0 = performance.now();
  let file = await materializeSource(input, jobSourceOptions(deps, job));
  await refuseImages(file, field);
  let t = job.mark('input', t0);
  const probe = async (path: string): Promise<MediaInfo> => {
    try {
      const m = await probeMedia(path, { ffprobe: bins.ffprobe, signal });
      log.info({ video: m.video, audio: m.audio?.codec, duration: m.duration }, 'probed input');
      return m;
    } catch (e) {
      throw namingField(e, field);
    }
  };
  const check = (m: MediaInfo, duration: number | undefined): MediaInfo => {
    checkRequestedDuration(m, duration);
    checkMediaLimits(m, duration, limits);
    o.check?.(m);
    return m;
  };
  // A file that does not say how long it runs (Matroska or MPEG-TS written to a pipe) is measured
  // before any decode is trusted with it: its packets counted up to the limit, nothing decoded.
  const measured = async (m: MediaInfo): Promise<MediaInfo> => {
    if (m.duration !== undefined) return m;
    const length = await measureStreamLength({
      ffmpeg: bins.ffmpeg,
      input: inputArgs(file),
      stream: 'v',
      capS: limits.maxDurationS + 1,
      signal,
      timeoutMs: config.ffmpegTimeoutMs,
    });
    log.info(
      { seconds: length.seconds, frames: length.packets, longer: length.longer },
      'measured a video that does not declare its length',
    );
    if (length.longer || length.seconds > limits.maxDurationS) {
      throw new WorkerError(
        'VIDEO_TOO_LONG',
        `${field}: the video does not declare its length and runs past the ${limits.maxDurationS}-second limit (MAX_DURATION_S)`,
        {
          details: { field, duration: length.seconds, limit: limits.maxDurationS, ...(length.longer ? { stopped_at_limit: true } : {}) },
        },
      );
    }
    return { ...m, duration: length.seconds, video: { ...m.video, frames: m.video.frames ?? length.packets } };
  };
  if (input.duration !== undefined) {
    // A trim needs the probe first (and the trimmed file its own).
    let media = check(await probe(file), input.duration);
    t = job.mark('probe', t);
    if (media.duration !== undefined && input.duration >= media.duration) {
      job.warnings.push(
        `duration ${input.duration}s is not shorter than the video (${media.duration.toFixed(3)}s): the whole video was used`,
      );
    } else {
      const trimmed = join(job.workDir, 'trimmed.mkv');
      await trimCopy(file, trimmed, input.duration, { ffmpeg: bins.ffmpeg, signal, timeoutMs: config.ffmpegTimeoutMs });
      file = trimmed;
      media = await probe(file);
      job.mark('trim', t);
    }
    return { file, media: Promise.resolve(media) };
  }
  if (!o.probeAlongside) {
    const media = check(await measured(await probe(file)), undefined);
    job.mark('probe', t);
    return { file, media: Promise.resolve(media) };
  }
  const media = probe(file)
    .then(measured)
    .then((m) => {
      job.timings.probe = Math.round(performance.now() - t);
      return check(m, undefined);
    });
  // Awaited by the caller; this only keeps an early failure from counting as unhandled.
  media.catch(() => undefined);
  return { file, media };
}
