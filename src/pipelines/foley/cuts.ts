/**
 * @module Online scene-cut detection (pure, bounded memory). A frame starts a new shot when its
 * picture jumps away from the frame before: the luma histogram moves (new colours), or the layout
 * moves (a block grid of means: the same dark restaurant from another angle keeps its histogram but
 * puts faces where the wall was), or the structure moves (the edges on the same grid: a street seen
 * from the other side, a cut to a close-up keep colours and layout close but put their edges
 * elsewhere). Each must come with a change over most of the frame that the frame before did not
 * already have, so a fade (small change every frame, same layout, edges only scaled), a continuing
 * pan or a flickering fire is never a cut. A cut changes the picture for good; a flash changes it
 * and comes back. So a jump is a cut only if the new look differs from every frame of the last
 * `holdS` seconds, and the frames of the next `holdS` seconds all stay far from the frame before
 * the jump. Only the last `holdS` of frame signatures are kept, so a long video costs no more
 * memory than a short one.
 */
import { edgeDistance, histDistance, layoutDistance } from './frame-features.js';

export interface CutOptions {
  /** Histogram distance (0..1) above which a frame may start a new shot. */
  threshold?: number;
  /** Layout distance (1 − correlation of the block means) above which a frame may start a new shot. */
  structure?: number;
  /** Mean block change (0..1 of full scale) a new shot needs at least: fades and flicker stay below. */
  minChange?: number;
  /** Share of the layout's blocks that must change (a new shot changes most; one moving object few). */
  minSpread?: number;
  /**
   * Edge-map distance (1 − correlation of the blocks' edge energy) above which a frame may start a
   * new shot. Measured at 64 columns: cuts 0.45–1.1 (two shots of one restaurant table 0.45), a
   * shot's own frames under 0.2 (a runner, a jump in time on a fixed camera), fire up to 0.45.
   */
  edges?: number;
  /**
   * How far above every frame-to-frame edge distance of the last `holdS` a cut's must be: fire
   * or leaves in the wind move their edges by 0.3–0.45 every frame, a cut once.
   */
  edgeJump?: number;
  /** A new look must last this long (s) to be a cut; a shorter one (a flash) is an event. */
  holdS?: number;
}

/** What the detector keeps of a frame: its luma histogram and, when known, its block means and edges. */
interface Look {
  time: number;
  hist: Float64Array;
  blocks: Float64Array | undefined;
  edges: Float64Array | undefined;
  /** Edge distance from the frame before into this one (0 for the first). */
  edgeIn: number;
}

/** How two looks differ, and by which rule they are different shots. */
interface Apart {
  /** By colours or layout (with a large change over most blocks). */
  byLook: boolean;
  /** By structure (edges elsewhere, over most blocks). */
  byEdges: boolean;
  /** Mean block change (the histogram distance without blocks). */
  change: number;
  /** Edge-map distance (0 without edges). */
  edge: number;
}

/** A frame's picture for the detector: its normalised histogram and, optionally, block means and edge energy (all copied). */
export interface CutFrame {
  hist: ArrayLike<number>;
  blocks?: ArrayLike<number> | undefined;
  edges?: ArrayLike<number> | undefined;
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
  private readonly edges: number;
  private readonly edgeJump: number;
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
    this.edges = opts.edges ?? 0.4;
    this.edgeJump = opts.edgeJump ?? 0.25;
  }

  /**
   * Whether two looks belong to different shots, and by which rule. With block means: a large
   * change of blocks with new colours or a new layout, or edges elsewhere over most blocks. Without
   * (histograms only): the histogram distance alone.
   */
  private apart(a: Look, b: Look): Apart {
    const h = histDistance(a.hist, b.hist);
    if (!a.blocks || !b.blocks) return { byLook: h > this.threshold, byEdges: false, change: h, edge: 0 };
    const { mad, structure, spread } = layoutDistance(a.blocks, b.blocks);
    const edge = a.edges && b.edges ? edgeDistance(a.edges, b.edges) : 0;
    const wide = spread >= this.minSpread;
    return {
      byLook: wide && mad >= this.minChange && (h > this.threshold || structure >= this.structure),
      byEdges: wide && edge >= this.edges,
      change: mad,
      edge,
    };
  }

  private far(a: Look, b: Look): boolean {
    const d = this.apart(a, b);
    return d.byLook || d.byEdges;
  }

  /** Feed frame `index` at `time` with its picture (see CutFrame). */
  push(index: number, time: number, frame: CutFrame): void {
    const look: Look = {
      time,
      hist: Float64Array.from(frame.hist),
      blocks: frame.blocks ? Float64Array.from(frame.blocks) : undefined,
      edges: frame.edges ? Float64Array.from(frame.edges) : undefined,
      edgeIn: 0,
    };
    // Settle or drop pending candidates with this frame.
    const still: Pending[] = [];
    for (const p of this.pending) {
      if (time - p.time >= this.holdS) this.cutFrames.push(p.frame);
      else if (this.far(p.before, look)) still.push(p);
    }
    this.pending = still;
    const prev = this.recent.at(-1);
    if (prev) {
      const d = this.apart(prev, look);
      // The change must be new: by colours or layout, half the block change at least was not there
      // into the frame before (a pan or a running figure changes as much every frame; a cut once);
      // by edges, the edge distance jumps well above any between the frames of the hold window.
      const byLook = d.byLook && (!look.blocks || d.change - this.prevChange >= this.minChange / 2);
      let edgeBefore = 0;
      for (const r of this.recent) if (time - r.time <= this.holdS) edgeBefore = Math.max(edgeBefore, r.edgeIn);
      const byEdges = d.byEdges && d.edge - edgeBefore >= this.edgeJump;
      if (byLook || byEdges) {
        // The look before the jump must not have been seen in the hold window either (the end of a flash).
        let lasting = true;
        for (let j = 0; j < this.recent.length - 1 && lasting; j++) {
          const r = this.recent[j] as Look;
          if (time - r.time <= this.holdS && !this.far(r, look)) lasting = false;
        }
        if (lasting) this.pending.push({ frame: index, time, before: prev });
      }
      this.prevChange = d.change;
      look.edgeIn = d.edge;
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
