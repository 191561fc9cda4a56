/**
 * @module The senses' part of a Foley job: the vision models and the voice-activity model are
 * loaded (once per worker; one that fails leaves the job without it, with a warning, never a
 * failed job), and speech is found in the source's own audio alongside the render.
 */
import type { MediaInfo } from '../../media/probe.js';
import type { FoleyVision } from '../../pipelines/foley/engines/engine.js';
import { detectSpeech, type SpeechResult } from '../../pipelines/foley/speech/detect.js';
import type { TaskJob } from '../../job/task.js';
import type { FoleySenses } from './senses.js';

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Speech spans, found from the audio's first sample, on the picture's clock (the Foley track's
 * t = 0 is the first video frame): moved by when the audio starts after the picture, and kept
 * only where the picture is.
 */
export function onPictureClock(spans: ReadonlyArray<[number, number]>, audioAfterVideoS: number): Array<[number, number]> {
  return spans.map(([a, b]): [number, number] => [Math.max(0, a + audioAfterVideoS), b + audioAfterVideoS]).filter(([a, b]) => b > a);
}

export interface ListenOptions {
  senses: FoleySenses;
  /** Whether to use the trained senses at all (`vision` and the worker's FOLEY_VISION). */
  watching: boolean;
  pose: 'auto' | boolean;
  source: { file: string; media: Promise<MediaInfo> };
  /** Seconds of the source the job covers (`duration`). */
  maxSeconds: number | undefined;
  ffmpeg: string;
  timeoutMs: number;
  job: TaskJob;
}

export interface Heard {
  vision: FoleyVision | undefined;
  /** Speech found alongside (resolves undefined when detection failed); absent without the voice-activity model. */
  speech: Promise<SpeechResult | undefined> | undefined;
}

export async function listen(o: ListenOptions): Promise<Heard> {
  const { ctx, warnings } = o.job;
  const tLoad = performance.now();
  // The models load (once per worker) while the probe runs.
  const [vision, vad] = o.watching
    ? await Promise.all([
        o.senses.vision(ctx.log, { pose: o.pose }).catch((e: unknown): undefined => {
          warnings.push(`the vision models could not be loaded (${reason(e)}): events and sounds come from motion alone`);
          ctx.log.warn({ err: e }, 'vision models unavailable');
          return undefined;
        }),
        o.senses.vad(ctx.log).catch((e: unknown): undefined => {
          warnings.push(`the voice-activity model could not be loaded (${reason(e)}): speech is not detected`);
          ctx.log.warn({ err: e }, 'voice-activity model unavailable');
          return undefined;
        }),
      ])
    : [undefined, undefined];
  if (o.watching) o.job.mark('models_load', tLoad);
  const { file, media } = o.source;
  // Speech is found alongside the picture's decode, from the source's own audio track.
  // Once the probe says there is an audio track: a silent video needs no second ffmpeg.
  const speech: Promise<SpeechResult | undefined> | undefined = vad
    ? media.then((m) =>
        m.audio
          ? detectSpeech({ ffmpeg: o.ffmpeg, file, vad, signal: ctx.signal, timeoutMs: o.timeoutMs, maxSeconds: o.maxSeconds }).then(
              (r) => ({ ...r, spans: onPictureClock(r.spans, (m.audio?.startTime ?? 0) - m.video.startTime) }),
              (e: unknown) => {
                if (ctx.signal.aborted) throw e;
                warnings.push(`speech detection failed (${reason(e)}): no speech spans`);
                return undefined;
              },
            )
          : { spans: [], modelMs: 0, seconds: 0, audio: false },
      )
    : undefined;
  speech?.catch(() => undefined);
  return { vision, speech };
}
