/**
 * @module The playground's files for the local API: the page `npm run build` put in
 * `dist/web/playground/` (from `web/playground/`), read once into memory and served at `/` (the
 * page) and `/playground/<file>` (its script modules and style). Nothing is fetched from anywhere
 * else: the page builds its form from `/schema.json` and talks to `/run` and `/status`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { packageRoot } from '../config.js';
import type { StaticPage } from '../runtime/local-api.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * What the page may do, and nothing more: its own scripts and style only; calls to this worker
 * only; media from the user's own file (blob:), a base64 result (blob:) or a URL the user pasted
 * or the bucket presigned (any http(s) host: that is the point of a URL source).
 */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data: http: https:",
  "media-src 'self' blob: data: http: https:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The built playground dir (`dist/web/playground`). */
export function playgroundDir(): string {
  return join(packageRoot(), 'dist', 'web', 'playground');
}

/**
 * The pages by URL path, or undefined when the playground was not built (the API serves on; `/`
 * answers 404).
 */
export function loadPlaygroundPages(dir: string = playgroundDir()): Map<string, StaticPage> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const pages = new Map<string, StaticPage>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const body = readFileSync(join(dir, name));
    if (name === 'index.html') pages.set('/', { type, body, headers: { 'content-security-policy': PAGE_CSP } });
    else pages.set(`/playground/${name}`, { type, body });
  }
  return pages;
}
