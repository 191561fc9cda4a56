/**
 * @module A lock shared by workers on one network volume, which may not honour flock: the holder
 * creates the lock file exclusively (O_EXCL) and rewrites it every heartbeat; a waiter that sees
 * the file unchanged for `staleMs` on its own clock (no clock comparison across machines) takes it
 * over. Takeover goes through a second exclusive file so that two waiters cannot both delete the
 * lock and one of them delete the other's fresh lock.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WorkerError } from '../errors.js';
import { sleep } from '../util/sleep.js';

export interface LockOptions {
  file: string;
  /** A lock whose file has not changed for this long is considered abandoned. */
  staleMs: number;
  /** How often the holder rewrites the file. @default staleMs / 4 */
  heartbeatMs?: number;
  /** How often a waiter looks again. @default min(500, staleMs / 4) */
  pollMs?: number;
  /** Give up waiting after this long (MODEL_LOCK_TIMEOUT). @default no limit */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Polled while another worker holds the lock; return true to stop waiting (e.g. its work is done). */
  onWait?: () => Promise<boolean>;
  /** Called once when a waiter starts waiting, and when it takes over an abandoned lock. */
  onEvent?: (event: { type: 'waiting' | 'takeover'; holder: string }) => void;
  now?: () => number;
}

export interface HeldLock {
  /** Aborted when another worker took the lock over (we stalled past staleMs): stop writing. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function createExclusive(path: string, content: string): Promise<boolean> {
  try {
    await writeFile(path, content, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Watches a file's content; `stale()` is true once it has stayed the same for staleMs. */
class StaleWatch {
  private seen: string | undefined;
  private since = 0;
  constructor(
    private readonly staleMs: number,
    private readonly now: () => number,
  ) {}
  observe(content: string | undefined): boolean {
    const t = this.now();
    if (content !== this.seen) {
      this.seen = content;
      this.since = t;
      return false;
    }
    return content !== undefined && t - this.since >= this.staleMs;
  }
  get content(): string | undefined {
    return this.seen;
  }
}

function holderOf(content: string | undefined): string {
  try {
    const j = JSON.parse(content ?? '') as { owner?: string };
    return j.owner ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Acquire the lock, waiting while a live worker holds it. Resolves to undefined when `onWait`
 * said the wait is over (the holder finished what we needed).
 */
export async function acquireLock(o: LockOptions): Promise<HeldLock | undefined> {
  const now = o.now ?? (() => performance.now());
  const pollMs = o.pollMs ?? Math.max(10, Math.min(500, o.staleMs / 4));
  const heartbeatMs = o.heartbeatMs ?? Math.max(10, o.staleMs / 4);
  const token = randomUUID();
  const owner = `${hostname()}:${process.pid}`;
  const body = (beat: number): string => JSON.stringify({ owner, token, beat, at: new Date().toISOString() });
  const takeoverFile = `${o.file}.takeover`;
  const lockWatch = new StaleWatch(o.staleMs, now);
  const takeoverWatch = new StaleWatch(o.staleMs, now);
  const started = now();
  let announced = false;
  await mkdir(dirname(o.file), { recursive: true });
  for (;;) {
    o.signal?.throwIfAborted();
    if (await createExclusive(o.file, body(0))) return hold(o.file, token, body, heartbeatMs);
    const content = await readOrUndefined(o.file);
    if (content === undefined) continue; // released between our create and read: try again now
    if (!announced) {
      announced = true;
      o.onEvent?.({ type: 'waiting', holder: holderOf(content) });
    }
    if (o.onWait && (await o.onWait())) return undefined;
    if (lockWatch.observe(content)) {
      // Abandoned. Only the holder of the takeover file may delete the lock, and only if it is
      // still the very content we watched go stale.
      if (await createExclusive(takeoverFile, token)) {
        try {
          if ((await readOrUndefined(o.file)) === lockWatch.content) {
            await unlink(o.file).catch(() => undefined);
            o.onEvent?.({ type: 'takeover', holder: holderOf(content) });
          }
        } finally {
          await unlink(takeoverFile).catch(() => undefined);
        }
        continue;
      }
      // A takeover file that never goes away belongs to a worker killed mid-takeover.
      if (takeoverWatch.observe(await readOrUndefined(takeoverFile))) await unlink(takeoverFile).catch(() => undefined);
    }
    if (o.timeoutMs !== undefined && now() - started > o.timeoutMs) {
      throw new WorkerError(
        'MODEL_LOCK_TIMEOUT',
        `waited ${Math.round(o.timeoutMs / 1000)} s for another worker (${holderOf(content)}) to finish downloading`,
        {
          details: { lock: o.file, holder: holderOf(content) },
          retryable: true,
        },
      );
    }
    await sleep(pollMs, o.signal, { rejectOnAbort: true });
  }
}

function hold(file: string, token: string, body: (beat: number) => string, heartbeatMs: number): HeldLock {
  const lost = new AbortController();
  let beat = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  const tick = async (): Promise<void> => {
    let content: string | undefined;
    try {
      content = await readOrUndefined(file);
    } catch {
      return; // a read hiccup on the network volume: try again next beat
    }
    if (stopped) return;
    // Only a takeover deletes the file, so a missing file is as lost as someone else's content.
    if (content === undefined || !content.includes(token)) {
      lost.abort(
        new WorkerError('MODEL_DOWNLOAD_FAILED', 'another worker took over the model lock (this one stalled past the stale time)', {
          retryable: true,
        }),
      );
      return;
    }
    await writeFile(file, body(++beat)).catch(() => undefined);
  };
  const arm = (): void => {
    // Re-armed with jitter rather than setInterval, so a slow write never stacks up beats.
    timer = setTimeout(
      () => {
        inFlight = tick().finally(() => {
          if (!stopped && !lost.signal.aborted) arm();
        });
      },
      heartbeatMs * (0.8 + Math.random() * 0.2),
    );
    timer.unref();
  };
  arm();
  return {
    lost: lost.signal,
    async release() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      const content = await readOrUndefined(file).catch(() => undefined);
      if (content?.includes(token)) await unlink(file).catch(() => undefined);
    },
  };
}
