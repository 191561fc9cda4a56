/**
 * @module What a Foley engine is: a named algorithm that turns a prepared request (the source, the
 * prompt, the seed, what the senses found, what the delivery wants) into an audio track. The task
 * (src/tasks/foley/task.ts) prepares the request, picks the engine by the payload's `engine`, and
 * masters and delivers whatever track comes back; an engine knows nothing of muxing or delivery.
 * `engine` names the algorithm, `model` the weights: an engine declares the Hub repos (MODELS
 * entries) it needs in `models`, checked against the model registry when the worker starts.
 */
import type { Logger } from 'pino';
import type { InputLimits } from '../../../config.js';
import type { WorkerModels } from '../../../inference/warm-up.js';
import type { MediaBinaries } from '../../../media/binaries.js';
import type { AudioMode } from '../../../media/mux.js';
import type { Orientation } from '../../../media/exif-orientation.js';
import type { MediaInfo } from '../../../media/probe.js';
import type { WavSampleFormat } from '../../../media/wav.js';
import type { ModelsConfig } from '../../../models/options.js';
import { isWorkerError } from '../../../errors.js';
import type { VisionModels } from '../../../vision/models.js';

/** What an engine may use from the worker (the task's deps satisfy it). */
export interface EngineDeps {
  /** What an engine may read of the worker's configuration (a task's configuration has it; no secret does). */
  config: Readonly<{ models: Omit<ModelsConfig, 'token'>; ffmpegTimeoutMs: number; limits: InputLimits }>;
  /** Resolved once per process. */
  binaries: () => MediaBinaries;
  /** The warm-up's registry, sessions and hardware; absent when warm-up failed or did not run. */
  models?: WorkerModels | undefined;
}

/** How the picture is watched: the vision models, and the sampled frames' size and spacing. */
export interface FoleyVision {
  models: VisionModels;
  /** Columns of the sampled RGB frames. */
  width: number;
  /** Seconds between sampled frames (pose runs on each when it runs). */
  everyS: number;
  /** Seconds between object detections. */
  detectEveryS: number;
  /** Follow people's keypoints (heel strikes, hand stops), or only detect what is there. */
  pose: boolean;
  /**
   * With pose: pose runs on frames of a second decode at this size and rate, started only once the
   * detections show someone walking, and only for those who walk (a CPU worker's `pose: "auto"`,
   * vision/pose-pass.ts); absent: pose on every sampled frame for everyone detected.
   */
  poseFrames?: { width: number; everyS: number } | undefined;
  /**
   * Without pose: heel strikes from the feet's own motion in each walker's box, on luma frames of
   * the same decode and size every this many seconds (a CPU worker's `pose: "auto"`,
   * vision/feet-motion.ts).
   */
  feetEveryS?: number | undefined;
}

/** Progress of a render; engines name their own stages. */
export interface FoleyProgress {
  stage: string;
  /** 0..100 within the stage. */
  percent: number;
}

/** One render, prepared by the task. */
export interface FoleyRequest {
  /**
   * The source video: a local file (already trimmed to `duration`), and its probe, possibly still
   * running (an engine may decode alongside; a probe that rejects is the job's error). Absent for
   * a request without a picture (a text-only sound).
   */
  source?: { file: string; media: Promise<MediaInfo> } | undefined;
  /** A still picture instead of a video (`image_*`): its file, the demuxer that reads it, its EXIF orientation. */
  still?: { file: string; format: string; orientation: Orientation } | undefined;
  prompt: string;
  negativePrompt: string;
  /** The same seed and request give the same samples. */
  seed: number;
  /** A learned engine's sampler settings (`steps`, `cfg_strength`); absent: its defaults. Others ignore them. */
  sampling?: { steps?: number | undefined; cfgStrength?: number | undefined } | undefined;
  /** Seconds asked for (`duration`); absent: the source's length. */
  duration?: number | undefined;
  /** What the worker's trained senses give; each absent when it did not run or failed to load. */
  senses: {
    /** The vision models and how to sample frames for them (engines that decode frames run them). */
    vision?: FoleyVision | undefined;
    /**
     * Speech spans of the source's audio (s, on the picture's clock), found alongside the render;
     * resolves to none when there is no speech, no audio or the detection failed.
     */
    speech?: Promise<ReadonlyArray<readonly [number, number]>> | undefined;
  };
  /** What the delivery will do with the track, so an engine can write it as it will be used. */
  output: {
    /** `replace`: the track alone; `mix`: laid over the source's own audio (speech kept audible). */
    mode: AudioMode;
    /** `s16` when the WAV is delivered as it is; `f32` when an encoder reads it. */
    sampleFormat: WavSampleFormat;
    /**
     * Set when the track will be delivered AAC-encoded as it is (MP4/M4A, `replace`). An engine
     * that masters may encode it as delivered and keep the true peak there (and return `encoded`);
     * otherwise the delivery does it.
     */
    aac?: { ffmpeg: string; timeoutMs: number } | undefined;
  };
  /** The job's scratch directory: the track's files go here. */
  workDir: string;
  signal: AbortSignal;
  /** ffmpeg's time limit per run (ms). */
  timeoutMs: number;
  /** Decoding stops with VIDEO_TOO_LONG past these (for files that do not declare a length). */
  limits: { maxFrames: number; maxTimeS: number };
  onProgress: (p: FoleyProgress) => void;
  log: Logger;
}

/** The slice of the job an engine writes to: warnings for the user and its stage timings. */
export interface EngineJob {
  warnings: string[];
  timings: Record<string, number>;
  mark(name: string, since: number): number;
}

/** The rendered track: a WAV, and whether it already keeps the delivery's loudness promise. */
export interface FoleyTrack {
  /** The WAV, at the sample format the request asked for. */
  wav: string;
  /** Seconds of audio: the end of the last video frame when there is a source. */
  durationS: number;
  /**
   * Mastered: already at the delivery's loudness and under its true-peak ceiling (`loudness` says
   * how). Not mastered: the delivery masters it (src/pipelines/foley/master-track.ts).
   */
  mastered: boolean;
  /** With `output.aac`: the AAC encoding of `wav` as delivered, checked, for the mux to copy. */
  encoded?: string | undefined;
  /** A mastered track's loudness fields for the result (`lufs`, `true_peak_dbtp`, …), in order. */
  loudness?: Record<string, unknown> | undefined;
}

export interface FoleyRender {
  track: FoleyTrack;
  /** The engine's own result fields (`seed` included where it wants it), in the order they appear. */
  fields: Record<string, unknown>;
}

/** An engine with what it loaded (sessions, threads): kept by the task across jobs. */
export interface LoadedEngine {
  render(request: FoleyRequest, job: EngineJob): Promise<FoleyRender>;
}

export interface FoleyEngine {
  /** The payload's `engine` value. */
  readonly name: string;
  readonly description: string;
  /** Hub repos (MODELS entries, `org/name`) the engine needs; empty for one without weights. */
  readonly models: readonly string[];
  /** The licence of its weights, in a line (for /health and results); absent for an engine without weights. */
  readonly licence?: string;
  /** Whether it can run on this worker now; otherwise why not, in words for the user. */
  available(deps: EngineDeps): true | string;
  /** Loads what the engine keeps across jobs; called once per worker (again after a failure). */
  load(deps: EngineDeps): Promise<LoadedEngine>;
}

/**
 * Whether every repo in `models` is ready in the worker's registry: true, or the reason (the
 * registry's own MODEL_NOT_AVAILABLE message). The usual `available()` of an engine with weights.
 */
export function modelsReady(engine: Pick<FoleyEngine, 'name' | 'models'>, deps: EngineDeps): true | string {
  if (engine.models.length === 0) return true;
  if (!deps.models) return `engine "${engine.name}" needs ${engine.models.join(', ')}, and this worker's models did not load at start-up`;
  try {
    deps.models.registry.forEngine(engine.name, { [engine.name]: engine.models });
    return true;
  } catch (e) {
    if (isWorkerError(e)) return e.message;
    throw e;
  }
}
