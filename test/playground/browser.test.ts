/**
 * The playground page in a real headless Chromium, against the real local API and the real
 * handler: a clip uploaded and run to COMPLETED with the result playing as long as the input and
 * its timings shown; a bad field answered by the worker's coded error next to that field; an
 * animate job from two files; the key prompt of a worker with LOCAL_API_KEY; a phone-sized
 * screen without sideways scrolling. Screenshots go to test-output/playground/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicLimits } from '../../src/job/limits.js';
import { payloadJsonSchema } from '../../src/dispatch/schema.js';
import { loadPlaygroundPages } from '../../src/playground/pages.js';
import { BROWSER_PATH, launchBrowser, REQUIRE_BROWSER, testOutputDir } from '../helpers/browser.js';
import { createTestWorker, type TestWorker } from '../helpers/job.js';
import { startLocalApi, type StartedApi } from '../helpers/local-api.js';
import { probeStreams } from '../helpers/media.js';

const SAMPLES = new URL('../../samples/', import.meta.url).pathname;
const CLIP = join(SAMPLES, 'footsteps.mp4');
const KEY = 'sk-playground-browser';

if (!BROWSER_PATH && REQUIRE_BROWSER) throw new Error('FOLEY_TEST_REQUIRE_BROWSER=1 but no Chromium is installed (apt install chromium)');

/** Seconds of media by ffprobe: the longest stream. */
async function probedDuration(file: string): Promise<number> {
  return Math.max(...(await probeStreams(file)).map((s) => Number(s.duration ?? 0)));
}

/** What the page function uses of an HTMLMediaElement (the tests are type-checked without the DOM library). */
interface MediaLike {
  readyState: number;
  duration: number;
  error: { code: number } | null;
  addEventListener(type: string, listener: () => void, options?: { once: boolean }): void;
}

/** A media element's duration once its first frame has loaded (so the screenshot shows it). */
function playerDuration(page: Page, selector: string): Promise<number> {
  return page.$eval(
    selector,
    (el) =>
      new Promise<number>((resolve, reject) => {
        const m = el as unknown as MediaLike;
        if (m.readyState >= 2) return resolve(m.duration);
        m.addEventListener('loadeddata', () => resolve(m.duration), { once: true });
        m.addEventListener('error', () => reject(new Error(`media error ${m.error?.code ?? '?'}`)), { once: true });
      }),
  );
}

describe.skipIf(!BROWSER_PATH)(`playground in headless Chromium (${BROWSER_PATH ?? 'none found'})`, () => {
  const shots = testOutputDir('playground');
  const pages = loadPlaygroundPages();
  let worker: TestWorker;
  let api: StartedApi;
  let browser: Browser;
  const pageErrors: string[] = [];

  async function open(url: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);
    return page;
  }

  beforeAll(async () => {
    worker = await createTestWorker({}, 'temp');
    api = await startLocalApi(worker.handler, { payloadSchema: payloadJsonSchema, pages: () => pages });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await worker?.close();
  });

  it('runs an uploaded clip to COMPLETED: the result plays as long as the input, with its timings', async () => {
    const page = await open(api.url);
    await page.waitForSelector('#f-prompt');
    await page.setInputFiles('#src-video-file', CLIP);
    await expect.poll(() => page.textContent('#src-video-size')).toMatch(/footsteps\.mp4: 13\.\d KB, 18\.\d KB as base64$/);
    await page.fill('#f-prompt', 'footsteps on gravel');
    await page.fill('#f-seed', '7');
    // What will be sent: only the fields set, typed; the file by name until it is read.
    expect(JSON.parse((await page.textContent('#payload-json')) ?? '')).toEqual({
      input: { task: 'foley', video_base64: '<footsteps.mp4 as base64>', prompt: 'footsteps on gravel', seed: 7, delivery: 'base64' },
    });
    // Submitted from the keyboard.
    await page.focus('#submit');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#job[data-status="COMPLETED"]', { timeout: 90_000 });

    const input = await probedDuration(CLIP);
    const original = await playerDuration(page, '#original-video');
    const result = await playerDuration(page, '#result-media');
    expect(original).toBeCloseTo(input, 2);
    expect(Math.abs(result - input), `result ${result} s, input ${input} s`).toBeLessThanOrEqual(0.04);

    const status = JSON.parse((await page.textContent('#result-json')) ?? '{}') as {
      status: string;
      output: Record<string, unknown> & { timings_ms: Record<string, number> };
    };
    expect(status.status).toBe('COMPLETED');
    expect(status.output.seed).toBe(7);
    expect(String(status.output.video_base64)).toMatch(/^<base64, \d+ characters>$/);
    const total = await page.textContent('#timings tr[data-stage="total"] .ms');
    expect(Number(total?.replace(/,/g, ''))).toBe(status.output.timings_ms.total);
    expect(await page.locator('#timings tbody tr').count()).toBe(Object.keys(status.output.timings_ms).length);
    expect(await page.textContent('#reported dd[data-key="preset"]')).toBe('footsteps');
    expect(await page.textContent('#reported dd[data-key="events"]')).toBe(String(status.output.events));
    expect(await page.getAttribute('#download', 'href')).toMatch(/^blob:/);
    expect(await page.getAttribute('#download', 'download')).toMatch(/\.mp4$/);
    await page.screenshot({ path: join(shots, 'completed.png'), fullPage: true });

    // The same form with a seed out of range: the worker's coded error, next to the seed field.
    await page.fill('#f-seed', '4294967296');
    await page.click('#submit');
    await page.waitForSelector('#job[data-status="FAILED"]', { timeout: 30_000 });
    const fieldError = await page.waitForSelector('#err-seed:not([hidden])');
    expect(await fieldError.textContent()).toMatch(/^INVALID_INPUT .*4294967295/);
    expect(await page.getAttribute('#f-seed', 'aria-invalid')).toBe('true');
    expect(await page.$eval('#f-seed', (el) => el.matches(':focus'))).toBe(true);
    expect(await page.textContent('#error-code')).toBe('INVALID_INPUT');
    expect(await page.locator('.field-error:not([hidden])').count()).toBe(1);
    await page.screenshot({ path: join(shots, 'invalid.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 120_000);

  it('animates a still from two uploaded files: the video lasts as long as the audio', async () => {
    const page = await open(api.url);
    await page.waitForSelector('#f-prompt');
    await page.check('input[name="task"][value="animate"]');
    await page.waitForSelector('#src-image-file');
    expect(await page.locator('#f-prompt').count()).toBe(0);
    await page.setInputFiles('#src-image-file', join(SAMPLES, 'still.png'));
    await page.setInputFiles('#src-audio-file', join(SAMPLES, 'tone.m4a'));
    // Every status line the page shows while the job runs.
    // (A string: the tests are type-checked without the DOM library.)
    await page.evaluate(`{
      const el = document.getElementById('job-status');
      globalThis.statusLines = [];
      new MutationObserver(() => statusLines.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
    }`);
    await page.click('#submit');
    await page.waitForSelector('#job[data-status="COMPLETED"]', { timeout: 90_000 });
    const lines = (await page.evaluate('statusLines')) as string[];
    expect(
      lines.some((l) => /^IN_PROGRESS · animate \d+ % · \d+\.\d s$/.test(l)),
      lines.join('\n'),
    ).toBe(true);
    const audio = await probedDuration(join(SAMPLES, 'tone.m4a'));
    expect(await page.locator('#original-image').count()).toBe(1);
    expect(await playerDuration(page, '#original-audio')).toBeCloseTo(audio, 1);
    expect(Math.abs((await playerDuration(page, '#result-media')) - audio)).toBeLessThanOrEqual(0.05);
    await page.screenshot({ path: join(shots, 'animate.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 120_000);

  it('fits a phone screen: one column, nothing wider than the screen; a missing source is named at its picker', async () => {
    const page = await open(api.url, { width: 375, height: 740 });
    await page.waitForSelector('#f-prompt');
    await page.click('#submit');
    const sourceError = await page.waitForSelector('#err-video:not([hidden])', { timeout: 30_000 });
    expect(await sourceError.textContent()).toBe(
      'INVALID_INPUT one of video_url, video_base64 or video_path (or instead image_url, image_base64 or image_path) is required',
    );
    expect(await page.getAttribute('#src-video-file', 'aria-invalid')).toBe('true');
    expect(await page.$eval('html', (el) => el.scrollWidth)).toBeLessThanOrEqual(375);
    const form = await page.locator('#job-form').boundingBox();
    const status = await page.locator('#job').boundingBox();
    expect(status!.y).toBeGreaterThan(form!.y + form!.height - 1);
    await page.screenshot({ path: join(shots, 'phone.png'), fullPage: true });
    await page.close();
  });

  it("warns about a file over the worker's MAX_INPUT_BYTES (from /health) as soon as it is picked", async () => {
    const small = await startLocalApi(worker.handler, {
      payloadSchema: payloadJsonSchema,
      pages: () => pages,
      describeWorker: () => ({ tier: 'cpu', provider: 'cpu', limits: publicLimits({ ...worker.config, maxInputBytes: 10_000 }) }),
    });
    try {
      const page = await open(small.url);
      await page.waitForSelector('#f-prompt');
      expect(await page.textContent('#worker')).toBe('cpu · cpu');
      await page.setInputFiles('#src-video-file', CLIP);
      await expect.poll(() => page.textContent('#src-video-size')).toContain("over this worker's 9.8 KB input limit (MAX_INPUT_BYTES)");
      expect(await page.getAttribute('#src-video-size', 'class')).toContain('warn');
      await page.close();
    } finally {
      await small.stop();
    }
  });

  it('asks for LOCAL_API_KEY when the worker has one, and works once it is given', async () => {
    const keyed = await startLocalApi(worker.handler, { apiKey: KEY, payloadSchema: payloadJsonSchema, pages: () => pages });
    try {
      const page = await open(keyed.url);
      await page.waitForSelector('#key-form:not([hidden])');
      expect(await page.isHidden('#job-form')).toBe(true);
      await page.fill('#key', 'wrong');
      await page.press('#key', 'Enter');
      await expect.poll(() => page.textContent('#key-note')).toContain('LOCAL_API_KEY');
      expect(await page.isHidden('#job-form')).toBe(true);
      await page.fill('#key', KEY);
      await page.press('#key', 'Enter');
      await page.waitForSelector('#f-prompt');
      expect(await page.isHidden('#key-form')).toBe(true);
      // The key is used for the jobs too. A path that names nothing: the error sits at the source.
      await page.check('input[name="src-video-mode"][value="path"]');
      await page.fill('#src-video-path', 'no-such-clip.mp4');
      await page.click('#submit');
      const notFound = await page.waitForSelector('#err-video:not([hidden])', { timeout: 30_000 });
      expect(await notFound.textContent()).toMatch(/^INPUT_NOT_FOUND video_path: /);
      expect(await page.$eval('#src-video-path', (el) => el.matches(':focus'))).toBe(true);
      // A bundled sample by path runs to COMPLETED.
      await page.fill('#src-video-path', 'footsteps.mp4');
      await page.click('#submit');
      await page.waitForSelector('#job[data-status="COMPLETED"]', { timeout: 90_000 });
      expect(pageErrors).toEqual([]);
      await page.close();
    } finally {
      await keyed.stop();
    }
  }, 120_000);
});
