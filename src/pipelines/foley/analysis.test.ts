import { describe, expect, it } from 'vitest';
import { analyzeFrames, MotionAnalyzer } from './analysis.js';
import { detectCadence } from './cadence.js';
import { CutDetector } from './cuts.js';
import { pickOnsets } from './onsets.js';
import { sceneStats } from './scenes.js';

const W = 32;
const H = 18;

/** Frames of a dark floor with a bright square at `x` (or none when x < 0), `flash` = all white. */
function frame(x: number, flash = false, base = 40, y0 = 6): Uint8Array {
  const f = new Uint8Array(W * H).fill(flash ? 250 : base);
  if (x >= 0) for (let y = y0; y < y0 + 6; y++) for (let i = x; i < x + 6; i++) f[y * W + i] = 230;
  return f;
}

function run(frames: Uint8Array[], fps = 25) {
  return analyzeFrames({ frames, times: Float64Array.from(frames, (_, i) => i / fps), width: W, height: H });
}

describe('motion analysis', () => {
  it('finds a jump, an appearance and a flash on their frames, and nothing on still frames', () => {
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) {
      const x = i < 20 ? -1 : i < 40 ? 2 : i < 60 ? 20 : 20;
      frames.push(frame(x, i === 80 || i === 81));
    }
    const r = run(frames);
    expect(r.onsets.map((o) => o.frame)).toEqual([20, 40, 80]);
    expect(r.cuts).toEqual([]);
    expect(r.duration).toBeCloseTo(100 / 25, 9);
  });

  it('pans toward where the motion is, and knows how high it was', () => {
    const r = run([frame(-1), frame(-1), frame(-1), frame(W - 7, false, 40, 11), frame(W - 7, false, 40, 11)]);
    expect(r.onsets).toHaveLength(1);
    expect(r.onsets[0]!.pan).toBeGreaterThan(0.5);
    expect(r.onsets[0]!.y).toBeGreaterThan(0.3);
    const left = run([frame(-1), frame(-1), frame(-1), frame(0, false, 40, 0), frame(0, false, 40, 0)]);
    expect(left.onsets[0]!.pan).toBeLessThan(-0.5);
    expect(left.onsets[0]!.y).toBeLessThan(-0.3);
  });

  it('a lasting change of picture is a cut, not an onset; the scenes carry their brightness', () => {
    const frames = [...Array.from({ length: 30 }, () => frame(-1, false, 30)), ...Array.from({ length: 30 }, () => frame(-1, false, 200))];
    const r = run(frames);
    expect(r.cuts).toEqual([30 / 25]);
    expect(r.onsets).toEqual([]);
    expect(r.scenes).toHaveLength(2);
    expect(r.scenes[0]).toMatchObject({ start: 0, end: 30 / 25 });
    expect(r.scenes[0]!.brightness).toBeCloseTo(30 / 255, 3);
    expect(r.scenes[1]!.brightness).toBeCloseTo(200 / 255, 3);
  });

  it('a small object moving after a cut is an onset in the new shot; the cut itself is not', () => {
    const frames = [
      ...Array.from({ length: 30 }, () => frame(-1, false, 30)),
      ...Array.from({ length: 20 }, () => frame(-1, false, 200)),
      ...Array.from({ length: 20 }, () => frame(10, false, 200)),
    ];
    const r = run(frames);
    expect(r.cuts).toEqual([30 / 25]);
    expect(r.onsets.map((o) => o.frame)).toEqual([50]);
  });

  it('ignores codec-like noise on a still shot', () => {
    let seed = 1;
    const noise = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed % 3) - 1;
    };
    const frames = Array.from({ length: 60 }, () => frame(-1).map((v) => v + noise()));
    expect(run(frames).onsets).toEqual([]);
  });

  it('reads colour from Cb/Cr planes when the frames carry them', () => {
    const a = new MotionAnalyzer(W, H);
    const yuv = new Uint8Array(3 * W * H);
    yuv.fill(100, 0, W * H);
    yuv.fill(200, W * H, 2 * W * H); // blue
    yuv.fill(100, 2 * W * H);
    for (let i = 0; i < 5; i++) a.push(yuv, i / 25);
    const r = a.finish();
    expect(r.scenes[0]!.cb).toBeCloseTo(200 / 255 - 0.5, 3);
    expect(r.scenes[0]!.cr).toBeCloseTo(100 / 255 - 0.5, 3);
  });

  it('uses the real presentation times (variable frame rate), not index / fps', () => {
    const times = [0, 0.1, 0.2, 0.3, 0.333, 0.4, 0.5, 0.6, 0.7, 0.8];
    const frames = times.map((_, i) => frame(i < 6 ? -1 : 4));
    const r = analyzeFrames({ frames, times, width: W, height: H });
    expect(r.onsets.map((o) => o.time)).toEqual([0.5]);
    // The last frame lasts the median interval.
    expect(r.duration).toBeCloseTo(0.9, 9);
  });
});

describe('onset picking', () => {
  const fps = 25;
  const times = Array.from({ length: 200 }, (_, i) => i / fps);
  it('follows the shot: on a busy background only jolts well above its spread count', () => {
    let s = 7;
    const rand = (): number => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647;
    };
    const novelty = times.map((_, i) => 0.1 + 0.02 * rand() + ([50, 120].includes(i) ? 0.3 : 0));
    expect(pickOnsets({ novelty, times, shotStarts: [] }).map((p) => p.frame)).toEqual([50, 120]);
  });
  it('keeps a refractory period and skips shot starts', () => {
    const novelty = times.map((_, i) => ([30, 31, 32, 90].includes(i) ? 0.5 : 0));
    expect(pickOnsets({ novelty, times, shotStarts: [90] }).map((p) => p.frame)).toEqual([30]);
    expect(pickOnsets({ novelty, times, shotStarts: [] }, { refractoryS: 0.04 }).map((p) => p.frame)).toEqual([30, 31, 32, 90]);
  });
});

describe('cut detection', () => {
  const hist = (bin: number): Float64Array => {
    const h = new Float64Array(32);
    h[bin] = 1;
    return h;
  };
  it('a look that lasts is a cut; one that comes back (a flash) is not; one at the very end counts', () => {
    const d = new CutDetector({ holdS: 0.3 });
    // flash at 20–21, cut at 42, a short shot at 62 that never returns to the look before it, cut at 65
    const bins = [...Array(20).fill(2), 30, 30, ...Array(20).fill(2), ...Array(20).fill(9), ...Array(3).fill(2), 16];
    bins.forEach((b, i) => {
      d.push(i, i / 25, { hist: hist(b as number) });
    });
    expect(d.finish()).toEqual([42, 62, 65]);
  });
});

describe('cadence', () => {
  it('finds a regular run of steps and ignores scattered onsets', () => {
    const steps = [1, 1.5, 2.02, 2.5, 3.01, 3.5];
    const r = detectCadence([0.1, 0.17, ...steps, 5.9]);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ first: 2, last: 7 });
    expect(r[0]!.periodS).toBeCloseTo(0.5, 1);
    expect(r[0]!.perMinute).toBeCloseTo(120, -1);
    expect(detectCadence([0.1, 0.9, 1.2, 2.6, 2.8])).toEqual([]);
  });
});

describe('scene stats', () => {
  it('splits at cut frames and leaves the cut frame out of the scene motion', () => {
    const t = [0, 1, 2, 3];
    const s = sceneStats({
      times: t,
      brightness: [0.1, 0.1, 0.9, 0.9],
      cb: [0, 0, 0, 0],
      cr: [0, 0, 0, 0],
      motion: [0, 0.01, 0.8, 0.03],
      cutFrames: [2],
      duration: 4,
    });
    expect(s).toEqual([
      { start: 0, end: 2, brightness: 0.1, cb: 0, cr: 0, motion: 0.01 },
      { start: 2, end: 4, brightness: 0.9, cb: 0, cr: 0, motion: 0.03 },
    ]);
  });
});
