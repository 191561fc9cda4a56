/**
 * @module Job scratch that outlives no worker. Each job's scratch directory under WORK_DIR
 * (`<task>-job-XXXXXX/`) holds an owner file saying which process made it: pid, host name, pid
 * namespace, kernel boot id and the process's start time. At start a worker removes the scratch
 * whose owner is gone (a `kill -9` or an out-of-memory kill runs no `finally`), and nothing else:
 * several workers may share WORK_DIR (one machine, or a shared volume), so a directory is only
 * removed when its owner is provably dead on this host; one made on another host or in another
 * pid namespace is left alone. A forced exit (second SIGTERM) removes the scratch of the jobs in
 * flight synchronously before dying.
 */
import { readFileSync, readlinkSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';

/** Inside each job's scratch directory; a dot name, so no task's own file can be called that. */
export const OWNER_FILE = '.worker-owner.json';

/** Who made a scratch parent: enough to tell, on the same host, whether that process still runs. */
export interface ScratchOwner {
  pid: number;
  host: string;
  /** `/proc/self/ns/pid`: pids only mean something inside one pid namespace (containers). */
  pidNs: string | null;
  /** The kernel's boot id: after a reboot every old pid is dead. */
  bootId: string | null;
  /** The process's start time in clock ticks since boot (`/proc/<pid>/stat`), to see pid reuse. */
  startTicks: string | null;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces, so split after its ')'. */
export function processStartTicks(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

export function currentOwner(): ScratchOwner {
  let pidNs: string | null = null;
  try {
    pidNs = readlinkSync('/proc/self/ns/pid');
  } catch {
    // not Linux: host + pid is all there is
  }
  return {
    pid: process.pid,
    host: hostname(),
    pidNs,
    bootId: readText('/proc/sys/kernel/random/boot_id'),
    startTicks: processStartTicks(process.pid),
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process that wrote `owner` is certainly gone, seen from `me`. Unsure means no: a
 * parent from another host or pid namespace is never removed.
 */
export function ownerIsGone(owner: ScratchOwner, me: ScratchOwner): boolean {
  if (owner.host !== me.host || owner.pidNs !== me.pidNs) return false;
  if (owner.bootId !== null && me.bootId !== null && owner.bootId !== me.bootId) return true;
  // Our own pid on a parent that is not ours: an earlier run of this container, restarted.
  if (owner.pid === me.pid) return owner.startTicks !== me.startTicks || owner.startTicks === null;
  if (!pidAlive(owner.pid)) return true;
  const ticks = processStartTicks(owner.pid);
  return owner.startTicks !== null && ticks !== null && ticks !== owner.startTicks;
}

/** This process's identity, read once: none of it changes while the process lives. */
let me: ScratchOwner | undefined;
const self = (): ScratchOwner => (me ??= currentOwner());

/** The scratch directories of this process's jobs in flight (for the forced exit). */
const inFlight = new Set<string>();

/**
 * A fresh scratch directory for one job under `workDir` (`<prefix>XXXXXX`), with the owner file
 * inside, so a later start can tell a killed worker's leftovers from a live worker's.
 */
export async function makeJobScratch(workDir: string, prefix: string): Promise<string> {
  await mkdir(workDir, { recursive: true });
  const dir = await mkdtemp(join(workDir, prefix));
  inFlight.add(dir);
  await writeFile(join(dir, OWNER_FILE), JSON.stringify(self()));
  return dir;
}

export async function removeJobScratch(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  inFlight.delete(dir);
}

/** Removes the scratch of every job in flight now, synchronously (a forced exit has no next tick). */
export function removeJobScratchSync(): void {
  for (const dir of inFlight) {
    try {
      // maxRetries: a job's ffmpeg may still create a file while the tree goes (ENOTEMPTY).
      rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 10 });
    } catch {
      // dying anyway; the next start's sweep gets what is left
    }
  }
  inFlight.clear();
}

/** A job's scratch directory as `makeJobScratch` names it: `<task>-job-XXXXXX`. */
const JOB_DIR = /^[a-z][a-z0-9]*-job-[A-Za-z0-9]{6}$/;

/**
 * Removes the job scratch directories under `workDir` whose owner process is gone (see
 * `ownerIsGone`); returns the removed paths. Directories without a readable owner file (made by an
 * older build, or not ours at all) are left alone.
 */
export async function sweepStaleScratch(workDir: string, log?: Logger): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(workDir);
  } catch {
    return [];
  }
  const me = self();
  const removed: string[] = [];
  for (const name of names) {
    if (!JOB_DIR.test(name)) continue;
    const dir = join(workDir, name);
    if (inFlight.has(dir)) continue;
    let owner: ScratchOwner;
    try {
      owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as ScratchOwner;
    } catch {
      continue;
    }
    if (typeof owner.pid !== 'number' || !ownerIsGone(owner, me)) continue;
    try {
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch (e) {
      log?.warn({ err: e, dir }, 'could not remove stale scratch');
    }
  }
  if (removed.length > 0) log?.info({ removed }, 'removed scratch left by workers that are gone');
  return removed;
}
