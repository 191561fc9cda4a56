#!/usr/bin/env node
/**
 * The floors of src/: every import between top-level folders (and top-level files), and any
 * cycle among them or among files (a cycle between files is one inside a folder or across two). `node scripts/layers.mjs` lists the
 * cross-folder imports, one `from → to (count)` a line; `--check` prints only the cycles and exits
 * 1 when there is one (run by test/layers.test.ts, so by `npm test`). Test files are left out:
 * they may reach across floors.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
// Static imports and re-exports (`import … from '…'`, `export … from '…'`, side-effect imports)
// and dynamic `import('…')`; only relative specifiers name our own files.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !/\.(test|d)\.ts$/.test(name) ? [path] : [];
  });
}

/** The floor a file lives on: its top-level folder under src/, or the top-level file itself. */
export function floorOf(file) {
  const [first, ...rest] = relative(ROOT, file).split(sep);
  return rest.length > 0 ? `${first}/` : first;
}

export function importGraph() {
  const edges = [];
  for (const file of sourceFiles(ROOT)) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(SPECIFIER)) {
      const target = resolve(dirname(file), m[1].replace(/\.js$/, '.ts'));
      edges.push({ from: file, to: target });
    }
  }
  return edges;
}

/** Tarjan's strongly connected components of size > 1 (or a self-loop): the cycles. */
export function cycles(nodes, next) {
  let index = 0;
  const stack = [];
  const info = new Map();
  const found = [];
  const visit = (v) => {
    info.set(v, { index, low: index, on: true });
    index++;
    stack.push(v);
    for (const w of next(v)) {
      if (!info.has(w)) {
        visit(w);
        info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
      } else if (info.get(w).on) info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
    }
    if (info.get(v).low === info.get(v).index) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        info.get(w).on = false;
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || next(v).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of nodes) if (!info.has(v)) visit(v);
  return found;
}

export function layerReport() {
  const edges = importGraph();
  const floorEdges = new Map();
  const fileNext = new Map();
  for (const { from, to } of edges) {
    fileNext.set(from, (fileNext.get(from) ?? []).concat(to));
    const [a, b] = [floorOf(from), floorOf(to)];
    if (a !== b) {
      const key = `${a} → ${b}`;
      floorEdges.set(key, (floorEdges.get(key) ?? []).concat(`${relative(ROOT, from)} → ${relative(ROOT, to)}`));
    }
  }
  const floors = [...new Set(edges.flatMap((e) => [floorOf(e.from), floorOf(e.to)]))].sort();
  const floorNext = (f) => [...floorEdges.keys()].filter((k) => k.startsWith(`${f} → `)).map((k) => k.slice(f.length + 3));
  const fileNodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))];
  const fileCycles = cycles(fileNodes, (f) => fileNext.get(f) ?? []).map((c) => c.map((f) => relative(ROOT, f)));
  return { floorEdges, floorCycles: cycles(floors, floorNext), fileCycles };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { floorEdges, floorCycles, fileCycles } = layerReport();
  if (!process.argv.includes('--check')) {
    for (const [key, list] of [...floorEdges].sort())
      console.log(`${key} (${list.length})${process.argv.includes('-v') ? `\n    ${list.join('\n    ')}` : ''}`);
  }
  for (const c of floorCycles) console.log(`cycle between floors: ${c.join(' ⇄ ')}`);
  for (const c of fileCycles) console.log(`cycle between files: ${c.join(' ⇄ ')}`);
  if (process.argv.includes('--check')) process.exit(floorCycles.length + fileCycles.length > 0 ? 1 : 0);
}
