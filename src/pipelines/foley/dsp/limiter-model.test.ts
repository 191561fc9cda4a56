import { describe, expect, it } from 'vitest';
import { LOOKAHEAD_S, predictLoudness, RELEASE_S } from './limiter-model.js';
import { segmentLength } from './stem-stats.js';
import { BLOCK, FoleyDsp, masterStems } from './wasm.js';

const SR = 48_000;
const CEILING = 0.79;

/** A quiet noise bed and sparse, punchy events (decaying noise bursts and thumps) on their own stems. */
function stems(seconds: number): { bed: [Float32Array, Float32Array]; ev: [Float32Array, Float32Array] } {
  const n = Math.round(seconds * SR);
  let s = 11;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
  const bed: [Float32Array, Float32Array] = [new Float32Array(n), new Float32Array(n)];
  const ev: [Float32Array, Float32Array] = [new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    const t = i / SR;
    const since = t % 0.45;
    const env = Math.exp(-since * 40);
    bed[0][i] = 0.01 * rnd();
    bed[1][i] = 0.01 * rnd();
    const thump = Math.sin(2 * Math.PI * 90 * since) * env;
    ev[0][i] = 0.25 * (0.6 * rnd() * env + thump);
    ev[1][i] = 0.25 * (0.4 * rnd() * env + thump);
  }
  return { bed, ev };
}

/** The engine's statistics of these stems, gathered block by block as during synthesis. */
function statsOf(st: ReturnType<typeof stems>): FoleyDsp {
  const dsp = new FoleyDsp();
  const n = st.bed[0].length;
  dsp.statsBegin(segmentLength(SR), n);
  for (let at = 0; at < n; at += BLOCK) {
    const len = Math.min(BLOCK, n - at);
    dsp.statsPush(
      [...st.bed, ...st.ev].map((x) => x.subarray(at, at + len)),
      len,
    );
  }
  return dsp;
}

/** The real thing: the engine's pass at these gains, limited (or not), metered. */
function measured(st: ReturnType<typeof stems>, gb: number, ge: number, limited: boolean): number {
  const ceiling = limited ? CEILING : Number.POSITIVE_INFINITY;
  return masterStems([...st.bed, ...st.ev], { bed: gb, events: ge }, { ceiling, lookaheadS: LOOKAHEAD_S, releaseS: RELEASE_S }, SR).lufs;
}

describe('limiter model', () => {
  const st = stems(6);
  const stats = statsOf(st);
  const unlimited = { ceiling: Number.POSITIVE_INFINITY };

  it('without a limiter it is the meter itself: equal gains, and the bed alone', () => {
    expect(predictLoudness(stats, 2, 2, unlimited)).toBeCloseTo(measured(st, 2, 2, false), 6);
    expect(predictLoudness(stats, 1, 0, unlimited)).toBeCloseTo(measured(st, 1, 0, false), 6);
    // Unequal gains take the stems as uncorrelated: here they are, within a hundredth of an LU.
    expect(Math.abs(predictLoudness(stats, 0.5, 3, unlimited) - measured(st, 0.5, 3, false))).toBeLessThan(0.02);
  });

  it.each([1, 6, 10, 16])('through the limiter at +%i dB: within 0.5 LU of a real pass', (db) => {
    const g = 10 ** (db / 20);
    const real = measured(st, g, g, true);
    const predicted = predictLoudness(stats, g, g, { ceiling: CEILING });
    expect(Math.abs(predicted - real)).toBeLessThan(0.5);
    // From +10 dB the limiter takes 3 to 8 LU off; the model still lands within half an LU.
    if (db >= 10) expect(measured(st, g, g, false) - real).toBeGreaterThan(2.5);
  });

  it('with the bed held back (unequal gains) too', () => {
    const gb = 10 ** (4 / 20);
    const ge = 10 ** (12 / 20);
    expect(Math.abs(predictLoudness(stats, gb, ge, { ceiling: CEILING }) - measured(st, gb, ge, true))).toBeLessThan(0.5);
  });
});
