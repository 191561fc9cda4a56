/**
 * @module Speech probabilities → speech spans (pure), the hysteresis of Silero's own
 * `get_speech_timestamps`: speech starts at the first window whose probability reaches
 * `threshold`; it ends only once the probability has stayed below the lower `negThreshold` for
 * `minSilenceMs` (the end is where that quiet began), so a word's dip does not split a phrase;
 * spans shorter than `minSpeechMs` are dropped (a cough, a door); each span is padded by `padMs`
 * on both sides (never past its neighbours or the audio's ends), and spans that then touch are
 * merged.
 */

export interface VadParams {
  /** Probability at which speech starts. */
  threshold: number;
  /** Probability below which speech may end (hysteresis). */
  negThreshold: number;
  /** Shortest span kept (ms). */
  minSpeechMs: number;
  /** Quiet (below `negThreshold`) that ends a span (ms). */
  minSilenceMs: number;
  /** Padding added to both ends of each span (ms). */
  padMs: number;
}

/** Silero's defaults, with a longer minimum silence so short pauses between words stay in one span. */
export const VAD_PARAMS: VadParams = { threshold: 0.5, negThreshold: 0.35, minSpeechMs: 250, minSilenceMs: 150, padMs: 30 };

/** Feeds window probabilities in order; `finish` gives the spans in seconds. */
export class SpeechSpans {
  private readonly p: VadParams;
  private triggered = false;
  private start = 0;
  private quietSince = -1;
  private readonly raw: Array<[number, number]> = [];

  constructor(
    private readonly sampleRate: number,
    params: Partial<VadParams> = {},
  ) {
    this.p = { ...VAD_PARAMS, ...params };
  }

  /** The probability of the window that starts at sample `at`. */
  push(prob: number, at: number): void {
    const p = this.p;
    if (prob >= p.threshold) {
      this.quietSince = -1;
      if (!this.triggered) {
        this.triggered = true;
        this.start = at;
      }
      return;
    }
    if (!this.triggered || prob >= p.negThreshold) return;
    if (this.quietSince < 0) this.quietSince = at;
    if (at - this.quietSince < (p.minSilenceMs * this.sampleRate) / 1000) return;
    this.close(this.quietSince);
  }

  private close(end: number): void {
    if (end - this.start >= (this.p.minSpeechMs * this.sampleRate) / 1000) this.raw.push([this.start, end]);
    this.triggered = false;
    this.quietSince = -1;
  }

  /** Spans (seconds) once all `totalSamples` have been pushed; speech still open ends there. */
  finish(totalSamples: number): Array<[number, number]> {
    if (this.triggered) this.close(totalSamples);
    const pad = (this.p.padMs * this.sampleRate) / 1000;
    const out: Array<[number, number]> = [];
    for (const [a, b] of this.raw) {
      const start = Math.max(0, a - pad);
      const end = Math.min(totalSamples, b + pad);
      const last = out.at(-1);
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else out.push([start, end]);
    }
    return out.map(([a, b]) => [a / this.sampleRate, b / this.sampleRate]);
  }
}
