/**
 * @module Sound without a video: a still picture (`foley` with `image_*`) or a prompt alone (the
 * `sound` task). The engine renders as it would for a video, without the senses (nothing moves,
 * no source audio to duck under), and the track is mastered and delivered as every Foley track is.
 * A still asked for as MP4 gets its picture held for the track's length (H.264, the picture
 * upright), so a client that always asks for MP4 gets a playable video.
 */
import { join } from 'node:path';
import { WorkerError } from '../../errors.js';
import type { PreparedImage } from '../../job/image-input.js';
import type { TaskDeps, TaskJob, TaskOutput } from '../../job/task.js';
import { uprightFilter } from '../../media/exif-orientation.js';
import { ffmpegNumber, guardedInputArgs, runBinary } from '../../media/ffmpeg.js';
import { probeMedia } from '../../media/probe.js';
import type { FoleyRequest } from '../../pipelines/foley/engines/engine.js';
import type { ReadyEngine, SkippedEngine } from '../../pipelines/foley/engines/select.js';
import type { OutputFormat } from '../../media/mux.js';
import { deliverTrack } from './deliver-track.js';

const MIME = { mp4: 'video/mp4', wav: 'audio/wav', flac: 'audio/flac', m4a: 'audio/mp4' } as const;

export interface PicturelessOptions {
  ready: Promise<ReadyEngine>;
  request: Omit<FoleyRequest, 'source' | 'senses'>;
  format: OutputFormat;
  job: TaskJob;
  deps: TaskDeps;
  /** Says that `auto` passed engines over. */
  skippedWarning: (skipped: readonly SkippedEngine[], ran: string) => string;
  /** The still, prepared (`image_*`); absent for a prompt alone. */
  still?: PreparedImage | undefined;
}

/** The still held for `durationS` seconds as H.264 at 25 fps (even sides, yuv420p). */
async function stillVideo(o: {
  still: PreparedImage;
  durationS: number;
  workDir: string;
  run: { ffmpeg: string; signal: AbortSignal; timeoutMs: number };
}) {
  const out = join(o.workDir, 'still.mp4');
  const upright = uprightFilter(o.still.orientation);
  const filter = [upright, 'scale=trunc(iw/2)*2:trunc(ih/2)*2', 'format=yuv420p'].filter((f) => f !== '').join(',');
  await runBinary(
    o.run.ffmpeg,
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-noautorotate',
      '-loop',
      '1',
      '-framerate',
      '25',
      ...guardedInputArgs(o.still.file, [o.still.format]),
      '-t',
      ffmpegNumber(o.durationS),
      '-vf',
      filter,
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'stillimage',
      '-crf',
      '18',
      '-an',
      '-movflags',
      '+faststart',
      '-y',
      out,
    ],
    o.run,
  );
  return out;
}

export async function renderPictureless(o: PicturelessOptions): Promise<TaskOutput> {
  const { job, deps } = o;
  // Without a picture the length is only what was asked for: held to the worker's limit here.
  const max = deps.config.limits.maxDurationS;
  if ((o.request.duration ?? 0) > max) {
    throw new WorkerError('INVALID_INPUT', `duration: must be at most ${max} seconds on this worker (MAX_DURATION_S)`, {
      details: { field: 'duration', max },
    });
  }
  const { engine, loaded, skipped } = await o.ready;
  if (skipped.length > 0) job.warnings.push(o.skippedWarning(skipped, engine.name));
  const still = o.still ? { file: o.still.file, format: o.still.format, orientation: o.still.orientation } : undefined;
  const { track, fields } = await loaded.render({ ...o.request, still, senses: {} }, job);
  const run = { ffmpeg: deps.binaries().ffmpeg, signal: job.ctx.signal, timeoutMs: deps.config.ffmpegTimeoutMs };
  let source: { file: string; media: Awaited<ReturnType<typeof probeMedia>> } | undefined;
  if (o.still && o.format === 'mp4') {
    const t = performance.now();
    const file = await stillVideo({ still: o.still, durationS: track.durationS, workDir: job.workDir, run });
    source = {
      file,
      media: await probeMedia(file, { ffprobe: deps.binaries().ffprobe, signal: job.ctx.signal, timeoutMs: run.timeoutMs }),
    };
    job.mark('still_video', t);
  }
  const delivered = await deliverTrack({ track, source, format: o.format, mode: 'replace', speech: [], workDir: job.workDir, run, job });
  return {
    file: delivered.file,
    ext: o.format,
    mime: MIME[o.format],
    kind: o.format === 'mp4' ? 'video' : 'audio',
    duration: track.durationS,
    fields: { engine: engine.name, ...fields, loudness: delivered.loudness },
  };
}
