import { describe, expect, it } from 'vitest';
import { ChromaFromSource } from './color-fix.js';
import { luma } from './quality.js';

const solid = (w: number, h: number, rgb: [number, number, number]): Uint8Array => {
  const out = new Uint8Array(w * h * 3);
  for (let p = 0; p < w * h; p++) out.set(rgb, p * 3);
  return out;
};

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

describe('ChromaFromSource', () => {
  it(
    'keeps the output’s luma and takes the source’s colour: ' +
      'a tinted upscale of an orange frame comes back orange, brighter by what the model added',
    () => {
      const source = solid(4, 3, [200, 120, 40]);
      // The "model" brightened every channel by 10 and tinted it red.
      const out = solid(8, 6, [235, 130, 50]);
      const lumaBefore = luma({ data: out, width: 8, height: 6 });
      new ChromaFromSource(4, 3, 2).apply(out, source);
      expect(maxDiff(luma({ data: out, width: 8, height: 6 }), lumaBefore)).toBeLessThan(0.6);
      // Same chroma as the source: each channel moved by the luma difference alone.
      const dy = (lumaBefore[0] as number) - (luma({ data: source, width: 4, height: 3 })[0] as number);
      expect(maxDiff(out, solid(8, 6, [200 + dy, 120 + dy, 40 + dy]))).toBeLessThanOrEqual(1);
    },
  );

  it('a grey source makes a grey result whatever colour cast the model gave', () => {
    const out = Uint8Array.from({ length: 6 * 6 * 3 }, (_, i) => (i % 3 === 0 ? 180 : 90 + (i % 7)));
    new ChromaFromSource(2, 2, 3).apply(out, solid(2, 2, [128, 128, 128]));
    for (let p = 0; p < 36; p++) {
      expect(Math.abs((out[p * 3] as number) - (out[p * 3 + 1] as number))).toBeLessThanOrEqual(1);
      expect(Math.abs((out[p * 3 + 2] as number) - (out[p * 3 + 1] as number))).toBeLessThanOrEqual(1);
    }
  });

  it('interpolates the source’s chroma between pixel centres', () => {
    // Left half red, right half blue; the output's luma is flat grey.
    const source = new Uint8Array([255, 0, 0, 0, 0, 255]);
    const out = solid(4, 2, [100, 100, 100]);
    new ChromaFromSource(2, 1, 2).apply(out, source);
    const row = Array.from({ length: 4 }, (_, x) => (out[x * 3] as number) - (out[x * 3 + 2] as number));
    // Red minus blue falls from left to right, symmetric around the middle.
    expect(row[0]).toBeGreaterThan(row[1] as number);
    expect(row[1]).toBeGreaterThan(row[2] as number);
    expect(row[2]).toBeGreaterThan(row[3] as number);
    expect(Math.abs((row[1] as number) + (row[2] as number))).toBeLessThanOrEqual(2);
  });

  it('refuses frames of the wrong size', () => {
    expect(() => new ChromaFromSource(4, 3, 2).apply(new Uint8Array(10), new Uint8Array(36))).toThrow(RangeError);
  });
});
