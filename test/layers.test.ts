/**
 * The floors of src/ hold: no cycle between top-level folders (or top-level files), and no cycle
 * between files anywhere. `node scripts/layers.mjs` lists the cross-folder imports
 * (docs/development.md, "Floors"); this runs its check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Every source module of src/ (tests and generated code aside). */
function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return modules(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.generated.ts') ? [path] : [];
  });
}

describe('the modules of src/', () => {
  it('are small: none over 400 lines (a longer one is two ideas)', () => {
    const root = new URL('../src', import.meta.url).pathname;
    const long = modules(root)
      .map((f) => ({ f: f.slice(root.length + 1), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((m) => m.lines > 400);
    expect(modules(root).length).toBeGreaterThan(100);
    expect(long).toEqual([]);
  });
});
