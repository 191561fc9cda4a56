/**
 * Every line of the code tree fits in 140 characters, the formatter's lineWidth (biome.jsonc).
 * Biome cannot break a long string, template literal or comment, so those are wrapped by hand
 * (`'…' +` pieces, a named const, a comment on more lines); assembly/ is not read by Biome at all.
 * The files are the git-tracked code under the folders below, less generated modules.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../', import.meta.url);
const MAX = 140;
const PATHSPECS = ['src', 'test', 'bench', 'web', 'scripts', 'assembly', 'handler.ts'];
const CODE = /\.(ts|mts|mjs|js)$/;

function trackedCode(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--', ...PATHSPECS], { cwd: ROOT, encoding: 'utf8' });
  return out
    .split('\0')
    .filter((f) => CODE.test(f) && !f.endsWith('.generated.ts'))
    .filter((f) => !f.split('/').some((part) => part === 'node_modules' || part === 'dist'));
}

/** `file:line (length)` for each line over MAX characters (code points, as an editor counts them). */
function longLines(file: string): string[] {
  const lines = readFileSync(new URL(file, ROOT), 'utf8').split(/\r?\n/);
  const out: string[] = [];
  lines.forEach((line, i) => {
    const length = [...line].length;
    if (length > MAX) out.push(`${file}:${i + 1} (${length})`);
  });
  return out;
}

describe('line length', () => {
  const files = trackedCode();

  it('reads the whole code tree', () => {
    expect(files.length).toBeGreaterThan(200);
    for (const f of ['handler.ts', 'assembly/index.ts', 'bench/run.ts', 'scripts/build-wasm.mjs', 'web/playground/main.ts']) {
      expect(files).toContain(f);
    }
  });

  it(`has no line over ${MAX} characters`, () => {
    const long = files.flatMap(longLines);
    expect(long, `lines over ${MAX} characters:\n${long.join('\n')}`).toEqual([]);
  });
});
