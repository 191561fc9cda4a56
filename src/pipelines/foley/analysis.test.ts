import { describe, expect, it } from 'vitest';
import { MotionAnalyzer, detectEvents } from './analysis.js';

const W = 32;
const H = 18;

/** Frames of a dark floor with a bright square at `x` (or none when x < 0), `flash` = all white. */
function frame(x: number, flash = false, base = 40): Uint8Array {
  const f = new Uint8Array(W * H).fill(flash ? 250 : base);
  if (x >= 0) for (let y = 6; y < 12; y++) for (let i = x; i < x + 6; i++) f[y * W + i] = 230;
  return f;
}

function run(frames: Uint8Array[], fps = 25) {
  const a = new MotionAnalyzer(W, H);
  for (const f of frames) a.push(f);
  return detectEvents(a.features, Float64Array.from(frames, (_, i) => i / fps));
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

  it('pans toward where the motion is', () => {
    const r = run([frame(-1), frame(-1), frame(-1), frame(W - 7), frame(W - 7)]);
    expect(r.onsets).toHaveLength(1);
    expect(r.onsets[0]!.pan).toBeGreaterThan(0.5);
  });

  it('a lasting change of picture is a cut, not an onset', () => {
    const frames = [...Array.from({ length: 30 }, () => frame(-1, false, 30)), ...Array.from({ length: 30 }, () => frame(-1, false, 200))];
    const r = run(frames);
    expect(r.cuts).toEqual([30 / 25]);
    expect(r.onsets).toEqual([]);
  });

  it('ignores codec-like noise on a still shot', () => {
    let seed = 1;
    const noise = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 3) - 1;
    const frames = Array.from({ length: 60 }, () => frame(-1).map((v) => v + noise()));
    expect(run(frames).onsets).toEqual([]);
  });
});
