/**
 * @module Benchmark for large model files: a generated 1 GiB LFS file served by the fake Hub (in its
 * own process, redirecting to its `/cdn/` as the Hub does) over loopback, fetched three ways in one
 * run: (a) a raw `fetch` of the whole file, body discarded — the floor no download can beat; (b)
 * ensureRepo with parallel ranged parts (written at their offsets, hashed by the following thread,
 * verified, renamed); (c) ensureRepo with one stream (MODELS_DOWNLOAD_PARTS=1). Rounds interleave
 * the three so drift on a shared machine hits each alike; the medians are compared.
 * Called by bench/run.ts; `log` receives one line per figure.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { ensureRepo } from '../src/models/ensure.js';
import { parseModelsSpec } from '../src/models/spec.js';

const MB = 1e6;
const SIZE = 1024 * 1024 * 1024;
const REPO = 'bench/foley-1gib';
const COMMIT = 'be00000000000000000000000000000000001024';
const PATH = 'model.safetensors';
const ROUNDS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** The fake Hub in its own process (as the real Hub is), so server and client do not share an event loop. */
async function startHubProcess(): Promise<{ url: string; stop(): void }> {
  const helper = new URL('../test/helpers/fake-hub.js', import.meta.url).href;
  const files = `{ ${JSON.stringify(PATH)}: generatedBytes(${SIZE}, 5) }`;
  const repo = `{ repo: ${JSON.stringify(REPO)}, commit: ${JSON.stringify(COMMIT)}, files: ${files} }`;
  const script = `const { startFakeHub, generatedBytes } = await import(${JSON.stringify(helper)});
const hub = await startFakeHub({ redirect: true, repos: [${repo}] });
process.stdout.write(hub.url + '\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { url: line.trim(), stop: () => child.kill() };
}

async function rawFetch(url: string): Promise<number> {
  const res = await fetch(url);
  let n = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) n += chunk.length;
  if (n !== SIZE) throw new Error(`raw fetch got ${n} bytes of ${SIZE}`);
  return n;
}

/** Raw fetch into a file (positional-free sequential writes, no hash): what the disk adds to (a). */
async function rawFetchToFile(url: string, path: string): Promise<void> {
  const res = await fetch(url);
  const fh = await open(path, 'w');
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) await fh.write(chunk);
  } finally {
    await fh.close();
    await rm(path, { force: true });
  }
}

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

export async function runRangedBench(log: (line: string) => void): Promise<void> {
  const hub = await startHubProcess();
  const cacheDir = await mkdtemp(join(tmpdir(), 'foley-ranged-bench-'));
  const spec = parseModelsSpec(`${REPO}:${PATH}`)[0]!;
  const download = (parts: number) => async (): Promise<void> => {
    await rm(cacheDir, { recursive: true, force: true });
    await ensureRepo(spec, {
      cacheDir,
      hub: { hubUrl: hub.url, accessToken: undefined, fetch: globalThis.fetch },
      log: pino({ level: 'silent' }),
      parts,
    });
  };
  const url = `${hub.url}/${REPO}/resolve/${COMMIT}/${PATH}`;
  const ways: { label: string; run: () => Promise<unknown> }[] = [
    { label: '(a) raw `fetch`, body discarded', run: () => rawFetch(url) },
    {
      label: 'raw `fetch` → file (no hash), for scale',
      run: () => rawFetchToFile(url, join(tmpdir(), `foley-ranged-sink-${process.pid}`)),
    },
    { label: '(b) ensureRepo, 8 ranged parts (default)', run: download(8) },
    { label: '(b) ensureRepo, 4 ranged parts', run: download(4) },
    { label: '(c) ensureRepo, one stream (parts 1)', run: download(1) },
  ];
  try {
    log(
      `ranged: one ${(SIZE / MB).toFixed(0)} MB LFS file; fake Hub (node:http, 302 to its /cdn/) in its own process on loopback; ` +
        `${availableParallelism()} cores; ${ROUNDS} interleaved rounds, medians; downloads include listing, sha256, rename, marker`,
    );
    const times = ways.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, way] of ways.entries()) times[i]!.push(await seconds(way.run));
    }
    const mbps = times.map((t) => SIZE / MB / median(t));
    const floor = mbps[0]!;
    log('| Way | Median s | MB/s | Share of raw fetch | Runs (s) |');
    log('|---|---|---|---|---|');
    for (const [i, way] of ways.entries()) {
      const t = times[i]!;
      log(
        `| ${way.label} | ${median(t).toFixed(2)} | ${mbps[i]!.toFixed(0)} | ${((mbps[i]! / floor) * 100).toFixed(0)} % | ` +
          `${t.map((x) => x.toFixed(2)).join(', ')} |`,
      );
    }
    log(`ranged: 8 parts vs one stream: ${(mbps[2]! / mbps[4]!).toFixed(2)}×; 4 parts vs one stream: ${(mbps[3]! / mbps[4]!).toFixed(2)}×`);
  } finally {
    hub.stop();
    await rm(cacheDir, { recursive: true, force: true });
  }
}
