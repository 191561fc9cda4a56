/**
 * @module The built-in procedural Foley engine: decode small frames → motion analysis → DSP
 * synthesis and mastering → a float WAV the length of the video. Needs no weights, runs on any
 * CPU, and streams both ends (frames in, audio blocks out), so memory does not grow with length.
 */
import { join } from 'node:path';
import { streamGrayFrames } from '../../media/frames.js';
import type { MediaInfo } from '../../media/probe.js';
import type { WavSampleFormat } from '../../media/wav.js';
import { MotionAnalyzer, type AnalysisResult } from './analysis.js';
import { choosePreset, type PresetName } from './presets.js';
import { prestartSynthWorker, startSynthRunner } from './synth-worker.js';

export interface FoleyProgress {
  stage: 'analysis' | 'synthesis';
  /** 0..100 within the stage. */
  percent: number;
}

export interface ProceduralFoleyOptions {
  ffmpeg: string;
  file: string;
  /**
   * What the probe says of the file, or the probe still running: decoding starts without it, and
   * a probe that fails (or a limit it trips) stops the decode and fails the job with its error.
   */
  media: MediaInfo | Promise<MediaInfo>;
  prompt: string;
  negativePrompt: string;
  seed: number;
  /** Directory the WAV is written to. */
  workDir: string;
  /** 32-bit float WAV (default: for an encoder to read) or 16-bit PCM (a WAV to deliver as it is). */
  sampleFormat?: WavSampleFormat;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** Decoding stops with VIDEO_TOO_LONG past these (for files that do not declare a length). */
  limits?: { maxFrames: number; maxTimeS: number };
  onProgress?: (p: FoleyProgress) => void;
}

export interface ProceduralFoleyResult {
  wavPath: string;
  preset: PresetName;
  /** Length of the audio (s): the end of the last video frame. */
  durationS: number;
  frames: number;
  onsets: number;
  cuts: number;
  analysis: AnalysisResult;
  /** What mastering did: output loudness (LUFS), true peak (dBTP), gain (dB) and the rule that set it. */
  mastering: { loudnessLufs: number; truePeakDbtp: number; eventsGainDb: number; bedGainDb: number; rule: string; bedCapped: boolean };
  timingsMs: { analysis: number; synthesis: number };
}

/** Gets the engine's synthesis thread going before the first job (optional: jobs start one themselves). */
export function prepareProceduralFoley(): void {
  prestartSynthWorker();
}

export async function runProceduralFoley(o: ProceduralFoleyOptions): Promise<ProceduralFoleyResult> {
  const runner = startSynthRunner();
  try {
    return await analyseAndRender(o, runner);
  } finally {
    await runner.close();
  }
}

async function analyseAndRender(o: ProceduralFoleyOptions, runner: ReturnType<typeof startSynthRunner>): Promise<ProceduralFoleyResult> {
  const t0 = performance.now();
  // The decode starts at once; the probe may still be running. If it fails (unreadable, over a
  // limit), the decode is stopped and the probe's error is the job's.
  const stopDecoding = new AbortController();
  let expected = 0;
  let mediaFailed: { error: unknown } | undefined;
  const mediaReady = Promise.resolve(o.media).then(
    (media) => {
      expected = media.video.fps && media.duration ? media.video.fps * media.duration : 0;
    },
    (error: unknown) => {
      mediaFailed = { error };
      stopDecoding.abort(error);
    },
  );
  let analyzer: MotionAnalyzer | undefined;
  let lastReport = 0;
  let decoded: Awaited<ReturnType<typeof streamGrayFrames>>;
  try {
    decoded = await streamGrayFrames({
      ffmpeg: o.ffmpeg,
      file: o.file,
      chroma: true,
      signal: o.signal ? AbortSignal.any([o.signal, stopDecoding.signal]) : stopDecoding.signal,
      timeoutMs: o.timeoutMs,
      limits: o.limits,
      onSize: (size) => {
        analyzer = new MotionAnalyzer(size.width, size.height);
      },
      onFrame: (frame, index, time) => {
        (analyzer as MotionAnalyzer).push(frame, time);
        if (expected > 0 && index - lastReport >= 50) {
          lastReport = index;
          o.onProgress?.({ stage: 'analysis', percent: Math.min(99, Math.round((100 * index) / expected)) });
        }
      },
    });
  } catch (e) {
    await mediaReady;
    throw mediaFailed ? mediaFailed.error : e;
  }
  // Nothing is synthesised before the probe has passed the video.
  await mediaReady;
  if (mediaFailed) throw mediaFailed.error;
  const { times, frameCount } = decoded;
  o.onProgress?.({ stage: 'analysis', percent: 100 });
  const analysis = (analyzer ?? new MotionAnalyzer(64, 2)).finish(times);
  const t1 = performance.now();
  const preset = choosePreset(o.prompt, o.negativePrompt);
  const durationS = analysis.duration;
  const wavPath = join(o.workDir, 'foley.wav');
  let lastPercent = -10;
  const report = await runner.render(
    { analysis, preset, seed: o.seed, durationS, wavPath, sampleFormat: o.sampleFormat ?? 'f32' },
    {
      signal: o.signal,
      onProgress: (percent) => {
        // Every 5 % is plenty for a progress bar and keeps the platform's update calls few.
        if (percent - lastPercent >= 5 && percent < 100) {
          lastPercent = percent;
          o.onProgress?.({ stage: 'synthesis', percent });
        }
      },
    },
  );
  o.onProgress?.({ stage: 'synthesis', percent: 100 });
  const t2 = performance.now();
  return {
    wavPath,
    preset: preset.name,
    durationS,
    frames: frameCount,
    onsets: analysis.onsets.length,
    cuts: analysis.cuts.length,
    analysis,
    mastering: {
      loudnessLufs: report.loudnessLufs,
      truePeakDbtp: report.truePeakDbtp,
      eventsGainDb: report.gain.eventsDb,
      bedGainDb: report.gain.bedDb,
      rule: report.gain.rule,
      bedCapped: report.gain.bedCapped,
    },
    timingsMs: { analysis: Math.round(t1 - t0), synthesis: Math.round(t2 - t1) },
  };
}
