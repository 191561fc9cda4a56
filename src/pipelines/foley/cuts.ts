/**
 * @module Online scene-cut detection (pure, bounded memory). A frame starts a new shot when its
 * picture jumps away from the frame before: the luma histogram moves (new colours), or the layout
 * moves (a block grid of means: the same dark restaurant from another angle keeps its histogram but
 * puts faces where the wall was). Both must come with a large pixel change that the frame before did
 * not already have, so a fade (small change every frame, same layout) or a continuing pan is never
 * a cut. A cut changes the picture for good; a flash changes it and comes back. So a jump is a cut
 * only if the new look differs from every frame of the last `holdS` seconds, and the frames of the
 * next `holdS` seconds all stay far from the frame before the jump. Only the last `holdS` of frame
 * signatures are kept, so a long video costs no more memory than a short one.
 */
import { histDistance, layoutDistance } from './frame-features.js';

export interface CutOptions {
  /** Histogram distance (0..1) above which a frame may start a new shot. */
  threshold?: number;
  /** Layout distance (1 − correlation of the block means) above which a frame may start a new shot. */
  structure?: number;
  /** Mean block change (0..1 of full scale) a new shot needs at least: fades and flicker stay below. */
  minChange?: number;
  /** Share of the layout's blocks that must change (a new shot changes most; one moving object few). */
  minSpread?: number;
  /** A new look must last this long (s) to be a cut; a shorter one (a flash) is an event. */
  holdS?: number;
}

/** What the detector keeps of a frame: its luma histogram and, when known, its block means. */
interface Look {
  time: number;
  hist: Float64Array;
  blocks: Float64Array | undefined;
}

interface Pending {
  frame: number;
  time: number;
  before: Look;
}

export class CutDetector {
  /** Frame indices confirmed as the first frame of a new shot, in order. */
  readonly cutFrames: number[] = [];
  private readonly threshold: number;
  private readonly structure: number;
  private readonly minChange: number;
  private readonly minSpread: number;
  private readonly holdS: number;
  private readonly recent: Look[] = [];
  private pending: Pending[] = [];
  /** The block change into the previous frame: a cut's change stands out from it. */
  private prevChange = 0;

  constructor(opts: CutOptions = {}) {
    this.threshold = opts.threshold ?? 0.5;
    this.structure = opts.structure ?? 0.5;
    this.minChange = opts.minChange ?? 0.08;
    this.minSpread = opts.minSpread ?? 0.4;
    this.holdS = opts.holdS ?? 0.3;
  }

  /**
   * Whether two looks belong to different shots. With block means: a large change of blocks, and
   * new colours or a new layout. Without (histograms only): the histogram distance alone.
   */
  private far(a: Look, b: Look): { far: boolean; change: number } {
    const h = histDistance(a.hist, b.hist);
    if (!a.blocks || !b.blocks) return { far: h > this.threshold, change: h };
    const { mad, structure, spread } = layoutDistance(a.blocks, b.blocks);
    return { far: mad >= this.minChange && spread >= this.minSpread && (h > this.threshold || structure >= this.structure), change: mad };
  }

  /** Feed frame `index` at `time` with its normalised histogram and optionally its block means (both copied). */
  push(index: number, time: number, hist: ArrayLike<number>, blocks?: ArrayLike<number>): void {
    const look: Look = { time, hist: Float64Array.from(hist), blocks: blocks ? Float64Array.from(blocks) : undefined };
    // Settle or drop pending candidates with this frame.
    const still: Pending[] = [];
    for (const p of this.pending) {
      if (time - p.time >= this.holdS) this.cutFrames.push(p.frame);
      else if (this.far(p.before, look).far) still.push(p);
    }
    this.pending = still;
    const prev = this.recent.at(-1);
    if (prev) {
      const { far, change } = this.far(prev, look);
      // The change must be new: half of it at least was not there into the frame before (a pan or a
      // running figure changes as much every frame; a cut once).
      if (far && (!look.blocks || change - this.prevChange >= this.minChange / 2)) {
        // The look before the jump must not have been seen in the hold window either (the end of a flash).
        let lasting = true;
        for (let j = 0; j < this.recent.length - 1 && lasting; j++) {
          const r = this.recent[j] as Look;
          if (time - r.time <= this.holdS && !this.far(r, look).far) lasting = false;
        }
        if (lasting) this.pending.push({ frame: index, time, before: prev });
      }
      this.prevChange = change;
    }
    this.recent.push(look);
    while (this.recent.length > 1 && time - (this.recent[0] as Look).time > this.holdS) this.recent.shift();
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
