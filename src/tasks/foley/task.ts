/**
 * @module `task: "foley"`: the video in, a synchronized sound track out (muxed into the video, or
 * the audio alone). The built-in procedural engine runs here; learned engines add an entry to
 * `engines` and a branch to `chooseEngine`.
 */
import { join } from 'node:path';
import { WorkerError } from '../../errors.js';
import { prepareVideo } from '../../job/video-input.js';
import { canCopyIntoMp4, mux, type MuxPlan } from '../../media/mux.js';
import { truePeakOf } from '../../pipelines/foley/dsp/aac-check.js';
import { DELIVERED_PEAK_DBTP } from '../../pipelines/foley/master.js';
import { prepareProceduralFoley, runProceduralFoley, type FoleyVision } from '../../pipelines/foley/procedural.js';
import { randomSeed } from '../../pipelines/foley/rng.js';
import { detectSpeech, type SpeechResult } from '../../pipelines/foley/speech/detect.js';
import type { EngineEntry, TaskDefinition } from '../task.js';
import { FoleyInputSchema, type FoleyInput } from './input.js';
import { createFoleySenses } from './senses.js';

const MIME = { mp4: 'video/mp4', wav: 'audio/wav', flac: 'audio/flac', m4a: 'audio/mp4' } as const;

const ENGINES: readonly EngineEntry[] = [{ name: 'procedural', models: [], description: 'motion analysis + DSP synthesis, no weights; always available' }];

function chooseEngine(requested: string): string {
  if (requested === 'auto' || requested === 'procedural') return 'procedural';
  const names = ENGINES.map((e) => e.name);
  throw new WorkerError('ENGINE_NOT_AVAILABLE', `engine: "${requested}" is not available; available: auto, ${names.join(', ')}`, {
    details: { field: 'engine', available: ['auto', ...names] },
  });
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Speech spans, found from the audio's first sample, on the picture's clock (the Foley track's
 * t = 0 is the first video frame): moved by when the audio starts after the picture, and kept
 * only where the picture is.
 */
export function onPictureClock(spans: ReadonlyArray<[number, number]>, audioAfterVideoS: number): Array<[number, number]> {
  return spans.map(([a, b]): [number, number] => [Math.max(0, a + audioAfterVideoS), b + audioAfterVideoS]).filter(([a, b]) => b > a);
}

export const foleyTask: TaskDefinition<FoleyInput> = {
  name: 'foley',
  description: 'video in, synchronized sound effects out',
  schema: FoleyInputSchema,
  engines: ENGINES,
  create(deps) {
    prepareProceduralFoley();
    const senses = createFoleySenses(deps);
    return async (input, job) => {
      const { config } = deps;
      const { ctx, warnings } = job;
      const engine = chooseEngine(input.engine);
      const bins = deps.binaries();
      // The engine starts decoding at once; the probe runs alongside and stops it with its error.
      const { file, media: mediaReady } = await prepareVideo(input, job, deps, { probeAlongside: true });
      const seed = input.seed ?? randomSeed();
      const format = input.output_format;
      const watching = input.vision && config.models.foleyVision;
      const tLoad = performance.now();
      // The models load (once per worker) while the probe runs; one that fails leaves the job on
      // motion alone, with a warning: never a failed job.
      const [vision, vad] = watching
        ? await Promise.all([
            senses.vision(ctx.log, { pose: input.pose }).catch((e: unknown): undefined => {
              warnings.push(`the vision models could not be loaded (${reason(e)}): events and sounds come from motion alone`);
              ctx.log.warn({ err: e }, 'vision models unavailable');
              return undefined;
            }),
            senses.vad(ctx.log).catch((e: unknown): undefined => {
              warnings.push(`the voice-activity model could not be loaded (${reason(e)}): speech is not detected`);
              ctx.log.warn({ err: e }, 'voice-activity model unavailable');
              return undefined;
            }),
          ])
        : [undefined, undefined];
      if (watching) job.mark('models_load', tLoad);
      // Speech is found alongside the picture's decode, from the source's own audio track.
      // Once the probe says there is an audio track: a silent video needs no second ffmpeg.
      const speech: Promise<SpeechResult | undefined> = vad
        ? mediaReady.then((m) =>
            m.audio
              ? detectSpeech({ ffmpeg: bins.ffmpeg, file, vad, signal: ctx.signal, timeoutMs: config.ffmpegTimeoutMs, maxSeconds: input.duration }).then((r) => ({ ...r, spans: onPictureClock(r.spans, (m.audio?.startTime ?? 0) - m.video.startTime) }), (e: unknown) => {
                  if (ctx.signal.aborted) throw e;
                  warnings.push(`speech detection failed (${reason(e)}): no speech spans`);
                  return undefined;
                })
              : { spans: [], modelMs: 0, seconds: 0, audio: false },
          )
        : Promise.resolve(undefined);
      speech.catch(() => undefined);
      // A WAV of the new track alone is what the engine writes: no remux through ffmpeg.
      const engineWritesOutput = format === 'wav' && input.audio_mode === 'replace';
      const foley = await runProceduralFoley({
        ffmpeg: bins.ffmpeg,
        file,
        media: mediaReady,
        prompt: input.prompt,
        negativePrompt: input.negative_prompt,
        seed,
        workDir: job.workDir,
        sampleFormat: engineWritesOutput ? 's16' : 'f32',
        signal: ctx.signal,
        timeoutMs: config.ffmpegTimeoutMs,
        limits: { maxFrames: config.limits.maxFrames, maxTimeS: config.limits.maxDurationS },
        onProgress: (p) => ctx.progress({ stage: p.stage, percent: p.percent }),
        vision: vision as FoleyVision | undefined,
        thinUnderSpeech: input.audio_mode === 'mix' && vad ? speech.then((s) => s?.spans ?? []) : undefined,
        // AAC can overshoot the limiter's true peak: the track is checked as it will be delivered.
        aacCheck: (format === 'mp4' || format === 'm4a') && input.audio_mode === 'replace' ? { ffmpeg: bins.ffmpeg, timeoutMs: config.ffmpegTimeoutMs } : undefined,
      });
      const media = await mediaReady;
      const heard = await speech;
      job.timings.analysis = foley.timingsMs.analysis;
      job.timings.synthesis = foley.timingsMs.synthesis;
      if (foley.sight) {
        job.timings.detect_model = Math.round(foley.sight.modelMs.detect);
        if (vision?.pose) job.timings.pose_model = Math.round(foley.sight.modelMs.pose);
        if (foley.sight.failure) warnings.push(`a vision model failed part-way (${foley.sight.failure.message}): the rest of the video was followed by motion alone`);
      }
      if (heard) job.timings.speech_model = Math.round(heard.modelMs);
      if (foley.unsupportedSounds.length > 0) {
        warnings.push(`the prompt names sounds the built-in engine has no preset for (${foley.unsupportedSounds.join(', ')}): ${foley.preset} plays instead`);
      }
      const spans = heard?.spans ?? [];
      if (input.audio_mode === 'replace' && spans.length > 0) {
        warnings.push(`the source has speech (${spans.length} span${spans.length === 1 ? '' : 's'}); audio_mode "replace" drops it: use "mix" to keep it`);
      }
      const t = performance.now();
      if (foley.frames === 0) throw new WorkerError('MEDIA_UNREADABLE', 'no video frame could be decoded');

      if (format === 'mp4' && !canCopyIntoMp4(media.video.codec)) {
        warnings.push(`${media.video.codec} video cannot be stored in MP4 as it is: re-encoded to H.264`);
      }
      if (input.audio_mode === 'mix' && !media.audio) warnings.push('audio_mode "mix": the input has no audio track, so the new track is alone');
      let out = foley.wavPath;
      let mixed: { truePeakDbtp: number; trimDb: number } | undefined;
      if (!engineWritesOutput) {
        out = join(job.workDir, `result.${format}`);
        const plan: MuxPlan = {
          video: file,
          // The AAC check's encoding is the delivered track: copied, not encoded again.
          audio: foley.encodedPath ?? foley.wavPath,
          audioIsDeliveryAac: foley.encodedPath !== undefined,
          out,
          format,
          mode: input.audio_mode,
          videoCodec: media.video.codec,
          sourceHasAudio: media.audio !== undefined,
          speech: spans,
          clock: { videoAtS: media.video.startTime - media.startTime, originalAtS: media.audio ? media.audio.startTime - media.video.startTime : 0 },
        };
        const run = { ffmpeg: bins.ffmpeg, signal: ctx.signal, timeoutMs: config.ffmpegTimeoutMs };
        await mux(plan, run);
        // A mix is a new track the AAC check has not seen: its limiter holds sample peaks, AAC adds
        // overshoot. Measured on the delivered file; over the promise, muxed again a little lower.
        if (input.audio_mode === 'mix' && plan.sourceHasAudio && (format === 'mp4' || format === 'm4a')) {
          mixed = { truePeakDbtp: await truePeakOf(out, run), trimDb: 0 };
          for (let tries = 0; tries < 2 && mixed.truePeakDbtp > DELIVERED_PEAK_DBTP; tries++) {
            const trimDb: number = mixed.trimDb + DELIVERED_PEAK_DBTP - 0.2 - mixed.truePeakDbtp;
            await mux({ ...plan, mixTrimDb: trimDb }, run);
            mixed = { truePeakDbtp: await truePeakOf(out, run), trimDb };
          }
        }
        job.mark('mux', t);
      }
      return {
        file: out,
        ext: format,
        mime: MIME[format],
        kind: format === 'mp4' ? 'video' : 'audio',
        duration: foley.durationS,
        fields: {
          engine,
          preset: foley.preset,
          preset_from: foley.presetFrom,
          ...(foley.presetTimeline.length > 1 ? { preset_timeline: foley.presetTimeline.map((e) => ({ start: round2(e.start), end: round2(e.end), preset: e.preset })) } : {}),
          seed,
          events: foley.onsets,
          events_at: foley.eventsAt.map(round3),
          events_from: foley.eventsFrom,
          steps_from: foley.stepsFrom,
          ...(foley.sight ? { seen: foley.sight.seen.map((s) => ({ label: s.label, score: round2(s.score), start: round2(s.start), end: round2(s.end) })) } : {}),
          ...(heard ? { speech: spans.map(([a, b]) => [round2(a), round2(b)]) } : {}),
          loudness: {
            lufs: round2(foley.mastering.loudnessLufs),
            true_peak_dbtp: round2(foley.mastering.truePeakDbtp),
            events_gain_db: round2(foley.mastering.eventsGainDb),
            bed_gain_db: round2(foley.mastering.bedGainDb),
            rule: foley.mastering.rule,
            bed_capped: foley.mastering.bedCapped,
            ...(foley.aacTrimDb !== 0 ? { aac_trim_db: round2(foley.aacTrimDb) } : {}),
            ...(mixed ? { mix_true_peak_dbtp: round2(mixed.truePeakDbtp), ...(mixed.trimDb !== 0 ? { mix_trim_db: round2(mixed.trimDb) } : {}) } : {}),
          },
        },
      };
    };
  },
};
