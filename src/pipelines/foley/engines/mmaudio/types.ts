/**
 * @module What the MMAudio runner's parts share: a loaded network (its sessions and the facts read
 * off its graphs), a job's sampler settings, and the conditions graph's feeds.
 */
import type { Session } from '../../../../inference/ort.js';
import type { ClipTokenizer } from '../../../../text/clip-tokenizer.js';
import type { MmaudioFacts } from './graphs.js';

/** Flow runs per step: the CFG pair together (2) or one side at a time (1). */
export type FlowBatch = 1 | 2;

/** What a loaded network keeps across jobs. */
export interface MmaudioRuntime {
  engine: string;
  sessions: Record<'clipImage' | 'clipText' | 'synchformer' | 'conditions' | 'flow' | 'vae' | 'vocoder', Session>;
  facts: MmaudioFacts;
  tokenizer: ClipTokenizer;
  ffmpeg: string;
  /** The CFG pair in one flow run (2), or one run each (1) after running out of memory once. */
  flowBatch: FlowBatch;
}

export interface RenderSettings {
  steps: number;
  cfgStrength: number;
}

/** The conditions graph's inputs for the pair: conditional rows first, unconditional second. */
export interface ConditionFeeds {
  clip: Float32Array;
  sync: Float32Array;
  text: Float32Array;
}
