/** Reading the documentation pages (docs/) from tests. */
import { readFileSync } from 'node:fs';

const ROOT = new URL('../../', import.meta.url);

/** The backticked names in the first column of the tables under `## Result` of a page. */
export function documentedResultFields(file: string): Set<string> {
  const doc = readFileSync(new URL(file, ROOT), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Result\n')) ?? '';
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    const first = /^\|([^|]*)\|/.exec(line)?.[1];
    if (first) for (const m of first.matchAll(/`([a-z0-9_]+)`/g)) names.add(m[1] as string);
  }
  return names;
}
