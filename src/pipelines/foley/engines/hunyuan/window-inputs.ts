/**
 * @module One HunyuanVideo-Foley window's shape: its token counts, as upstream computes them from a
 * clip's duration (`hvfSequenceLengths`), and the per-window tables the length-dynamic graphs take.
 * A window is rounded up to whole 25 fps frames, so its audio covers it; the shortest is one second
 * (a Synchformer segment needs 0.64 s: a shorter source's tail is the learned "no picture").
 */
import { hvfSequenceLengths, type HvfSequenceLengths, hvfWindowTables } from '../../../../convert/hvf-dit/index.js';
import { type Tensor, tensor } from '../../../../inference/ort.js';
import type { PictureFacts } from '../learned/picture.js';
import type { HvfFacts } from './graphs.js';

const SYNC_FPS = 25;
const MIN_WINDOW_S = 1;

export interface HvfWindowShape {
  seq: HvfSequenceLengths;
  /** The picture's counts for `pictureConditions`. */
  picture: PictureFacts;
  tables: { conditions: Record<string, Tensor>; flow: Record<string, Tensor> };
}

const asTensors = (t: ReturnType<typeof hvfWindowTables>['flow']): Record<string, Tensor> =>
  Object.fromEntries(
    Object.entries(t).map(([k, v]) => [k, v.type === 'int64' ? tensor('int64', v.data, v.dims) : tensor('float32', v.data, v.dims)]),
  );

/** The shape of a window `lengthS` seconds long. */
export function hvfWindowShape(facts: HvfFacts, lengthS: number): HvfWindowShape {
  const duration = Math.ceil(Math.max(MIN_WINDOW_S, lengthS) * SYNC_FPS - 1e-6) / SYNC_FPS;
  const seq = hvfSequenceLengths({ duration });
  const tables = hvfWindowTables(seq, facts.headSize);
  return {
    seq,
    picture: {
      clip: { frames: seq.clip, dim: facts.clip.dim },
      sync: { tokens: seq.sync, dim: facts.sync.dim, segmentFrames: facts.sync.segmentFrames },
      empty: facts.empty,
    },
    tables: { conditions: asTensors(tables.conditions), flow: asTensors(tables.flow) },
  };
}
