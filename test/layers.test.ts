/**
 * The floors of src/ hold: no cycle between top-level folders (or top-level files), and no cycle
 * between files anywhere. `node scripts/layers.mjs` lists the cross-folder imports
 * (docs/development.md, "Floors"); this runs its check.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types, run by hand as well.
import { layerReport } from '../scripts/layers.mjs';

interface Report {
  floorEdges: Map<string, string[]>;
  floorCycles: string[][];
  fileCycles: string[][];
}

describe('the floors of src/', () => {
  const report = layerReport() as Report;

  it('reads the imports (the check would pass vacuously on an empty graph)', () => {
    expect(report.floorEdges.size).toBeGreaterThan(20);
    expect(report.floorEdges.has('tasks/ → pipelines/')).toBe(true);
  });

  it('no cycle between floors', () => {
    expect(report.floorCycles).toEqual([]);
  });

  it('no cycle between files', () => {
    expect(report.fileCycles).toEqual([]);
  });

  it('the runtime knows nothing of tasks, pipelines or the job toolkit', () => {
    const up = [...report.floorEdges.keys()].filter((k) => /^runtime\/ → (tasks|pipelines|job|dispatch)\//.test(k));
    expect(up).toEqual([]);
  });
});
