/**
 * @module The one place that joins the RunPod side and the media side: validate the payload, get
 * the video, run the engine, mux, deliver, and describe what was done. Scratch files live in a
 * per-job directory removed when the job ends, success or failure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { WorkerError } from '../errors.js';
import type { MediaBinaries } from '../media/binaries.js';
import { canCopyIntoMp4, mux, trimCopy } from '../media/mux.js';
import { probeMedia, type MediaInfo } from '../media/probe.js';
import { prepareProceduralFoley, runProceduralFoley } from '../pipelines/foley/procedural.js';
import { randomSeed } from '../pipelines/foley/rng.js';
import type { Handler, JobContext } from '../runtime/types.js';
import { deliver } from './deliver.js';
import { parseJobInput, type JobInput } from './input.js';
import { checkMediaLimits } from './limits.js';
import { materializeSource } from './source.js';
import type { AddressPolicy } from '../storage/address-policy.js';
import type { Resolver } from '../storage/download.js';

export interface FoleyResult {
  video_url?: string;
  audio_url?: string;
  /** ISO time when the presigned URL stops working. */
  url_expires_at?: string;
  video_path?: string;
  video_base64?: string;
  audio_path?: string;
  audio_base64?: string;
  mime: string;
  bytes: number;
  /** Seconds of media in the result. */
  duration: number;
  engine: string;
  preset: string;
  seed: number;
  /** Onsets the engine heard in the picture (each got a transient). */
  events: number;
  /** What mastering did: integrated loudness (LUFS), true peak (dBTP), gains (dB), the rule that set them. */
  loudness: { lufs: number; true_peak_dbtp: number; events_gain_db: number; bed_gain_db: number; rule: string; bed_capped: boolean };
  timings_ms: Record<string, number>;
  warnings: string[];
  /** The worker that ran the job: hardware tier, execution provider, GPUs, models (absent if warm-up failed). */
  metadata?: unknown;
}

const MIME = { mp4: 'video/mp4', wav: 'audio/wav', flac: 'audio/flac', m4a: 'audio/mp4' } as const;

/** Engines this build can run; `auto` resolves to the best available. */
export const ENGINES = ['procedural'] as const;

function chooseEngine(requested: string): (typeof ENGINES)[number] {
  if (requested === 'auto' || requested === 'procedural') return 'procedural';
  throw new WorkerError('ENGINE_NOT_AVAILABLE', `engine: "${requested}" is not available; available: auto, ${ENGINES.join(', ')}`, {
    details: { field: 'engine', available: ['auto', ...ENGINES] },
  });
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Job ids come from the platform; keep only what is safe in a file name. */
function safeName(id: string): string {
  return id.replace(/[^\w.-]/g, '_').slice(0, 120) || 'job';
}

export interface FoleyHandlerDeps {
  config: Readonly<Config>;
  /** Resolved once per process; a failure becomes the job's FFMPEG_NOT_FOUND error. */
  binaries: () => MediaBinaries;
  /** What the worker is (hardware tier, provider, models), copied into every result's `metadata`. */
  describeWorker?: () => unknown;
  /** Overrides for URL inputs (tests): which addresses may be reached, and how names resolve. */
  download?: { policy?: AddressPolicy; resolve?: Resolver };
}

export async function runFoleyJob(input: JobInput, ctx: JobContext, deps: FoleyHandlerDeps): Promise<FoleyResult> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number): number => {
    const now = performance.now();
    timings[name] = Math.round(now - since);
    return now;
  };
  const { config } = deps;
  const engine = chooseEngine(input.engine);
  const bins = deps.binaries();
  const warnings: string[] = [];
  const workDir = await mkdtemp(join(config.workDir, 'foley-job-'));
  try {
    const { limits } = config;
    let file = await materializeSource(input, {
      roots: [config.volumeDir, config.samplesDir],
      workDir,
      maxInputBytes: config.maxInputBytes,
      download: {
        allowPrivate: limits.allowPrivateUrls,
        timeoutMs: limits.downloadTimeoutMs,
        connectTimeoutMs: limits.connectTimeoutMs,
        maxRedirects: limits.maxRedirects,
        ...deps.download,
      },
      signal: ctx.signal,
    });
    let t = lap('input', t0);
    const probe = async (path: string): Promise<MediaInfo> => {
      const m = await probeMedia(path, { ffprobe: bins.ffprobe, signal: ctx.signal });
      ctx.log.info({ video: m.video, audio: m.audio?.codec, duration: m.duration }, 'probed input');
      return m;
    };
    let mediaReady: Promise<MediaInfo>;
    if (input.duration !== undefined) {
      // A trim needs the probe first (and the trimmed file its own).
      let media = await probe(file);
      t = lap('probe', t);
      checkMediaLimits(media, input.duration, limits);
      if (media.duration !== undefined && input.duration >= media.duration) {
        warnings.push(`duration ${input.duration}s is not shorter than the video (${media.duration.toFixed(3)}s): the whole video was used`);
      } else {
        const trimmed = join(workDir, 'trimmed.mkv');
        await trimCopy(file, trimmed, input.duration, { ffmpeg: bins.ffmpeg, signal: ctx.signal, timeoutMs: config.ffmpegTimeoutMs });
        file = trimmed;
        media = await probe(file);
        t = lap('trim', t);
      }
      mediaReady = Promise.resolve(media);
    } else {
      // The probe runs alongside the decode: the engine starts decoding at once, and stops with
      // the probe's error if the file is unreadable or over a limit.
      const probeStart = t;
      mediaReady = probe(file).then((m) => {
        timings.probe = Math.round(performance.now() - probeStart);
        checkMediaLimits(m, undefined, limits);
        return m;
      });
      // Awaited below (and by the engine); this only keeps an early failure from counting as unhandled.
      mediaReady.catch(() => undefined);
    }
    const seed = input.seed ?? randomSeed();
    const format = input.output_format;
    // A WAV of the new track alone is what the engine writes: no remux through ffmpeg.
    const engineWritesOutput = format === 'wav' && input.audio_mode === 'replace';
    const foley = await runProceduralFoley({
      ffmpeg: bins.ffmpeg,
      file,
      media: mediaReady,
      prompt: input.prompt,
      negativePrompt: input.negative_prompt,
      seed,
      workDir,
      sampleFormat: engineWritesOutput ? 's16' : 'f32',
      signal: ctx.signal,
      timeoutMs: config.ffmpegTimeoutMs,
      limits: { maxFrames: limits.maxFrames, maxTimeS: limits.maxDurationS },
      onProgress: (p) => ctx.progress({ stage: p.stage, percent: p.percent }),
    });
    const media = await mediaReady;
    timings.analysis = foley.timingsMs.analysis;
    timings.synthesis = foley.timingsMs.synthesis;
    t = performance.now();
    if (foley.frames === 0) throw new WorkerError('MEDIA_UNREADABLE', 'no video frame could be decoded');

    if (format === 'mp4' && !canCopyIntoMp4(media.video.codec)) {
      warnings.push(`${media.video.codec} video cannot be stored in MP4 as it is: re-encoded to H.264`);
    }
    if (input.audio_mode === 'mix' && !media.audio) warnings.push('audio_mode "mix": the input has no audio track, so the new track is alone');
    let out = foley.wavPath;
    if (!engineWritesOutput) {
      out = join(workDir, `result.${format}`);
      await mux(
        {
          video: file,
          audio: foley.wavPath,
          out,
          format,
          mode: input.audio_mode,
          videoCodec: media.video.codec,
          sourceHasAudio: media.audio !== undefined,
        },
        { ffmpeg: bins.ffmpeg, signal: ctx.signal, timeoutMs: config.ffmpegTimeoutMs },
      );
      t = lap('mux', t);
    }

    const delivered = await deliver({
      file: out,
      jobId: safeName(ctx.id),
      name: `${safeName(ctx.id)}.${format}`,
      contentType: MIME[format],
      delivery: input.delivery,
      mode: ctx.mode,
      outputDir: config.outputDir,
      maxBase64Bytes: config.maxBase64Bytes,
      bucket: config.bucket,
      signal: ctx.signal,
    });
    lap('deliver', t);
    lap('total', t0);
    const prefix = format === 'mp4' ? 'video' : 'audio';
    const where =
      delivered.kind === 'url'
        ? { [`${prefix}_url`]: delivered.url, url_expires_at: delivered.expiresAt }
        : delivered.kind === 'path'
          ? { [`${prefix}_path`]: delivered.path }
          : { [`${prefix}_base64`]: delivered.base64 };
    return {
      ...where,
      mime: MIME[format],
      bytes: delivered.bytes,
      duration: Number(foley.durationS.toFixed(3)),
      engine,
      preset: foley.preset,
      seed,
      events: foley.onsets,
      loudness: {
        lufs: round2(foley.mastering.loudnessLufs),
        true_peak_dbtp: round2(foley.mastering.truePeakDbtp),
        events_gain_db: round2(foley.mastering.eventsGainDb),
        bed_gain_db: round2(foley.mastering.bedGainDb),
        rule: foley.mastering.rule,
        bed_capped: foley.mastering.bedCapped,
      },
      timings_ms: timings,
      warnings,
      ...(deps.describeWorker ? { metadata: deps.describeWorker() } : {}),
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The RunPod handler for Foley jobs. */
export function createFoleyHandler(deps: FoleyHandlerDeps): Handler {
  prepareProceduralFoley();
  return async (job, ctx) => runFoleyJob(parseJobInput(job.input), ctx, deps);
}
