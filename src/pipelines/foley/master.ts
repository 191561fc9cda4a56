/**
 * @module The mastering rule (pure). Integrated loudness −16 LUFS (EBU R128 / BS.1770, the
 * streaming and mobile delivery level) and true peak at most −1 dBTP. The two stems get their own
 * gain: the events (what follows the picture: hits, motion texture) are turned up or down until the
 * whole track reads −16 LUFS, but the bed (ambience, drops, idle hum) never goes over the preset's
 * bed ceiling, and nothing is turned up more than MAX_GAIN_DB. So a still video stays a quiet bed
 * at or under that ceiling instead of noise pushed up to −16, and a clip with action reaches −16
 * without its room tone being exaggerated.
 */
export const TARGET_LUFS = -16;
/**
 * Ceiling of the limiter: 2 dB under the −1 dBTP promise, for the file the user gets. AAC at
 * 192 kb/s (MP4, M4A) adds its own overshoot to a limited track: measured by ffmpeg's ebur128 on
 * real clips (opencv-doc's vtest.avi, the 30 s animation clip of ../shared/media) with every
 * preset, 0–0.7 dB on most, up to 1.6 dB on dense high-frequency content (rain, metal) and more on
 * glass hits squashed at full gain. ebur128 (4.x) also reads true peaks up to ~0.4 dB high near
 * Nyquist. The rest is caught by encoding the track as delivered and measuring it (dsp/aac-check.ts).
 */
export const LIMITER_CEILING_DBTP = -3;
/** The true peak promised on the delivered file (dBTP). */
export const DELIVERED_PEAK_DBTP = -1;
/** The most the events are ever turned up, whatever the meters say. */
export const MAX_GAIN_DB = 30;

export interface GainDecision {
  /** Gain of the events stem and of the bed stem (dB). */
  eventsDb: number;
  bedDb: number;
  /** What set the events gain; `bedCapped` when the bed got less than the events. */
  rule: 'target' | 'max-gain' | 'silence';
  bedCapped: boolean;
}

/** Loudness (LUFS) of the master at these linear gains of the bed and the events stems. */
export type LoudnessAt = (bedGain: number, eventsGain: number) => number;

/** Bed gain for an events gain: the same, but never lifting the bed over its ceiling. */
export function bedGainFor(eventsDb: number, bedLufs: number, bedCeilingLufs: number): number {
  return Number.isFinite(bedLufs) ? Math.min(eventsDb, bedCeilingLufs - bedLufs) : eventsDb;
}

/**
 * The events gain that brings the master to `target` (bisection: loudness rises with the gain), with
 * the bed following under its ceiling. `loudnessAt` says how loud a pair of gains comes out (the
 * limiter model); `bedLufs` is the bed's own loudness at unity.
 */
export function decideGain(loudnessAt: LoudnessAt, bedLufs: number, bedCeilingLufs: number, target = TARGET_LUFS): GainDecision {
  const decision = (eventsDb: number, rule: GainDecision['rule']): GainDecision => {
    const bedDb = bedGainFor(eventsDb, bedLufs, bedCeilingLufs);
    return { eventsDb, bedDb, rule, bedCapped: bedDb < eventsDb - 1e-9 };
  };
  const at = (eventsDb: number): number => {
    const d = decision(eventsDb, 'target');
    return loudnessAt(dbToGain(d.bedDb), dbToGain(d.eventsDb));
  };
  const loudest = at(MAX_GAIN_DB);
  if (!Number.isFinite(loudest)) return decision(0, 'silence');
  if (loudest < target) return decision(MAX_GAIN_DB, 'max-gain');
  let lo = -60;
  let hi = MAX_GAIN_DB;
  // 14 halvings of 84 dB: within 0.005 dB, so within 0.005 LU of the target.
  for (let i = 0; i < 14; i++) {
    const mid = (lo + hi) / 2;
    if (at(mid) < target) lo = mid;
    else hi = mid;
  }
  return decision((lo + hi) / 2, 'target');
}

export function dbToGain(db: number): number {
  return 10 ** (db / 20);
}

export function gainToDb(g: number): number {
  return 20 * Math.log10(g);
}
