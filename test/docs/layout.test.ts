/**
 * docs/development.md's Layout names what is in src/ today: every top-level file and folder of
 * src/, and every folder under src/pipelines/ and src/tasks/. A folder added, moved or removed
 * without the Layout following fails here (the README's old Layout had drifted from the tree).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(`${ROOT}docs/development.md`, 'utf8');
const layout = /## Layout\n([\s\S]*?)\n## /.exec(doc)?.[1] ?? '';

const entries = (dir: string): string[] =>
  readdirSync(`${ROOT}${dir}`, { withFileTypes: true })
    .filter((e) => e.isDirectory() || (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')))
    .map((e) => `${dir}/${e.name}${e.isDirectory() ? '/' : ''}`);

it('the Layout names every top-level file and folder of src/, and each pipeline and task folder', () => {
  const wanted = [
    ...entries('src'),
    ...entries('src/pipelines').filter((e) => e.endsWith('/')),
    ...entries('src/tasks').filter((e) => e.endsWith('/')),
  ];
  const named = (e: string): boolean =>
    layout.includes(e) || (e.startsWith('src/tasks/') && layout.includes(`${e.slice('src/tasks/'.length)}`));
  expect(wanted.filter((e) => !named(e))).toEqual([]);
  expect(layout).toContain('### Floors');
});
