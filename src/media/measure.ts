/**
 * @module How long a stream really runs, for a file that does not say (Matroska or MPEG-TS written
 * to a pipe, raw FLAC without a sample count): its packets copied to nowhere — nothing decoded,
 * nothing kept — and ffmpeg stopped once `capS` seconds have gone by. A day of audio costs the
 * same fraction of a second as the limit's worth, in a few MB of ffmpeg's memory and none of ours.
 */
import { ffmpegNumber, runBinary } from './ffmpeg.js';

export interface StreamLength {
  /** Seconds of the stream that were read (at most a packet past `capS`). */
  seconds: number;
  /** Packets read: frames, for a video stream. */
  packets: number;
  /**
   * The read reached the last second before `capS`: ffmpeg stops before the packet that would
   * cross it, and a packet can last most of a second (a 65535-sample FLAC block), so callers cap
   * at their limit + 1 s and read this as "past the limit".
   */
  longer: boolean;
}

export interface MeasureOptions {
  ffmpeg: string;
  /** The guarded input arguments that read the file (`-protocol_whitelist … -i file`). */
  input: readonly string[];
  stream: 'v' | 'a';
  /** Stop reading here: the limit + 1 s (see `longer`). */
  capS: number;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

/** The last value of `key=` in ffmpeg's `-progress` report. */
function lastValue(report: string, key: string): number | undefined {
  const all = [...report.matchAll(new RegExp(`^${key}=(\\d+)`, 'gm'))];
  const last = all.at(-1)?.[1];
  return last === undefined ? undefined : Number(last);
}

export async function measureStreamLength(o: MeasureOptions): Promise<StreamLength> {
  const { stdout } = await runBinary(
    o.ffmpeg,
    [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'error',
      ...o.input,
      '-map',
      `0:${o.stream}:0`,
      '-c',
      'copy',
      '-t',
      ffmpegNumber(o.capS),
      '-f',
      'null',
      '-',
      '-progress',
      'pipe:1',
    ],
    // The report is a few hundred bytes per half second of work.
    { signal: o.signal, timeoutMs: o.timeoutMs, maxStdoutBytes: 1 << 20 },
  );
  const report = stdout.toString('utf8');
  const seconds = (lastValue(report, 'out_time_us') ?? 0) / 1e6;
  // A copied audio stream has no `frame=` count; a video stream's is its packets.
  const packets = lastValue(report, 'frame') ?? 0;
  return { seconds, packets, longer: seconds > o.capS - 1 };
}
