// The playground page's static files (web/playground → dist/web/playground), copied as they are
// after `tsc -p web/tsconfig.json` has compiled its modules there (browser target, DOM types). No
// bundler and nothing fetched: the page loads only these files, from the worker that serves it.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'web', 'playground');
const out = join(root, 'dist', 'web', 'playground');
mkdirSync(out, { recursive: true });
for (const f of ['index.html', 'style.css']) copyFileSync(join(src, f), join(out, f));
