import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from './lock.js';

const dirs: string[] = [];
async function lockFile(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'foley-lock-'));
  dirs.push(d);
  return join(d, 'locks', 'foley.lock');
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('acquireLock', () => {
  it('a second worker waits while the holder heartbeats, and gets the lock when it is released', async () => {
    const file = await lockFile();
    const a = await acquireLock({ file, staleMs: 200 });
    const events: string[] = [];
    let gotB = false;
    const b = acquireLock({ file, staleMs: 200, onEvent: (e) => events.push(e.type) }).then((l) => {
      gotB = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 600)); // 3× the stale time: the heartbeat keeps it alive
    expect(gotB).toBe(false);
    expect(a!.lost.aborted).toBe(false);
    await a!.release();
    const lb = await b;
    expect(events).toEqual(['waiting']);
    await lb!.release();
    expect(existsSync(file)).toBe(false);
  });

  it('stops waiting when onWait says the work is done', async () => {
    const file = await lockFile();
    const a = await acquireLock({ file, staleMs: 1000 });
    let polls = 0;
    expect(await acquireLock({ file, staleMs: 1000, pollMs: 10, onWait: async () => ++polls >= 3 })).toBeUndefined();
    await a!.release();
  });

  it('takes over a lock file nobody updates; the old holder, if it wakes up, learns it lost the lock', async () => {
    const file = await lockFile();
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, '{"owner":"dead:1","token":"x","beat":0}');
    const events: string[] = [];
    const t0 = performance.now();
    const l = await acquireLock({ file, staleMs: 150, pollMs: 20, onEvent: (e) => events.push(`${e.type}:${e.holder}`) });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(events).toEqual(['waiting:dead:1', 'takeover:dead:1']);
    // Someone else overwrites it (as a takeover after our stall would): our heartbeat notices.
    await writeFile(file, '{"owner":"other:2","token":"y","beat":0}');
    await new Promise((r) => setTimeout(r, 150));
    expect(l!.lost.aborted).toBe(true);
    await l!.release();
    expect(existsSync(file)).toBe(true); // not ours any more: left alone
  });

  it('gives up with MODEL_LOCK_TIMEOUT after timeoutMs', async () => {
    const file = await lockFile();
    const a = await acquireLock({ file, staleMs: 10_000 });
    await expect(acquireLock({ file, staleMs: 10_000, pollMs: 10, timeoutMs: 80 })).rejects.toMatchObject({ code: 'MODEL_LOCK_TIMEOUT' });
    await a!.release();
  });
});
