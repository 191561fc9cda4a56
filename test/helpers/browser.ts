/**
 * @module A headless Chromium for page tests, driven by playwright-core: the system's browser
 * (Debian's `chromium`, which .ci/run installs from apt, or the Chrome that GitHub's Ubuntu images
 * carry), never one a test tool downloads. FOLEY_TEST_BROWSER names another binary.
 * FOLEY_TEST_REQUIRE_BROWSER=1 (set by .ci/run) turns a missing browser into a failure, not a skip.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

// Ubuntu's chromium-browser may be a snap stub: tried last.
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/usr/bin/chromium-browser'];

export const BROWSER_PATH: string | undefined = process.env.FOLEY_TEST_BROWSER || CANDIDATES.find((p) => existsSync(p));
export const REQUIRE_BROWSER = process.env.FOLEY_TEST_REQUIRE_BROWSER === '1';

/** Where page tests leave their screenshots: `test-output/<name>/` at the repository root (git ignores it). */
export function testOutputDir(name: string): string {
  const dir = join(new URL('../../test-output/', import.meta.url).pathname, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Launches the system browser, headless, with everything that would call Google's hosts turned
 * off (on a closed network those calls fail, many at a time). Playwright gives each launch a
 * fresh profile of its own and removes it on close.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!BROWSER_PATH) throw new Error("no Chromium found: install Debian's chromium, or set FOLEY_TEST_BROWSER");
  return chromium.launch({
    executablePath: BROWSER_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
