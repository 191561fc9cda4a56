/**
 * @module The procedural engine's pipeline: decode small frames → motion analysis → DSP
 * synthesis and mastering → a float WAV the length of the video (index.ts makes it a FoleyEngine). Needs no weights, runs on any
 * CPU, and streams both ends (frames in, audio blocks out), so memory does not grow with length.
 */
import { join } from 'node:path';
import { streamGrayFrames, type GrayFrameSize } from '../../../../media/frames.js';
import type { MediaInfo } from '../../../../media/probe.js';
import type { WavSampleFormat } from '../../../../media/wav.js';
import { MotionAnalyzer, type AnalysisResult } from '../../analysis.js';
import type { PresetName } from '../../presets.js';
import { readPrompt } from '../../prompt.js';
import { thinEventsInSpeech } from '../../speech/thin.js';
import { prestartSynthWorker, startSynthRunner } from '../../synth-worker.js';
import { type Contact, footContacts, handContacts } from '../../vision/contacts.js';
import { eventsFromContacts, type EventSource } from '../../vision/events.js';
import { chooseSound } from '../../vision/choose-sound.js';
import { mergeSeen, type SeenSpan } from '../../vision/labels.js';
import { trackPeople } from '../../vision/tracks.js';
import { FeetMotion } from '../../vision/feet-motion.js';
import { decodeForPose, PosePass, type PosePassResult } from '../../vision/pose-pass.js';
import { VisionWatcher, type VisionWatch } from '../../vision/watch.js';
import type { Box } from '../../../../vision/types.js';
import type { FoleyVision } from '../engine.js';

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
  /** Trained vision models to watch the picture with (absent: motion alone, as without them). */
  vision?: FoleyVision | undefined;
  /**
   * The track will be delivered AAC-encoded as it is (MP4/M4A, `replace`): encode it as delivered,
   * measure, and turn it down until the true peak keeps its promise there (dsp/aac-check.ts).
   */
  aacCheck?: { ffmpeg: string; timeoutMs: number } | undefined;
  /**
   * Speech spans (s) of the source's audio, found alongside the decode: events inside them are
   * thinned (for `mix`, where the speech stays audible). Rejections count as no speech.
   */
  thinUnderSpeech?: Promise<ReadonlyArray<readonly [number, number]>> | undefined;
}

/** What the vision models added to the job (absent when they did not run). */
export interface FoleySight {
  seen: SeenSpan[];
  stepsFrom: 'pose' | 'feet' | 'motion' | 'none';
  frames: number;
  modelMs: { detect: number; pose: number };
  /** Set when a model failed part-way: the job went on with what the motion gave. */
  failure: Error | undefined;
}

export interface ProceduralFoleyResult {
  wavPath: string;
  preset: PresetName;
  /** Length of the audio (s): the end of the last video frame. */
  durationS: number;
  frames: number;
  onsets: number;
  /** Each event's time (s), in order: what the synth played. */
  eventsAt: number[];
  /** What made each event (same order): a foot's or a hand's contact, or motion alone. */
  eventsFrom: EventSource[];
  cuts: number;
  analysis: AnalysisResult;
  /** Where the preset came from: the prompt's words, what was seen, or neither (neutral). */
  presetFrom: 'prompt' | 'seen' | 'default';
  /** When the preset changes by scene (from what is seen): each stretch and its preset; else empty. */
  presetTimeline: Array<{ start: number; end: number; preset: PresetName }>;
  /** Sound words of the prompt the engine has no preset for (the caller warns). */
  unsupportedSounds: string[];
  /** How far the AAC check turned the track down (dB, ≤ 0; 0 without a check). */
  aacTrimDb: number;
  /** With the AAC check: the track AAC-encoded as it is to be delivered (an M4A), for the mux to copy. */
  encodedPath: string | undefined;
  /** What the vision models saw and did (undefined without them). */
  sight: FoleySight | undefined;
  /** Steps' origin when no vision ran: the motion cadence, or none. */
  stepsFrom: 'pose' | 'feet' | 'motion' | 'none';
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
  const vision = o.vision;
  // A CPU worker's pose: a second decode at the pose rate, only once someone walks (pose-pass.ts).
  const pass = vision?.pose && vision.poseFrames ? new PosePass({ models: vision.models }) : undefined;
  // A CPU worker's default: heel strikes from the feet's motion on luma frames of this decode (feet-motion.ts).
  const feet = vision?.feetEveryS && !vision.pose ? new FeetMotion() : undefined;
  // Whichever follows the walkers hears of each detection's people.
  const follower = pass ?? feet;
  const onPeople = follower ? (time: number, people: Box[], size: GrayFrameSize) => follower.detected(time, people, size) : undefined;
  const stopPose = new AbortController();
  const poseSignals = [stopPose.signal, stopDecoding.signal, ...(o.signal ? [o.signal] : [])];
  const poseDecode =
    pass && vision?.poseFrames ? decodeForPose({ ...o, pass, frames: vision.poseFrames, signal: AbortSignal.any(poseSignals) }) : undefined;
  const watcher = vision
    ? new VisionWatcher({
        models: vision.models,
        detectEveryS: vision.detectEveryS,
        pose: vision.pose && !pass,
        ...(onPeople ? { onPeople } : {}),
        ...(feet ? { onFailure: () => feet.abandon() } : {}),
      })
    : undefined;
  let lumaSize: GrayFrameSize = { width: 0, height: 0 };
  let decoded: Awaited<ReturnType<typeof streamGrayFrames>>;
  try {
    decoded = await streamGrayFrames({
      ffmpeg: o.ffmpeg,
      file: o.file,
      chroma: true,
      signal: o.signal ? AbortSignal.any([o.signal, stopDecoding.signal]) : stopDecoding.signal,
      timeoutMs: o.timeoutMs,
      limits: o.limits,
      sample:
        vision && watcher
          ? {
              width: vision.width,
              everyS: vision.everyS,
              onSize: (size) => watcher.setSize(size),
              onFrame: (rgb, time) => watcher.push(rgb, time),
              luma:
                feet && vision.feetEveryS
                  ? {
                      everyS: vision.feetEveryS,
                      onSize: (size) => {
                        lumaSize = size;
                      },
                      onFrame: (gray, time) => feet.frame(gray, time, lumaSize),
                    }
                  : undefined,
            }
          : undefined,
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
    stopPose.abort();
    pass?.end();
    await poseDecode;
    await mediaReady;
    throw mediaFailed ? mediaFailed.error : e;
  }
  // Nothing is synthesised before the probe has passed the video.
  await mediaReady;
  if (mediaFailed) throw mediaFailed.error;
  const { times, frameCount } = decoded;
  o.onProgress?.({ stage: 'analysis', percent: 100 });
  const motion = (analyzer ?? new MotionAnalyzer(64, 2)).finish(times);
  const watched = watcher ? await watcher.finish() : undefined;
  // The pose decode runs beside the analysis decode and may still be posing its last frames.
  pass?.end();
  await poseDecode;
  const posed = pass?.finish();
  const stepped = feet?.finish();
  const sight =
    watched && decoded.size.width > 0
      ? see({ motion, watched, posed, stepped: stepped?.contacts, size: decoded.size }, o.vision as FoleyVision)
      : undefined;
  let analysis: AnalysisResult = sight ? { ...motion, onsets: sight.onsets } : motion;
  let sources: EventSource[] = sight?.sources ?? motion.onsets.map(() => 'motion');
  if (o.thinUnderSpeech) {
    const spans = await o.thinUnderSpeech.catch(() => []);
    const kept = new Set(thinEventsInSpeech(analysis.onsets, spans));
    sources = sources.filter((_, i) => kept.has(analysis.onsets[i]!));
    analysis = { ...analysis, onsets: analysis.onsets.filter((on) => kept.has(on)) };
  }
  const t1 = performance.now();
  const reading = readPrompt(o.prompt, o.negativePrompt);
  const choice = chooseSound(reading, {
    seen: sight?.seen,
    scenes: motion.scenes,
    duration: motion.duration,
    stepsSeen: sight?.stepsFrom === 'pose' || sight?.stepsFrom === 'feet',
  });
  const preset = choice.preset;
  const durationS = analysis.duration;
  const wavPath = join(o.workDir, 'foley.wav');
  let lastPercent = -10;
  const report = await runner.render(
    {
      analysis,
      preset,
      timeline: choice.timeline.length > 1 ? choice.timeline : undefined,
      seed: o.seed,
      durationS,
      wavPath,
      sampleFormat: o.sampleFormat ?? 'f32',
      // The encoding that passed is the delivered track: kept for the mux to copy.
      aacCheck: o.aacCheck ? { ...o.aacCheck, keepEncoded: join(o.workDir, 'foley.m4a') } : undefined,
    },
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
    eventsAt: analysis.onsets.map((on) => on.time),
    cuts: analysis.cuts.length,
    analysis,
    presetFrom: choice.from,
    presetTimeline: choice.timeline.map((e, i) => ({
      start: e.start,
      end: choice.timeline[i + 1]?.start ?? durationS,
      preset: e.preset.name,
    })),
    unsupportedSounds: reading.unsupported,
    aacTrimDb: report.aac?.trimDb ?? 0,
    encodedPath: report.aac?.encoded,
    eventsFrom: sources,
    sight:
      sight && watched
        ? {
            seen: sight.seen,
            stepsFrom: sight.stepsFrom,
            frames: watched.frames + (posed?.frames ?? 0),
            modelMs: { detect: watched.modelMs.detect, pose: watched.modelMs.pose + (posed?.modelMs ?? 0) },
            failure: watched.failure ?? posed?.failure,
          }
        : undefined,
    stepsFrom: sight ? sight.stepsFrom : motion.cadences.length > 0 ? 'motion' : 'none',
    mastering: {
      loudnessLufs: report.loudnessLufs,
      // With the AAC check, the true peak of the track as delivered (encoded), not of the PCM.
      truePeakDbtp: report.aac ? report.aac.aacTruePeakDbtp : report.truePeakDbtp,
      eventsGainDb: report.gain.eventsDb,
      bedGainDb: report.gain.bedDb,
      rule: report.gain.rule,
      bedCapped: report.gain.bedCapped,
    },
    timingsMs: { analysis: Math.round(t1 - t0), synthesis: Math.round(t2 - t1) },
  };
}

interface Sighting {
  motion: AnalysisResult;
  watched: VisionWatch;
  /** The pose pass's poses (a CPU worker's pose), when it ran. */
  posed: PosePassResult | undefined;
  /** Heel strikes from the feet's motion (a CPU worker's default), when that ran. */
  stepped: Contact[] | undefined;
  size: { width: number; height: number };
}

/** From what the models saw to events and labels: tracks → heel strikes and hand stops → events. */
function see(
  { motion, watched, posed, stepped, size }: Sighting,
  vision: FoleyVision,
): { seen: SeenSpan[]; onsets: AnalysisResult['onsets']; sources: EventSource[]; stepsFrom: FoleySight['stepsFrom'] } {
  const seen = mergeSeen(watched.detections, { intervalS: vision.detectEveryS });
  const poseEveryS = vision.poseFrames?.everyS ?? vision.everyS;
  const tracks = trackPeople(posed?.poses ?? watched.poses, { maxGapS: 3 * poseEveryS });
  const aspect = size.width / size.height;
  const feet = stepped ?? footContacts(tracks, { aspect });
  const ev = eventsFromContacts(motion, feet, handContacts(tracks, { aspect }), { stepsFrom: stepped ? 'feet' : 'pose' });
  return { seen, onsets: ev.onsets, sources: ev.sources, stepsFrom: ev.stepsFrom };
}
