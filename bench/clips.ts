/**
 * @module Generated test clips (ffmpeg lavfi sources → H.264 MP4), for the benchmarks and the
 * tests: the same clip is made the same way in both.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A clip from lavfi sources: `inputs` are lavfi graphs, `filter` joins them into [v]. */
export interface ClipSpec {
  inputs: string[];
  filter: string;
}

export async function makeLavfiClip(ffmpeg: string, out: string, clip: ClipSpec, extra: string[] = []): Promise<void> {
  await run(ffmpeg, [
    '-v',
    'error',
    '-y',
    ...clip.inputs.flatMap((i) => ['-f', 'lavfi', '-i', i]),
    '-filter_complex',
    clip.filter,
    '-map',
    '[v]',
    ...extra,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    out,
  ]);
}

/** The loudness clips (test/foley/loudness.test.ts, bench/loudness-bench.ts). */
export const LOUDNESS_CLIPS = {
  /** A square that jumps every 0.4 s and drifts: steady action, like a busy shot. */
  action: {
    inputs: ['color=c=0x283038:s=320x180:r=25:d=6', 'color=c=white:s=40x40:r=25:d=6'],
    filter: "[0:v][1:v]overlay=x='20+40*mod(floor(2.5*t),6)+5*t':y='60+20*mod(floor(2.5*t),2)':eval=frame[v]",
  },
  /** Nothing moves: only the bed plays. */
  still: { inputs: ['color=c=0x405060:s=320x180:r=25:d=5'], filter: '[0:v]null[v]' },
} satisfies Record<string, ClipSpec>;
