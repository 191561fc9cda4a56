/** Ensure options over a temp cache dir and a fake Hub, with logs captured as parsed JSON lines. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { EnsureOptions } from '../../src/models/ensure.js';

export interface CapturedLog {
  log: Logger;
  lines: Record<string, unknown>[];
  /** Every line as raw text (to check that a secret never appears). */
  text(): string;
}

export function captureLog(): CapturedLog {
  const raw: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString());
      done();
    },
  });
  const log = pino({ level: 'debug' }, dest);
  return {
    log,
    get lines() {
      return raw
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}

export async function tempCache(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'foley-hub-cache-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Fast retries for tests: no real backoff. */
export function ensureOptions(
  cacheDir: string,
  hubUrl: string,
  extra: Partial<EnsureOptions> = {},
): EnsureOptions & { captured: CapturedLog } {
  const captured = captureLog();
  return {
    cacheDir,
    hub: { hubUrl, accessToken: undefined, fetch: globalThis.fetch },
    log: captured.log,
    backoffMs: () => 10,
    lockStaleMs: 2000,
    captured,
    ...extra,
  };
}
