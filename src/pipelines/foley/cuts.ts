/**
 * @module Online scene-cut detection from luma histograms (pure, bounded memory). A cut changes the
 * picture's make-up for good; a flash changes it and comes back. So a frame whose histogram jumps
 * is a cut only if the new look differs from every frame of the last `holdS` seconds, and the
 * frames of the next `holdS` seconds all stay far from the frame before the jump. Only the last
 * `holdS` of histograms are kept, so a long video costs no more memory than a short one.
 */
import { histDistance } from './frame-features.js';

export interface CutOptions {
  /** Histogram distance (0..1) above which a frame may start a new shot. */
  threshold?: number;
  /** A new look must last this long (s) to be a cut; a shorter one (a flash) is an event. */
  holdS?: number;
}

interface Pending {
  frame: number;
  time: number;
  before: Float64Array;
}

export class CutDetector {
  /** Frame indices confirmed as the first frame of a new shot, in order. */
  readonly cutFrames: number[] = [];
  private readonly threshold: number;
  private readonly holdS: number;
  private readonly recent: Array<{ time: number; hist: Float64Array }> = [];
  private pending: Pending[] = [];

  constructor(opts: CutOptions = {}) {
    this.threshold = opts.threshold ?? 0.5;
    this.holdS = opts.holdS ?? 0.3;
  }

  /** Feed frame `index` at `time` with its normalised histogram (copied). */
  push(index: number, time: number, hist: ArrayLike<number>): void {
    const h = Float64Array.from(hist);
    // Settle or drop pending candidates with this frame.
    const still: Pending[] = [];
    for (const p of this.pending) {
      if (time - p.time >= this.holdS) this.cutFrames.push(p.frame);
      else if (histDistance(p.before, h) > this.threshold) still.push(p);
    }
    this.pending = still;
    const prev = this.recent.at(-1);
    if (prev && histDistance(prev.hist, h) > this.threshold) {
      // The look before the jump must not have been seen in the hold window either (the end of a flash).
      let lasting = true;
      for (let j = 0; j < this.recent.length - 1 && lasting; j++) {
        const r = this.recent[j] as { time: number; hist: Float64Array };
        if (time - r.time <= this.holdS && histDistance(r.hist, h) <= this.threshold) lasting = false;
      }
      if (lasting) this.pending.push({ frame: index, time, before: prev.hist });
    }
    this.recent.push({ time, hist: h });
    while (this.recent.length > 1 && time - (this.recent[0] as { time: number }).time > this.holdS) this.recent.shift();
    // A bound even for absurd frame rates.
    if (this.recent.length > 512) this.recent.shift();
  }

  /** End of stream: a candidate that lasted until the end is a cut. */
  finish(): number[] {
    for (const p of this.pending) this.cutFrames.push(p.frame);
    this.pending = [];
    this.cutFrames.sort((a, b) => a - b);
    return this.cutFrames;
  }
}
