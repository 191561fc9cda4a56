/**
 * The docs can be found and followed: the README links every page under docs/, and every relative
 * link in the README and docs/ leads to a file that exists and, with a `#fragment`, to a heading of
 * that file (GitHub's anchor rule: lower case, punctuation dropped, spaces to hyphens).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGES = [
  'README.md',
  ...(readdirSync(join(ROOT, 'docs'), { recursive: true }) as string[]).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
];
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

/** GitHub's anchors of a page's headings. */
function anchors(page: string): Set<string> {
  const text = read(page).replace(/```[\s\S]*?```/g, '');
  return new Set(
    [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      (m[1] as string)
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe('links in the README and docs/', () => {
  it('the README links every page under docs/', () => {
    const readme = read('README.md');
    for (const p of PAGES.filter((p) => p !== 'README.md')) expect(readme, p).toContain(`(${p}`);
  });

  it.each(PAGES.map((p) => [p]))('%s: every relative link resolves, anchors included', (page) => {
    const text = read(page).replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const href = m[1] as string;
      if (/^[a-z]+:/i.test(href)) continue;
      const [path, fragment] = href.split('#') as [string, string | undefined];
      const target = path === '' ? page : normalize(join(dirname(page), path));
      if (!existsSync(join(ROOT, target))) {
        broken.push(`${href} (no ${target})`);
        continue;
      }
      if (fragment !== undefined && target.endsWith('.md') && !anchors(target).has(fragment))
        broken.push(`${href} (no heading #${fragment} in ${target})`);
    }
    expect(broken).toEqual([]);
  });
});
