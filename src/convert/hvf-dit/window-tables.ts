/**
 * @module What a length-dynamic HunyuanVideo-Foley graph pair takes per window besides the features:
 * the tables its fixed-length graphs hold as constants (graphs.ts `HVF_WINDOW_INPUTS`), computed
 * here for a window's lengths the same way — so one converted graph serves every window length up
 * to the trained 15 s, as upstream computes its sequence lengths from each clip's duration.
 */
import { nearestExactIndices } from '../mmaudio-dit/tables.js';
import type { HvfSequenceLengths } from './config.js';
import { HVF_WINDOW_INPUTS } from './graphs.js';
import { interleavedRope, range, ropeRows } from './tables.js';

export type WindowTable = { type: 'float32'; data: Float32Array; dims: number[] } | { type: 'int64'; data: BigInt64Array; dims: number[] };

/** The flow graph's and the conditions graph's per-window inputs, by input name. */
export function hvfWindowTables(
  seq: HvfSequenceLengths,
  headSize: number,
): { conditions: Record<string, WindowTable>; flow: Record<string, WindowTable> } {
  const inter = interleavedRope({ latent: seq.latent, clip: seq.clip });
  const flow: Record<string, WindowTable> = {
    [HVF_WINDOW_INPUTS.visualSource]: { type: 'int64', data: BigInt64Array.from(inter.visualSource, (v) => BigInt(v)), dims: [seq.clip] },
  };
  const rope = (name: string, positions: readonly number[]): void => {
    const rows = ropeRows({ positions, dim: headSize });
    flow[`${name}.cos`] = { type: 'float32', data: rows.cos, dims: [rows.length, headSize] };
    flow[`${name}.sin`] = { type: 'float32', data: rows.sin, dims: [rows.length, headSize] };
  };
  rope('rope.interleaved.audio', inter.audio);
  rope('rope.interleaved.visual', inter.visual);
  rope('rope.audio', range(seq.latent));
  rope('rope.visual', range(seq.clip));
  const syncIndex = nearestExactIndices({ from: seq.sync, to: seq.latent });
  return { conditions: { [HVF_WINDOW_INPUTS.syncIndex]: { type: 'int64', data: syncIndex, dims: [seq.latent] } }, flow };
}
