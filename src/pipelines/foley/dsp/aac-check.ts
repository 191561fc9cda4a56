/**
 * @module The true-peak promise kept through AAC. The limiter holds the PCM track under its
 * ceiling, but AAC at 192 kb/s adds its own overshoot, and how much is not predictable from the
 * track: 0–0.7 dB on most clips, over 2 dB on dense, squashed high-frequency content (measured
 * with every preset on opencv-doc's vtest.avi and the 30 s animation clip; master.ts). So the
 * track is encoded once as it will be delivered (same encoder, same settings), the result measured
 * with ffmpeg's `ebur128=peak=true`, and when it reads over the promise the float WAV is turned
 * down by the excess (plus a margin) and tried again. The encoder is deterministic: the last trial
 * is the file the user will get, so the promise is checked, not estimated. A trim costs loudness
 * dB for dB; the ceiling leaves room for the usual overshoot so trims stay small (≤ 0.8 dB measured).
 */
import { closeSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { runBinary } from '../../../media/ffmpeg.js';
import { DELIVERED_PEAK_DBTP, dbToGain } from '../master.js';

/** The AAC settings of the delivered MP4 and M4A (src/media/mux.ts): the trial must match them. */
export const AAC_DELIVERY_ARGS = ['-ar', '48000', '-ac', '2', '-c:a', 'aac', '-b:a', '192k'] as const;
/** Aim this far under the promise when trimming (dB): the encoder's overshoot moves a little with the level. */
const TRIM_MARGIN_DB = 0.15;
/** Trials at most (each an encode and a measurement of the whole track). */
const MAX_TRIALS = 4;

export interface AacCheck {
  ffmpeg: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /**
   * Keep the encoding that passed here (an M4A): it is the delivered track, so the mux can copy
   * it instead of encoding the same samples again.
   */
  keepEncoded?: string | undefined;
}

export interface AacCheckResult {
  /** Gain applied to the WAV (dB, ≤ 0; 0 when the first trial kept the promise). */
  trimDb: number;
  /** True peak (dBTP) of the last trial: the delivered AAC track. */
  aacTruePeakDbtp: number;
  trials: number;
  /** `keepEncoded`, when it was asked for: the AAC encoding of the WAV as it is left. */
  encoded?: string | undefined;
}

/** True peak (dBTP) of a file's first audio stream as it decodes, by ffmpeg's ebur128 (4× oversampled). */
export async function truePeakOf(file: string, o: AacCheck): Promise<number> {
  const { stderrTail } = await runBinary(
    o.ffmpeg,
    ['-hide_banner', '-nostdin', '-nostats', '-i', file, '-map', '0:a:0', '-af', 'ebur128=peak=true', '-f', 'null', '-'],
    o,
  );
  const summary = stderrTail.slice(stderrTail.lastIndexOf('Summary:'));
  const peak = /True peak:\s+Peak:\s+(-?[\d.]+|-inf)/.exec(summary)?.[1];
  if (peak === undefined) throw new Error(`no ebur128 true peak in: ${summary.slice(0, 300)}`);
  return peak === '-inf' ? Number.NEGATIVE_INFINITY : Number(peak);
}

/**
 * True peak (dBTP) of `wavPath` after AAC encoding as delivered, by ffmpeg's ebur128. `keep`: where
 * to leave the encoding (removed otherwise).
 */
export async function aacTruePeak(wavPath: string, o: AacCheck, keep?: string): Promise<number> {
  const trial = keep ?? `${wavPath}.aac-trial.m4a`;
  try {
    await runBinary(
      o.ffmpeg,
      ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-i', wavPath, '-map', '0:a:0', ...AAC_DELIVERY_ARGS, '-f', 'mp4', trial],
      o,
    );
    return await truePeakOf(trial, o);
  } finally {
    if (!keep) rmSync(trial, { force: true });
  }
}

/** Where the samples of a WAV start: after the chunks before `data` (44 bytes for the engine's own). */
function dataOffset(fd: number): number {
  const head = Buffer.alloc(4096);
  const n = readSync(fd, head, 0, head.length, 0);
  if (n < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file');
  for (let at = 12; at + 8 <= n; ) {
    const size = head.readUInt32LE(at + 4);
    if (head.toString('ascii', at, at + 4) === 'data') return at + 8;
    at += 8 + size + (size % 2);
  }
  throw new Error('no data chunk in the first 4 KiB of the WAV');
}

/**
 * Writes `to` as the 32-bit float WAV `from` with every sample multiplied by `gain` (headers
 * copied as they are). From the same source and gain the bytes are the same, so a trial measured
 * on them stays true when the file is written again.
 */
export function scaleFloatWav(from: string, to: string, gain: number): void {
  const src = openSync(from, 'r');
  const dst = openSync(to, 'w');
  try {
    const start = dataOffset(src);
    const chunk = Buffer.alloc(1 << 20);
    const head = chunk.subarray(0, start);
    readSync(src, head, 0, start, 0);
    writeAll(dst, head, 0);
    for (let pos = start; ; ) {
      const n = readSync(src, chunk, 0, chunk.length, pos);
      const whole = n - (n % 4);
      if (whole <= 0) break;
      for (let i = 0; i < whole; i += 4) chunk.writeFloatLE(chunk.readFloatLE(i) * gain, i);
      writeAll(dst, chunk.subarray(0, whole), pos);
      pos += whole;
    }
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, position + off);
}

/**
 * Encodes the float WAV as delivered, measures, and when its true peak is over the promise
 * (−1 dBTP) turns the WAV down and tries again: first by the excess (plus a margin), then, as the
 * codec's overshoot does not scale one to one, by bisection between the largest trim that failed
 * and the smallest that passed, keeping the smallest passing trim (loudness is lost dB for dB).
 * The WAV is left as the encoder should be given it; a trim that never passes leaves the last tried.
 */
export async function keepPeakThroughAac(wavPath: string, o: AacCheck): Promise<AacCheckResult> {
  // Each trial's encoding is kept while it may be the one chosen (named by its trim).
  const trialFile = (trimDb: number): string | undefined => (o.keepEncoded ? `${o.keepEncoded}.${trimDb.toFixed(6)}.m4a` : undefined);
  const kept = new Set<string>();
  const measure = async (trimDb: number): Promise<number> => {
    const file = trialFile(trimDb);
    if (file) kept.add(file);
    return aacTruePeak(wavPath, o, file);
  };
  /** Moves the chosen trial's encoding to `keepEncoded` and drops the others. */
  const keepChosen = (trimDb: number): string | undefined => {
    const file = trialFile(trimDb);
    if (file && o.keepEncoded) renameSync(file, o.keepEncoded);
    for (const f of kept) if (f !== file) rmSync(f, { force: true });
    return o.keepEncoded;
  };
  const first = await measure(0);
  if (!(first > DELIVERED_PEAK_DBTP)) return { trimDb: 0, aacTruePeakDbtp: first, trials: 1, encoded: keepChosen(0) };
  const original = `${wavPath}.untrimmed`;
  renameSync(wavPath, original);
  try {
    let failed = 0;
    let passed: { trimDb: number; peak: number } | undefined;
    let trial = { trimDb: DELIVERED_PEAK_DBTP - TRIM_MARGIN_DB - first, peak: first };
    let trials = 1;
    while (trials < MAX_TRIALS) {
      scaleFloatWav(original, wavPath, dbToGain(trial.trimDb));
      trial = { trimDb: trial.trimDb, peak: await measure(trial.trimDb) };
      trials++;
      if (trial.peak > DELIVERED_PEAK_DBTP) {
        failed = trial.trimDb;
        // Still over: further down by the excess, or half-way to a trim known to pass.
        const next = passed ? (failed + passed.trimDb) / 2 : trial.trimDb + DELIVERED_PEAK_DBTP - TRIM_MARGIN_DB - trial.peak;
        trial = { trimDb: next, peak: Number.NaN };
      } else {
        passed = trial;
        // Within half a dB of the promise is close enough; otherwise try half-way back up.
        if (trial.peak >= DELIVERED_PEAK_DBTP - 0.5) break;
        trial = { trimDb: (failed + trial.trimDb) / 2, peak: Number.NaN };
      }
    }
    const chosen = passed ?? trial;
    // The file must hold the chosen trial's samples (the last one written may be another).
    scaleFloatWav(original, wavPath, dbToGain(chosen.trimDb));
    const peak = passed ? passed.peak : await measure(chosen.trimDb);
    return { trimDb: chosen.trimDb, aacTruePeakDbtp: peak, trials, encoded: keepChosen(chosen.trimDb) };
  } finally {
    rmSync(original, { force: true });
    for (const f of kept) if (f !== o.keepEncoded) rmSync(f, { force: true });
  }
}
