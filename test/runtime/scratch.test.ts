/**
 * Nothing left behind: a worker killed mid-job (`kill -9`) leaves its job's scratch directory, and
 * the next worker started on the same WORK_DIR removes it, but never the scratch of a live process
 * nor a directory without an owner file. A second SIGTERM removes the scratch of the job in flight
 * before the process dies. Both run the built worker (dist/handler.js) on Debian's opencv-doc
 * footage (79 s of street scene: long enough to be mid-job). Needs `npm run build` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/config.js';
import { OWNER_FILE, currentOwner, ownerIsGone, processStartTicks, sweepStaleScratch, type ScratchOwner } from '../../src/util/scratch.js';
import { startFakeRunpod, type FakeRunpod } from '../helpers/fake-runpod.js';

const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const ENTRY = join(packageRoot(), 'dist/handler.js');

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'scratch-test-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Processes whose parent is `pid` (Linux /proc): the dead worker's ffmpeg runs on otherwise. */
function childrenOf(pid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) pids.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return pids;
}

function killAll(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const jobDirs = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => /-job-/.test(n)).sort();

describe('ownerIsGone', () => {
  it('is false for a live process and true for a dead one, a reused pid, or another boot', async () => {
    const me = currentOwner();
    expect(me.pid).toBe(process.pid);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const ticks = processStartTicks(child.pid!);
    const live: ScratchOwner = { ...me, pid: child.pid!, startTicks: ticks };
    expect(ownerIsGone(live, me)).toBe(false);
    // Same pid, another start time: the pid was reused by a new process.
    if (ticks !== null) expect(ownerIsGone({ ...live, startTicks: String(Number(ticks) - 1) }, me)).toBe(true);
    // Our own pid on a directory from an earlier start of this container.
    if (me.startTicks !== null) expect(ownerIsGone({ ...me, startTicks: String(Number(me.startTicks) - 1) }, me)).toBe(true);
    expect(ownerIsGone(me, me)).toBe(false);
    if (me.bootId !== null) expect(ownerIsGone({ ...live, bootId: 'another-boot' }, me)).toBe(true);
    // Unsure means keep: another host, another pid namespace.
    expect(ownerIsGone({ ...live, pid: 0x3fffff, host: `${me.host}-other` }, me)).toBe(false);
    expect(ownerIsGone({ ...live, pid: 0x3fffff, pidNs: 'pid:[1]' }, me)).toBe(false);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(ownerIsGone(live, me)).toBe(true);
  });
});

describe.skipIf(!existsSync(VTEST))('a killed worker', () => {
  let fake: FakeRunpod;
  let volume: string;
  let work: string;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    fake = await startFakeRunpod({ holdMs: 300 });
    volume = join(root, 'volume');
    work = join(root, 'work');
    await mkdir(volume);
    await mkdir(work);
    await copyFile(VTEST, join(volume, 'vtest.avi'));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await fake.close();
  });

  function startWorker(extraArgs: string[], env: Record<string, string>): { child: ChildProcess; stderr: () => string } {
    const base: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNPOD_')));
    const child = spawn(process.execPath, [ENTRY, ...extraArgs], {
      cwd: packageRoot(),
      env: { ...base, VOLUME_DIR: volume, WORK_DIR: work, LOG_LEVEL: 'info', LOG_PRETTY: '', SHUTDOWN_GRACE_S: '30', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    return { child, stderr: () => err };
  }

  async function startJobAndWaitInProgress(id: string): Promise<{ child: ChildProcess; stderr: () => string }> {
    const w = startWorker([], fake.env);
    fake.enqueue({ id, input: { video_path: 'vtest.avi', output_format: 'm4a', delivery: 'base64', duration: 60 } });
    await fake.waitFor(() => fake.requests.some((r) => r.kind === 'done' && r.body.includes('IN_PROGRESS')), 30_000);
    return w;
  }

  it('leaves its scratch after kill -9, and the next start removes it but not a live worker’s', async () => {
    const w = await startJobAndWaitInProgress('killed-job');
    const during = await jobDirs(work);
    expect(during).toHaveLength(1);
    const owner = JSON.parse(await readFile(join(work, during[0]!, OWNER_FILE), 'utf8')) as ScratchOwner;
    expect(owner.pid).toBe(w.child.pid);
    const orphans = childrenOf(w.child.pid!);
    w.child.kill('SIGKILL');
    await once(w.child, 'exit');
    killAll(orphans);
    expect(await jobDirs(work), 'kill -9 runs no cleanup').toEqual(during);
    expect(fake.results()).toHaveLength(0);

    // A live worker's scratch (this test process is its owner) and one without an owner file.
    const live = join(work, 'foley-job-live01');
    await mkdir(live);
    await writeFile(join(live, OWNER_FILE), JSON.stringify(currentOwner()));
    await writeFile(join(live, 'input.bin'), 'in use');
    await mkdir(join(work, 'foley-job-nomark'));

    const next = startWorker(['--rp_serve_api', '--rp_api_host', '127.0.0.1', '--rp_api_port', '0'], {});
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (next.stderr().includes('local API listening')) {
          clearInterval(t);
          resolve();
        }
      }, 20);
      next.child.once('exit', () => {
        clearInterval(t);
        reject(new Error(next.stderr()));
      });
    });
    expect(next.stderr()).toContain('removed scratch left by workers that are gone');
    expect(await jobDirs(work)).toEqual(['foley-job-live01', 'foley-job-nomark']);
    expect(await readFile(join(live, 'input.bin'), 'utf8')).toBe('in use');
    next.child.kill('SIGTERM');
    const [code] = (await once(next.child, 'exit')) as [number | null];
    expect(code, next.stderr().slice(-2_000)).toBe(0);
  }, 60_000);

  it('removes the scratch of the job in flight on a second SIGTERM, and dies of the signal', async () => {
    const w = await startJobAndWaitInProgress('forced-job');
    expect(await jobDirs(work)).toHaveLength(1);
    const exited = once(w.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    w.child.kill('SIGTERM');
    await fake.waitFor(() => w.stderr().includes('shutting down'), 5_000);
    const orphans = childrenOf(w.child.pid!);
    w.child.kill('SIGTERM');
    const [code, signal] = await exited;
    killAll(orphans);
    expect({ code, signal }, w.stderr().slice(-2_000)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await jobDirs(work)).toEqual([]);
  }, 60_000);
});

it('sweepStaleScratch ignores a missing WORK_DIR and names that are not job scratch', async () => {
  expect(await sweepStaleScratch(join(root, 'absent'))).toEqual([]);
  const dead: ScratchOwner = { ...currentOwner(), pid: 0x3fffff, startTicks: '1' };
  await mkdir(join(root, 'not-a-scratch'));
  await writeFile(join(root, 'not-a-scratch', OWNER_FILE), JSON.stringify(dead));
  await mkdir(join(root, 'foley-job-dead01'));
  await writeFile(join(root, 'foley-job-dead01', OWNER_FILE), JSON.stringify(dead));
  expect(await sweepStaleScratch(root)).toEqual([join(root, 'foley-job-dead01')]);
  expect(await readdir(root)).toEqual(['not-a-scratch']);
});
