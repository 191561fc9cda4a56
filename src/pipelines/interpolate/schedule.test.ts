import { describe, expect, it } from 'vitest';
import { CutDetector, FrameSchedule, rateFromFps, toRate } from './schedule.js';

describe('FrameSchedule', () => {
  it('×2: every other output frame is a source frame, the others sit half way', () => {
    const s = new FrameSchedule(toRate('10'), toRate('20'));
    expect([0, 1, 2, 3].map((j) => s.at(j))).toEqual([
      { frame: 0, t: 0 },
      { frame: 0, t: 0.5 },
      { frame: 1, t: 0 },
      { frame: 1, t: 0.5 },
    ]);
    expect(s.total(10)).toBe(20);
  });

  it('×3 and 24 → 60: exact timesteps, round(N·out/in) frames', () => {
    const x3 = new FrameSchedule(toRate('30000/1001'), toRate('90000/1001'));
    expect([1, 2, 3].map((j) => x3.at(j))).toEqual([
      { frame: 0, t: 1 / 3 },
      { frame: 0, t: 2 / 3 },
      { frame: 1, t: 0 },
    ]);
    const s = new FrameSchedule(toRate('24'), toRate('60'));
    expect([0, 1, 2, 3, 4, 5].map((j) => s.at(j))).toEqual([
      { frame: 0, t: 0 },
      { frame: 0, t: 0.4 },
      { frame: 0, t: 0.8 },
      { frame: 1, t: 0.2 },
      { frame: 1, t: 0.6 },
      { frame: 2, t: 0 },
    ]);
    expect(s.total(24)).toBe(60);
    expect(s.total(25)).toBe(63);
  });

  it('rates from numbers: NTSC exactly, others to a thousandth', () => {
    expect(rateFromFps(59.94)).toEqual({ num: 60000, den: 1001 });
    expect(rateFromFps(29.97)).toEqual({ num: 30000, den: 1001 });
    expect(rateFromFps(60)).toEqual({ num: 60, den: 1 });
    expect(rateFromFps(50.5)).toEqual({ num: 101, den: 2 });
  });
});

describe('CutDetector', () => {
  const W = 64;
  const H = 48;
  const frame = (f: (x: number, y: number) => number): Uint8Array => {
    const rgb = new Uint8Array(W * H * 3);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgb.fill(f(x, y), (y * W + x) * 3, (y * W + x) * 3 + 3);
    return rgb;
  };

  it('a steady pan is no cut once it is under way; a jump to another picture is', () => {
    const d = new CutDetector(W, H);
    const pan = (k: number) => frame((x, y) => ((((x + 2 * k) >> 3) + (y >> 3)) % 2 ? 200 : 40));
    const results = [0, 1, 2, 3, 4].map((k) => d.push(pan(k)));
    // As ffmpeg's fdiff: the first step has no previous difference to compare with, so a large
    // one there counts as a cut (a pan from the first frame repeats its first frame once).
    expect(results).toEqual([false, true, false, false, false]);
    expect(d.push(frame((x) => (x * 4) % 256))).toBe(true);
    expect(d.push(frame((x) => (x * 4) % 256))).toBe(false);
  });

  it('a small change (noise, a moving object) is no cut', () => {
    const d = new CutDetector(W, H);
    expect(d.push(frame(() => 100))).toBe(false);
    expect(d.push(frame((x, y) => (x < 8 && y < 8 ? 255 : 100)))).toBe(false);
  });
});
