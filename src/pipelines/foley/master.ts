/**
 * @module The mastering rule (pure). Integrated loudness −16 LUFS (EBU R128 / BS.1770, streaming
 * and mobile delivery level) and true peak at most −1 dBTP — but a track is never turned up so far
 * that its motion-independent bed alone goes over the preset's bed ceiling. A still video (bed
 * only) therefore stays a quiet bed at or below that ceiling instead of noise pushed up to −16, and
 * a clip with little action comes out quieter than −16 rather than with an exaggerated room tone.
 */

export const TARGET_LUFS = -16;
/** Ceiling used by the limiter: half a dB under the −1 dBTP spec for meter and codec differences. */
export const LIMITER_CEILING_DBTP = -1.5;
/** The most a track is ever turned up, whatever the meters say (a sanity bound). */
export const MAX_GAIN_DB = 30;

export interface GainDecision {
  gainDb: number;
  /** Which rule set the gain. */
  rule: 'target' | 'bed-ceiling' | 'max-gain' | 'silence';
}

/** `integrated` and `bed` are the pre-gain loudness (LUFS) of the whole mix and of the bed alone. */
export function decideGain(integrated: number, bed: number, bedCeilingLufs: number, target = TARGET_LUFS): GainDecision {
  if (!Number.isFinite(integrated)) return { gainDb: 0, rule: 'silence' };
  return capGain(target - integrated, bed, bedCeilingLufs);
}

/** The caps of the rule applied to a wanted gain: the bed ceiling, then the sanity bound. */
export function capGain(wantedDb: number, bed: number, bedCeilingLufs: number): GainDecision {
  let gainDb = wantedDb;
  let rule: GainDecision['rule'] = 'target';
  if (Number.isFinite(bed) && bed + gainDb > bedCeilingLufs) {
    gainDb = bedCeilingLufs - bed;
    rule = 'bed-ceiling';
  }
  if (gainDb > MAX_GAIN_DB) {
    gainDb = MAX_GAIN_DB;
    rule = 'max-gain';
  }
  return { gainDb, rule };
}

export function dbToGain(db: number): number {
  return 10 ** (db / 20);
}

export function gainToDb(g: number): number {
  return 20 * Math.log10(g);
}
