/**
 * @module The camera path (Ken Burns): per output frame, the window of the still that is shown.
 * A named path fixes the shape (zoom in/out, pan in one of four directions); "auto" starts wide
 * and ends on the salient region. How far along the path each frame is follows the audio: the
 * camera moves by a small constant step plus a step proportional to the frame's energy, so it
 * drifts in quiet passages and travels in loud ones, and arrives at the end with the last frame.
 * Onsets add a short zoom punch (a few percent, decaying over ~0.2 s) with a small seeded nudge.
 */
import type { Salient } from './saliency.js';

export const MOTIONS = ['auto', 'zoom_in', 'zoom_out', 'pan_left', 'pan_right', 'pan_up', 'pan_down'] as const;
export type Motion = (typeof MOTIONS)[number];
export type NamedMotion = Exclude<Motion, 'auto'>;

/** A window of the working image, in its pixels (floats; the resampler interpolates). */
export interface Window {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PathOptions {
  motion: Motion;
  /** Working image size. */
  width: number;
  height: number;
  /** Output aspect (width / height): every window has it. */
  aspect: number;
  salient: Salient;
  /** Energy per frame, 0 … 1 (its length is the frame count). */
  energy: Float32Array;
  /** Onset strength per frame (0: none). */
  onsets: Float32Array;
  fps: number;
  seed: number;
}

/** Share of the step that does not depend on the audio (the drift in silence). */
export const BASE_SPEED = 0.12;
/** Zoom at the tight end of a zoom path; pans run at PAN_ZOOM (room to travel). */
export const MAX_ZOOM = 1.35;
export const PAN_ZOOM = 1.3;
/** Punch: extra zoom per unit of onset strength, and its decay time. */
export const PUNCH_ZOOM = 0.07;
export const PUNCH_DECAY_S = 0.18;

/** mulberry32: a small, seedable generator (the same seed gives the same path). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The named path "auto" runs: in toward the salient region. */
export function resolveMotion(motion: Motion): NamedMotion {
  return motion === 'auto' ? 'zoom_in' : motion;
}

/** Progress along the path at each frame, 0 at the first and 1 at the last, stepping with the energy. */
export function progress(energy: Float32Array, fps: number): Float32Array {
  const n = energy.length;
  // A 120 ms moving average: the camera follows the sound's loudness, not each syllable's jitter.
  const half = Math.max(0, Math.round(0.06 * fps));
  const step = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    let c = 0;
    for (let j = Math.max(0, i - half); j <= Math.min(n - 1, i + half); j++, c++) s += energy[j] as number;
    step[i] = BASE_SPEED + (c > 0 ? s / c : 0);
  }
  const p = new Float32Array(n);
  let total = 0;
  for (let i = 0; i < n - 1; i++) total += step[i] as number;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    p[i] = total > 0 ? acc / total : 0;
    acc += step[i] as number;
  }
  return p;
}

const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Every frame's window, in order (a frame count's worth of four numbers: small). */
export function planPath(o: PathOptions): { motion: NamedMotion; windows: Window[] } {
  const motion = resolveMotion(o.motion);
  const n = o.energy.length;
  const random = rng(o.seed);
  const zoomEnd = MAX_ZOOM + 0.1 * (random() - 0.5);
  // The widest window of the output's aspect that fits the image.
  const baseW = o.width / o.height > o.aspect ? o.height * o.aspect : o.width;
  const baseH = baseW / o.aspect;
  const p = progress(o.energy, o.fps);
  const decay = Math.exp(-1 / Math.max(1e-3, PUNCH_DECAY_S * o.fps));
  let punch = 0;
  let nudgeX = 0;
  let nudgeY = 0;
  const sx = o.salient.x * o.width;
  const sy = o.salient.y * o.height;
  const windows: Window[] = [];
  for (let i = 0; i < n; i++) {
    const t = p[i] as number;
    const hit = o.onsets[i] as number;
    if (hit > 0) {
      punch += PUNCH_ZOOM * hit;
      const angle = random() * 2 * Math.PI;
      nudgeX += 0.01 * hit * Math.cos(angle);
      nudgeY += 0.01 * hit * Math.sin(angle);
    }
    let zoom: number;
    let cx: number;
    let cy: number;
    switch (motion) {
      case 'zoom_in':
      case 'zoom_out': {
        const u = motion === 'zoom_in' ? t : 1 - t;
        zoom = lerp(1, zoomEnd, u);
        cx = lerp(o.width / 2, sx, u);
        cy = lerp(o.height / 2, sy, u);
        break;
      }
      default: {
        zoom = PAN_ZOOM;
        const w = baseW / zoom;
        const h = baseH / zoom;
        const horizontal = motion === 'pan_left' || motion === 'pan_right';
        // pan_left: the view moves left (the window from the right edge to the left one).
        const u = motion === 'pan_left' || motion === 'pan_up' ? 1 - t : t;
        cx = horizontal ? lerp(w / 2, o.width - w / 2, u) : sx;
        cy = horizontal ? sy : lerp(h / 2, o.height - h / 2, u);
      }
    }
    zoom *= 1 + punch;
    const w = baseW / zoom;
    const h = baseH / zoom;
    cx = clamp(cx + nudgeX * w, w / 2, o.width - w / 2);
    cy = clamp(cy + nudgeY * h, h / 2, o.height - h / 2);
    windows.push({ x: cx - w / 2, y: cy - h / 2, w, h });
    punch *= decay;
    nudgeX *= decay;
    nudgeY *= decay;
  }
  return { motion, windows };
}
