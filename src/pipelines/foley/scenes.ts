/**
 * @module Per-scene statistics (pure): mean brightness, colour and motion of each shot between cuts.
 * The bed takes its colour from them (a dark shot gets a darker, quieter bed; a cold blue shot a
 * thinner one), so a cut is heard as a change of room, not a hit.
 */

export interface Scene {
  /** Seconds. */
  start: number;
  end: number;
  /** Mean luma 0..1. */
  brightness: number;
  /** Mean chroma −0.5..0.5 (Cb: blue−yellow, Cr: red−green); 0 for gray input. */
  cb: number;
  cr: number;
  /** Mean motion energy 0..1. */
  motion: number;
}

/** Per-frame series of one clip (parallel arrays, one value per frame), its cuts and its length. */
export interface SceneSeries {
  times: ArrayLike<number>;
  brightness: ArrayLike<number>;
  cb: ArrayLike<number>;
  cr: ArrayLike<number>;
  motion: ArrayLike<number>;
  cutFrames: readonly number[];
  duration: number;
}

export function sceneStats({ times, brightness, cb, cr, motion, cutFrames, duration }: SceneSeries): Scene[] {
  const n = times.length;
  const bounds = [0, ...cutFrames.filter((f) => f > 0 && f < n), n];
  const scenes: Scene[] = [];
  for (let s = 0; s + 1 < bounds.length; s++) {
    const a = bounds[s] as number;
    const b = bounds[s + 1] as number;
    if (b <= a) continue;
    let sb = 0,
      su = 0,
      sv = 0,
      sm = 0;
    for (let i = a; i < b; i++) {
      sb += brightness[i] as number;
      su += cb[i] as number;
      sv += cr[i] as number;
      // The cut frame's own motion is the cut, not the scene's.
      if (i > a) sm += motion[i] as number;
    }
    const len = b - a;
    scenes.push({
      start: times[a] as number,
      end: b < n ? (times[b] as number) : duration,
      brightness: sb / len,
      cb: su / len,
      cr: sv / len,
      motion: len > 1 ? sm / (len - 1) : 0,
    });
  }
  return scenes;
}

/**
 * How a scene's picture colours its bed: cutoff, high-pass and level multipliers
 * (documented in docs/tasks/foley.md, "How the built-in engine works").
 */
export function sceneColour(s: Pick<Scene, 'brightness' | 'cb' | 'cr'>): { cutoff: number; highpass: number; level: number } {
  const b = Math.max(0, Math.min(1, s.brightness));
  return {
    // A dark shot sounds darker and quieter.
    cutoff: 0.6 + 0.8 * b,
    // Blue (Cb > 0) thins the bed out; warm (Cr > 0) keeps the low end.
    highpass: Math.max(0.5, 1 + 3 * s.cb - 1.5 * s.cr),
    level: 0.75 + 0.5 * b,
  };
}
