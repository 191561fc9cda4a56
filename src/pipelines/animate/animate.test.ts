/** The animate pipeline's pure parts: energy and onsets, the salient region, the path, the resampler. */
import { describe, expect, it } from 'vitest';
import { frameRms, normalizeEnergy, onsets } from './envelope.js';
import { BASE_SPEED, planPath, progress } from './path.js';
import { CropScaler } from './resample.js';
import { salientRegion } from './saliency.js';

describe('envelope', () => {
  it('RMS per frame, scaled to the loud level; silence is flagged; a step up is one onset', () => {
    const rate = 8000;
    const fps = 25;
    const samples = new Float32Array(rate * 2);
    for (let i = rate; i < 2 * rate; i++) samples[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate);
    const rms = frameRms(samples, rate, fps, 50);
    expect(rms[0]).toBe(0);
    expect(rms[30]).toBeCloseTo(0.5 / Math.SQRT2, 2);
    const e = normalizeEnergy(rms);
    expect(e.silent).toBe(false);
    expect(e.level[40]).toBeCloseTo(1, 1);
    const hits = [...onsets(e.level, fps)].flatMap((v, i) => (v > 0 ? [i] : []));
    expect(hits).toEqual([25]);
    expect(normalizeEnergy(new Float32Array(50)).silent).toBe(true);
  });
});

describe('path', () => {
  it('progress steps by base + energy and ends at 1 on the last frame', () => {
    const energy = Float32Array.from({ length: 100 }, (_, i) => (i < 50 ? 0 : 1));
    const p = progress(energy, 25);
    expect(p[0]).toBe(0);
    expect(p[99]).toBeCloseTo(1, 5);
    const quietStep = (p[20] as number) - (p[19] as number);
    const loudStep = (p[80] as number) - (p[79] as number);
    expect(loudStep / quietStep).toBeCloseTo((BASE_SPEED + 1) / BASE_SPEED, 3);
  });

  it(
    'zoom_in starts on the widest window and ends smaller, on the salient point; ' + 'pan_left moves the window left; windows stay inside',
    () => {
      const base = {
        width: 400,
        height: 300,
        aspect: 16 / 9,
        salient: { x: 0.8, y: 0.3, contrast: 2 },
        energy: new Float32Array(50).fill(0.5),
        onsets: new Float32Array(50),
        fps: 25,
        seed: 1,
      };
      const z = planPath({ ...base, motion: 'auto' });
      expect(z.motion).toBe('zoom_in');
      const first = z.windows[0]!;
      const last = z.windows.at(-1)!;
      expect(first.w).toBeCloseTo(400, 5);
      expect(first.h).toBeCloseTo(225, 5);
      expect(last.w).toBeLessThan(first.w / 1.25);
      expect(last.x + last.w / 2).toBeGreaterThan(first.x + first.w / 2 + 50);
      const pan = planPath({ ...base, motion: 'pan_left' }).windows;
      expect(pan.at(-1)!.x).toBeLessThan(pan[0]!.x - 50);
      for (const w of [...z.windows, ...pan]) {
        expect(w.x).toBeGreaterThanOrEqual(-1e-6);
        expect(w.y).toBeGreaterThanOrEqual(-1e-6);
        expect(w.x + w.w).toBeLessThanOrEqual(400 + 1e-6);
        expect(w.y + w.h).toBeLessThanOrEqual(300 + 1e-6);
      }
    },
  );

  it('an onset punches in (smaller window) and decays; the same seed gives the same path', () => {
    const hits = new Float32Array(50);
    hits[20] = 1;
    const o = {
      motion: 'pan_right' as const,
      width: 400,
      height: 300,
      aspect: 4 / 3,
      salient: { x: 0.5, y: 0.5, contrast: 1 },
      energy: new Float32Array(50),
      onsets: hits,
      fps: 25,
      seed: 9,
    };
    const w = planPath(o).windows;
    expect(w[20]!.w).toBeLessThan(w[19]!.w * 0.95);
    expect(w[40]!.w).toBeGreaterThan(w[20]!.w);
    expect(planPath(o).windows).toEqual(w);
    expect(planPath({ ...o, seed: 10 }).windows).not.toEqual(w);
  });
});

describe('saliency and resampling', () => {
  it('finds the textured corner of a flat image', () => {
    const w = 160;
    const h = 120;
    const rgb = new Uint8Array(w * h * 3).fill(128);
    for (let y = 80; y < 120; y++) for (let x = 0; x < 40; x++) rgb.fill((x + y) % 2 ? 255 : 0, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const s = salientRegion(rgb, w, h);
    expect(s.x).toBeLessThan(0.3);
    expect(s.y).toBeGreaterThan(0.6);
    expect(s.contrast).toBeGreaterThan(3);
  });

  it('the whole image at its own size is the image; a window is interpolated bilinearly', () => {
    const w = 8;
    const h = 4;
    const src = Uint8Array.from({ length: w * h * 3 }, (_, i) => (Math.floor(i / 3) % w) * 30);
    const out = new Uint8Array(w * h * 3);
    new CropScaler(w, h, w, h).render(src, { x: 0, y: 0, w, h }, out);
    expect(out).toEqual(src);
    const half = new Uint8Array(3);
    // A 1×1 window over [2.5, 3.5): its centre, 3.0, lies halfway between the centres of pixels 2 (60) and 3 (90).
    new CropScaler(w, h, 1, 1).render(src, { x: 2.5, y: 0, w: 1, h: 1 }, half);
    expect(half[0]).toBe(75);
  });
});
