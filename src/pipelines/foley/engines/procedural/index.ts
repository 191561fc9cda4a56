/**
 * @module The built-in procedural engine: motion analysis (and what the vision models see) picks
 * the events, DSP synthesis plays them, and its own mastering sets the two stems' gains, so the
 * track comes back mastered (and, for an AAC delivery, encoded and checked as delivered). No
 * weights: always available. The pipeline itself is pipeline.ts beside this file.
 */
import { WorkerError } from '../../../../errors.js';
import { prepareProceduralFoley, runProceduralFoley, type ProceduralFoleyResult } from './pipeline.js';
import type { EngineJob, FoleyEngine, FoleyRender, FoleyRequest, LoadedEngine } from '../engine.js';

const round2 = (x: number): number => Math.round(x * 100) / 100;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The engine's result fields, in the order the result has always had them. */
function fieldsOf(foley: ProceduralFoleyResult, seed: number): Record<string, unknown> {
  return {
    preset: foley.preset,
    preset_from: foley.presetFrom,
    ...(foley.presetTimeline.length > 1
      ? { preset_timeline: foley.presetTimeline.map((e) => ({ start: round2(e.start), end: round2(e.end), preset: e.preset })) }
      : {}),
    seed,
    events: foley.onsets,
    events_at: foley.eventsAt.map(round3),
    events_from: foley.eventsFrom,
    steps_from: foley.stepsFrom,
    ...(foley.sight
      ? { seen: foley.sight.seen.map((s) => ({ label: s.label, score: round2(s.score), start: round2(s.start), end: round2(s.end) })) }
      : {}),
  };
}

/** What the stems' mastering did, as the result's `loudness` reads it. */
function loudnessOf(foley: ProceduralFoleyResult): Record<string, unknown> {
  return {
    lufs: round2(foley.mastering.loudnessLufs),
    true_peak_dbtp: round2(foley.mastering.truePeakDbtp),
    events_gain_db: round2(foley.mastering.eventsGainDb),
    bed_gain_db: round2(foley.mastering.bedGainDb),
    rule: foley.mastering.rule,
    bed_capped: foley.mastering.bedCapped,
    ...(foley.aacTrimDb !== 0 ? { aac_trim_db: round2(foley.aacTrimDb) } : {}),
  };
}

async function render(request: FoleyRequest, job: EngineJob, ffmpeg: string): Promise<FoleyRender> {
  const { source, senses, output } = request;
  if (!source)
    throw new WorkerError('ENGINE_NOT_AVAILABLE', 'engine: "procedural" follows a picture and needs a video', {
      details: { field: 'engine', engine: 'procedural' },
    });
  const foley = await runProceduralFoley({
    ffmpeg,
    file: source.file,
    media: source.media,
    prompt: request.prompt,
    negativePrompt: request.negativePrompt,
    seed: request.seed,
    workDir: request.workDir,
    sampleFormat: output.sampleFormat,
    signal: request.signal,
    timeoutMs: request.timeoutMs,
    limits: request.limits,
    onProgress: (p) => request.onProgress(p),
    vision: senses.vision,
    // Under `mix` the source's speech stays audible: events inside it are thinned.
    thinUnderSpeech: output.mode === 'mix' ? senses.speech : undefined,
    // AAC can overshoot the limiter's true peak: the track is checked as it will be delivered.
    aacCheck: output.aac,
  });
  job.timings.analysis = foley.timingsMs.analysis;
  job.timings.synthesis = foley.timingsMs.synthesis;
  if (foley.sight) {
    job.timings.detect_model = Math.round(foley.sight.modelMs.detect);
    if (senses.vision?.pose) job.timings.pose_model = Math.round(foley.sight.modelMs.pose);
    if (foley.sight.failure)
      job.warnings.push(
        `a vision model failed part-way (${foley.sight.failure.message}): the rest of the video was followed by motion alone`,
      );
  }
  if (foley.unsupportedSounds.length > 0) {
    job.warnings.push(
      'the prompt names sounds the built-in engine has no preset for ' +
        `(${foley.unsupportedSounds.join(', ')}): ${foley.preset} plays instead`,
    );
  }
  if (foley.frames === 0) throw new WorkerError('MEDIA_UNREADABLE', 'no video frame could be decoded');
  return {
    track: { wav: foley.wavPath, durationS: foley.durationS, mastered: true, encoded: foley.encodedPath, loudness: loudnessOf(foley) },
    fields: fieldsOf(foley, request.seed),
  };
}

export const proceduralEngine: FoleyEngine = {
  name: 'procedural',
  description: 'motion analysis + DSP synthesis, no weights; always available',
  models: [],
  available: () => true,
  async load(deps) {
    // The synthesis thread starts now, before the first job needs it.
    prepareProceduralFoley();
    const loaded: LoadedEngine = { render: (request, job) => render(request, job, deps.binaries().ffmpeg) };
    return loaded;
  },
};
