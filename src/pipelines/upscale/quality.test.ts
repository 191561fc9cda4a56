/** The quality figures on synthetic images whose answers are known. */
import { describe, expect, it } from 'vitest';
import { luma, psnr, sharpness, ssim, type RgbImage } from './quality.js';

function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  return { data, width, height };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A textured test card: gradients, a checkerboard and a disc. */
const card = image(64, 48, (x, y) => {
  const check = ((x >> 2) + (y >> 2)) % 2 ? 200 : 40;
  const disc = (x - 40) ** 2 + (y - 24) ** 2 < 100 ? 255 : 0;
  return [Math.round((x * 255) / 63), check, Math.max(disc, Math.round((y * 255) / 47))];
});

/** Smooth gradients only: noise stands out against them. */
const smooth = image(64, 48, (x, y) => [40 + 2 * x, 60 + 2 * y, 128]);

/** Grey uniform noise of ±amplitude (the same on R, G and B, so luma gets all of it). */
function noisy(img: RgbImage, amplitude: number, seed: number): RgbImage {
  const rnd = rng(seed);
  const data = img.data.slice();
  for (let p = 0; p < data.length; p += 3) {
    const n = (rnd() * 2 - 1) * amplitude;
    for (let c = 0; c < 3; c++) data[p + c] = Math.max(0, Math.min(255, Math.round((img.data[p + c] as number) + n)));
  }
  return { ...img, data };
}

/** A vertical edge at x = 32: a step, or a linear ramp `blur` pixels wide. */
function edge(blur: number): RgbImage {
  return image(64, 32, (x) => {
    const t = blur === 0 ? (x < 32 ? 0 : 1) : Math.max(0, Math.min(1, (x - 32 + blur / 2) / blur));
    const v = Math.round(30 + 200 * t);
    return [v, v, v];
  });
}

describe('psnr', () => {
  it('is Infinity for identical images', () => {
    expect(psnr(card, card)).toBe(Infinity);
    expect(psnr(card, { ...card, data: card.data.slice() }, 'luma')).toBe(Infinity);
  });

  it('a constant offset d gives 20·log10(255/d), on RGB and on luma', () => {
    const base = image(16, 16, (x, y) => [20 + x, 30 + y, 40 + x + y]);
    for (const d of [1, 2, 5, 16, 100]) {
      const shifted = { ...base, data: base.data.map((v) => v + d) };
      expect(psnr(base, shifted)).toBeCloseTo(20 * Math.log10(255 / d), 10);
      // Luma weights add up to 1: the offset is d in luma too.
      expect(psnr(base, shifted, 'luma')).toBeCloseTo(20 * Math.log10(255 / d), 6);
    }
  });

  it('one channel off by d: MSE is d²/3 on RGB; on luma the green weight counts', () => {
    const base = image(8, 8, () => [100, 100, 100]);
    const greener = image(8, 8, () => [100, 110, 100]);
    expect(psnr(base, greener)).toBeCloseTo(10 * Math.log10((255 * 255) / (100 / 3)), 10);
    expect(psnr(base, greener, 'luma')).toBeCloseTo(20 * Math.log10(255 / (0.587 * 10)), 6);
  });

  it('refuses images of different sizes', () => {
    expect(() => psnr(card, edge(0))).toThrow(RangeError);
  });
});

describe('ssim', () => {
  it('matches a reference implementation (numpy/scipy, same definition) on a test card with noise', () => {
    // scipy.signal.correlate2d(Y, gaussian 11×11 σ 1.5, 'valid'), Wang et al.'s formula: 0.978614118…
    expect(ssim(card, noisy(card, 17, 17))).toBeCloseTo(0.9786141183633751, 10);
  });

  it('is 1 for identical images and drops as noise grows', () => {
    expect(ssim(card, card)).toBeCloseTo(1, 12);
    const s = [2, 8, 32, 96].map((a) => ssim(smooth, noisy(smooth, a, a)));
    expect(s[0]).toBeLessThan(1);
    for (let k = 1; k < s.length; k++) expect(s[k]).toBeLessThan(s[k - 1] as number);
    expect(s[3]).toBeLessThan(0.5);
  });

  it('sees structure, not just error: an offset and noise of about the same PSNR score far apart', () => {
    // Uniform noise of amplitude a has variance a²/3: a = 17 gives an MSE near 10² = the offset's.
    const brighter = { ...smooth, data: smooth.data.map((v) => v + 10) };
    const grainy = noisy(smooth, 17, 5);
    expect(Math.abs(psnr(smooth, brighter, 'luma') - psnr(smooth, grainy, 'luma'))).toBeLessThan(1);
    expect(ssim(smooth, brighter)).toBeGreaterThan(0.95);
    expect(ssim(smooth, grainy)).toBeLessThan(ssim(smooth, brighter) - 0.3);
  });

  it('is symmetric and needs at least an 11×11 window', () => {
    const n = noisy(card, 20, 9);
    expect(ssim(card, n)).toBeCloseTo(ssim(n, card), 12);
    const tiny = image(10, 10, () => [1, 2, 3]);
    expect(() => ssim(tiny, tiny)).toThrow(RangeError);
  });
});

describe('sharpness', () => {
  it('is higher for a sharp edge than for blurred ones, and falls as the blur widens', () => {
    const [sharp, soft, softer] = [0, 4, 12].map((b) => sharpness(edge(b))) as [number, number, number];
    expect(sharp).toBeGreaterThan(soft);
    expect(soft).toBeGreaterThan(softer);
    expect(sharpness(image(16, 16, () => [90, 90, 90]))).toBe(0);
  });
});

describe('luma', () => {
  it('is BT.601', () => {
    expect([...luma(image(3, 1, (x) => (x === 0 ? [255, 0, 0] : x === 1 ? [0, 255, 0] : [0, 0, 255])))]).toEqual([
      0.299 * 255,
      0.587 * 255,
      0.114 * 255,
    ]);
  });
});
