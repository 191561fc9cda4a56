/**
 * @module Benchmark for models on the volume: download throughput of a generated ~200 MB repo from
 * a loopback fake Hub (verify + atomic rename included) against the same server's raw throughput
 * (plain fetch, and curl when present), and the warm-start time with the marker present.
 * Called by bench/run.ts; `log` receives one human-readable line per figure.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { ensureRepo } from '../src/models/ensure.js';
import { parseModelsSpec } from '../src/models/spec.js';
import { generatedBytes } from '../test/helpers/fake-hub.js';

const MB = 1e6;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function rawFetch(url: string): Promise<number> {
  const res = await fetch(url);
  let n = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) n += chunk.length;
  return n;
}

async function fetchHashWrite(url: string, path: string): Promise<void> {
  const res = await fetch(url);
  const hash = createHash('sha256');
  const tap = new Transform({
    highWaterMark: 8 << 20,
    transform: (c: Buffer, _e, done) => {
      hash.update(c);
      done(null, c);
    },
  });
  await pipeline(Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>), tap, createWriteStream(path, { highWaterMark: 8 << 20 }));
  hash.digest('hex');
  await rm(path, { force: true });
}

async function curlMBps(url: string): Promise<number | undefined> {
  try {
    const { stdout } = await promisify(execFile)('curl', ['-s', '-o', '/dev/null', '-w', '%{speed_download}', url]);
    return Number(stdout) / MB;
  } catch {
    return undefined;
  }
}

const REPO = 'bench/foley-200mb';
const COMMIT = 'be00000000000000000000000000000000000200';

/** The repo's files, generated from fixed seeds so the Hub process and this one agree. */
function benchFiles(): Record<string, Uint8Array> {
  return {
    'onnx/dit.onnx': generatedBytes(150 * 1024 * 1024, 1),
    'onnx/vae.onnx': generatedBytes(40 * 1024 * 1024, 2),
    'onnx/text.onnx': generatedBytes(10 * 1024 * 1024, 3),
    'config.json': Buffer.from('{"bench":true}'),
    'tokenizer.json': generatedBytes(2 * 1024 * 1024, 4),
  };
}

/**
 * The fake Hub in its own process, as the real Hub is: otherwise server and client share one
 * event loop and the figures measure both.
 */
async function startHubProcess(): Promise<{ url: string; stop(): void }> {
  const helper = new URL('../test/helpers/fake-hub.js', import.meta.url).href;
  const self = new URL(import.meta.url).href;
  const script =
    `const { startFakeHub } = await import(${JSON.stringify(helper)});
const { __internal_benchFiles } = await import(${JSON.stringify(self)});
const hub = await startFakeHub({ repos: [{ repo: ${JSON.stringify(REPO)}, ` +
    `commit: ${JSON.stringify(COMMIT)}, files: __internal_benchFiles() }] });
process.stdout.write(hub.url + '\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { url: line.trim(), stop: () => child.kill() };
}

export { benchFiles as __internal_benchFiles };

export async function runModelsBench(log: (line: string) => void): Promise<void> {
  const files = benchFiles();
  const total = Object.values(files).reduce((n, b) => n + b.length, 0);
  const hub = await startHubProcess();
  const cacheDir = await mkdtemp(join(tmpdir(), 'foley-models-bench-'));
  const quiet = pino({ level: 'silent' });
  let requests = 0;
  const counting: typeof fetch = (input, init) => {
    requests++;
    return fetch(input, init);
  };
  const options = (concurrency: number) => ({
    cacheDir,
    hub: { hubUrl: hub.url, accessToken: undefined, fetch: counting },
    log: quiet,
    concurrency,
  });
  try {
    log(
      `models: repo of ${Object.keys(files).length} files, ${(total / MB).toFixed(1)} MB; ` +
        `fake Hub (node:http) in its own process on loopback; ${availableParallelism()} cores`,
    );
    const bigUrl = `${hub.url}/${REPO}/resolve/${COMMIT}/onnx/dit.onnx`;
    const big = files['onnx/dit.onnx']!.length;

    const fetchRuns: number[] = [];
    for (let i = 0; i < 3; i++) fetchRuns.push((await timed(() => rawFetch(bigUrl))).ms);
    const rawMBps = big / MB / (median(fetchRuns) / 1000);
    log(
      `models: raw throughput, plain fetch of the ${(big / MB).toFixed(0)} MB file, ` +
        `body discarded: ${rawMBps.toFixed(0)} MB/s (median of 3)`,
    );
    const curl: number[] = [];
    for (let i = 0; i < 3; i++) {
      const v = await curlMBps(bigUrl);
      if (v !== undefined) curl.push(v);
    }
    if (curl.length) log(`models: raw throughput, curl -o /dev/null of the same file: ${median(curl).toFixed(0)} MB/s (median of 3)`);

    // What any verified download has to pay on this machine: the same bytes hashed and written.
    const sinkRuns: number[] = [];
    for (let i = 0; i < 3; i++)
      sinkRuns.push((await timed(() => fetchHashWrite(bigUrl, join(tmpdir(), `foley-bench-sink-${process.pid}`)))).ms);
    log(
      `models: floor for a verified write, plain fetch → sha256 → file, ` +
        `same file: ${(big / MB / (median(sinkRuns) / 1000)).toFixed(0)} MB/s (median of 3)`,
    );

    const spec = parseModelsSpec(REPO)[0]!;
    for (const concurrency of [1, 4]) {
      await rm(cacheDir, { recursive: true, force: true });
      const { ms } = await timed(() => ensureRepo(spec, options(concurrency)));
      const mbps = total / MB / (ms / 1000);
      log(
        `models: cold download into the HF cache (sha256 verify, .incomplete → rename, marker), concurrency ${concurrency}: ` +
          `${(ms / 1000).toFixed(2)} s, ${mbps.toFixed(0)} MB/s = ${((mbps / rawMBps) * 100).toFixed(0)} % of raw fetch`,
      );
    }

    requests = 0;
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) warm.push((await timed(() => ensureRepo(spec, options(4)))).ms);
    log(
      `models: warm start (marker present, size checks only): median ${median(warm).toFixed(2)} ms, ` +
        `max ${Math.max(...warm).toFixed(2)} ms over 20 runs; ${requests} requests`,
    );
  } finally {
    hub.stop();
    await rm(cacheDir, { recursive: true, force: true });
  }
}
