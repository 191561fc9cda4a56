/**
 * @module ffmpeg's own EBU R128 meter (`-af ebur128=peak=true -f null -`), its summary parsed from
 * stderr: the independent reading of a result's loudness, for the loudness benchmark and tests.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Ebur128 {
  /** Integrated loudness (LUFS). */
  integrated: number;
  /** True peak (dBTP; ffmpeg 4 labels it dBFS), the largest over channels. */
  truePeak: number;
}

export async function ebur128(ffmpeg: string, file: string): Promise<Ebur128> {
  const { stderr } = await run(
    ffmpeg,
    ['-hide_banner', '-nostats', '-i', file, '-map', '0:a:0', '-af', 'ebur128=peak=true', '-f', 'null', '-'],
    {
      maxBuffer: 256 << 20,
    },
  );
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const integrated = /I:\s+(-?[\d.]+|-inf)\s+LUFS/.exec(summary)?.[1];
  const peak = /True peak:\s+Peak:\s+(-?[\d.]+|-inf)/.exec(summary)?.[1];
  if (integrated === undefined || peak === undefined) throw new Error(`no ebur128 summary in:\n${summary.slice(0, 800)}`);
  const num = (s: string): number => (s === '-inf' ? Number.NEGATIVE_INFINITY : Number(s));
  return { integrated: num(integrated), truePeak: num(peak) };
}
