/**
 * The built playground as the local API serves it: every file the page loads is served (and
 * nothing it loads comes from elsewhere), with its type and the page's CSP, without the key,
 * while the API behind it still asks for the key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payloadJsonSchema } from '../../src/dispatch/schema.js';
import { loadPlaygroundPages } from '../../src/playground/pages.js';
import { startLocalApi, type StartedApi } from '../helpers/local-api.js';

const pages = loadPlaygroundPages();
const KEY = 'sk-playground-test';
let api: StartedApi;
beforeAll(async () => {
  api = await startLocalApi(async () => ({ ok: true }), { apiKey: KEY, payloadSchema: payloadJsonSchema, pages: () => pages });
});
afterAll(async () => {
  await api?.stop();
});

describe('playground pages', () => {
  it('are built (npm test builds before it runs)', () => {
    expect(pages, 'dist/web/playground/index.html: run npm run build').toBeDefined();
    expect([...pages!.keys()].sort()).toEqual(
      expect.arrayContaining(['/', '/playground/main.js', '/playground/style.css', '/playground/form-model.js']),
    );
  });

  it('load nothing they do not serve: every script, style and module import is one of them', () => {
    const html = pages!.get('/')!.body.toString('utf8');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((r) => !r.startsWith('data:'));
    expect(refs.length).toBeGreaterThanOrEqual(2);
    for (const ref of refs) expect(pages!.has(ref), ref).toBe(true);
    for (const [path, page] of pages!) {
      if (!path.endsWith('.js')) continue;
      const text = page.body.toString('utf8');
      expect(text, `${path} names an absolute URL`).not.toMatch(/['"`]https?:\/\/\w/);
      for (const m of text.matchAll(/\bfrom\s+['"]([^'"]+)['"]/g)) {
        expect(m[1], `${path} imports ${m[1]}`).toMatch(/^\.\/[\w-]+\.js$/);
        expect(pages!.has(`/playground/${m[1]!.slice(2)}`), `${path} imports ${m[1]}`).toBe(true);
      }
    }
  });

  it('are served without the key, with their types and the page CSP; the API still asks for it', async () => {
    const page = await fetch(`${api.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<script type="module" src="/playground/main.js">');
    const js = await fetch(`${api.url}/playground/main.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const head = await fetch(`${api.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(pages!.get('/')!.body.length);

    expect((await fetch(`${api.url}/schema.json`)).status).toBe(401);
    expect((await fetch(`${api.url}/schema.json`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
    expect((await fetch(`${api.url}/`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${api.url}/playground/nothing.js`)).status).toBe(401);
    expect((await fetch(`${api.url}/playground/nothing.js`, { headers: { authorization: KEY } })).status).toBe(404);
  });

  it('are absent, and / answers 404, when the playground was not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-playground-'));
    try {
      expect(loadPlaygroundPages(empty)).toBeUndefined();
    } finally {
      rmSync(empty, { recursive: true });
    }
    const bare = await startLocalApi(async () => ({ ok: true }));
    try {
      expect((await fetch(`${bare.url}/`)).status).toBe(404);
    } finally {
      await bare.stop();
    }
  });
});
