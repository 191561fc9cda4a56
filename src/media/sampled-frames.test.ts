/**
 * Sampled frames get their own times however late stderr runs behind the pixels (on a loaded
 * machine it can run many frames behind): a frame waits for its line rather than taking a guessed
 * time, so a job's result does not depend on the machine's pace. A line that is lost for good (a
 * later frame's line came) gives an interpolated time instead of a stall.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SampledFrames } from './sampled-frames.js';

const W = 4;
const H = 2;
const line = (n: number, t: number): string => `[showinfo@luma @ 0x1] n:${n} pts:${n} pts_time:${t} s:${W}x${H} fmt:gray`;

async function deliver(o: { times: number[]; lineDelayMs: number; lose?: number }): Promise<Array<{ time: number; first: number }>> {
  const got: Array<{ time: number; first: number }> = [];
  const frames = new SampledFrames({ channels: 1, everyS: 0.1, onFrame: (px, time) => void got.push({ time, first: px[0]! }) });
  const pipe = new PassThrough();
  // The first line gives the size; the others come late, after every frame's pixels.
  frames.timeLine(line(0, o.times[0]!), 0, o.times[0]!);
  frames.read(pipe);
  for (let n = 0; n < o.times.length; n++) pipe.write(Buffer.alloc(W * H, n));
  await new Promise((r) => setTimeout(r, o.lineDelayMs));
  for (let n = 1; n < o.times.length; n++) if (n !== o.lose) frames.timeLine(line(n, o.times[n]!), n, o.times[n]!);
  pipe.end();
  await frames.finished();
  return got;
}

describe('sampled frames and their time lines', () => {
  it('a frame waits for its own line, however many frames are waiting and however late it comes', async () => {
    // 24 fps sampled every 0.1 s: every third frame, 0.125 s apart (a guess of 0.1 would be wrong).
    const times = Array.from({ length: 20 }, (_, n) => n * 0.125);
    const got = await deliver({ times, lineDelayMs: 300 });
    expect(got.map((g) => g.time)).toEqual(times);
    expect(got.map((g) => g.first)).toEqual(times.map((_, n) => n));
  });

  it('a line lost for good (a later one came) gives that frame an interpolated time, without a stall', async () => {
    const times = Array.from({ length: 6 }, (_, n) => n * 0.125);
    const t0 = performance.now();
    const got = await deliver({ times, lineDelayMs: 60, lose: 3 });
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(got.map((g) => g.time)).toEqual([0, 0.125, 0.25, 0.35, 0.5, 0.625]);
  });
});
