/**
 * @module The true-peak promise kept through AAC. The limiter holds the PCM track under its
 * ceiling, but AAC at 192 kb/s adds its own overshoot, and how much is not predictable from the
 * track: 0–0.7 dB on most clips, over 2 dB on dense, squashed high-frequency content (measured
 * with every preset on opencv-doc's vtest.avi and the 30 s animation clip; master.ts). So the
 * track is encoded once as it will be delivered (same encoder, same settings), the result measured
 * with ffmpeg's `ebur128=peak=true`, and when it reads over the promise the float WAV is turned
 * down by the excess (plus a margin) and tried again. The encoder is deterministic: the last trial
 * is the file the user will get, so the promise is checked, not estimated. A trim costs loudness
 * dB for dB; the ceiling leaves room for the usual overshoot so trims stay small (≤ 1 dB measured).
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { runBinary } from '../../../media/ffmpeg.js';
import { DELIVERED_PEAK_DBTP, dbToGain } from '../master.js';

/** The AAC settings of the delivered MP4 and M4A (src/media/mux.ts): the trial must match them. */
export const AAC_DELIVERY_ARGS = ['-ar', '48000', '-ac', '2', '-c:a', 'aac', '-b:a', '192k'] as const;
/** Aim this far under the promise when trimming (dB): the encoder's overshoot moves a little with the level. */
const TRIM_MARGIN_DB = 0.15;
/** Trials at most (each an encode and a measurement of the whole track). */
const MAX_TRIALS = 3;

export interface AacCheck {
  ffmpeg: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface AacCheckResult {
  /** Gain applied to the WAV (dB, ≤ 0; 0 when the first trial kept the promise). */
  trimDb: number;
  /** True peak (dBTP) of the last trial: the delivered AAC track. */
  aacTruePeakDbtp: number;
  trials: number;
}

/** True peak (dBTP) of `wavPath` after AAC encoding as delivered, by ffmpeg's ebur128. */
export async function aacTruePeak(wavPath: string, o: AacCheck): Promise<number> {
  const trial = `${wavPath}.aac-trial.m4a`;
  try {
    await runBinary(o.ffmpeg, ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-i', wavPath, '-map', '0:a:0', ...AAC_DELIVERY_ARGS, '-f', 'mp4', trial], o);
    const { stderrTail } = await runBinary(o.ffmpeg, ['-hide_banner', '-nostdin', '-nostats', '-i', trial, '-map', '0:a:0', '-af', 'ebur128=peak=true', '-f', 'null', '-'], o);
    const summary = stderrTail.slice(stderrTail.lastIndexOf('Summary:'));
    const peak = /True peak:\s+Peak:\s+(-?[\d.]+|-inf)/.exec(summary)?.[1];
    if (peak === undefined) throw new Error(`no ebur128 true peak in: ${summary.slice(0, 300)}`);
    return peak === '-inf' ? Number.NEGATIVE_INFINITY : Number(peak);
  } finally {
    rmSync(trial, { force: true });
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

/** Multiplies the samples of a 32-bit float WAV by `gain`, in place. */
export function scaleFloatWav(wavPath: string, gain: number): void {
  const fd = openSync(wavPath, 'r+');
  try {
    const chunk = Buffer.alloc(1 << 20);
    for (let pos = dataOffset(fd); ; ) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      const whole = n - (n % 4);
      if (whole <= 0) break;
      for (let i = 0; i < whole; i += 4) chunk.writeFloatLE(chunk.readFloatLE(i) * gain, i);
      let off = 0;
      while (off < whole) off += writeSync(fd, chunk, off, whole - off, pos + off);
      pos += whole;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Encodes the float WAV as delivered, measures, and trims it until the AAC track's true peak is
 * at most the promise (−1 dBTP). The WAV is left as the encoder should be given it.
 */
export async function keepPeakThroughAac(wavPath: string, o: AacCheck): Promise<AacCheckResult> {
  let trimDb = 0;
  let peak = await aacTruePeak(wavPath, o);
  let trials = 1;
  while (peak > DELIVERED_PEAK_DBTP && trials < MAX_TRIALS) {
    const step = DELIVERED_PEAK_DBTP - TRIM_MARGIN_DB - peak;
    scaleFloatWav(wavPath, dbToGain(step));
    trimDb += step;
    peak = await aacTruePeak(wavPath, o);
    trials++;
  }
  return { trimDb, aacTruePeakDbtp: peak, trials };
}
