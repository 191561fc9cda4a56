/**
 * @module Benchmark of the learned Foley engine (MMAudio) on graphs of the real size, with random
 * weights (bench/mmaudio-stand-ins.ts): the numbers are the cost of the networks' shapes on this
 * machine, not of trained weights (which cost the same per run). Each variant runs in its own child
 * process (`node dist/bench/mmaudio-bench.js child <variant> <steps> <jobs>`), so its peak RSS is
 * its own: the stand-ins are written into a temp dir (not the worker's work: timed apart), a
 * ModelRegistry is built over them directly (no Hub), every component is converted into the graph
 * cache (time, disk and peak RSS each), the engine is loaded (sessions opened), and 8 s windows of
 * a real clip run through the handler with the job's `timings_ms` (per stage and `model_runs`, the
 * sum of every `session.run`). `MMAUDIO_BENCH_VARIANTS` (comma list, default both),
 * `MMAUDIO_BENCH_STEPS_LARGE` (default 4 on a CPU: the projection to 25 is reported),
 * `MMAUDIO_BENCH_JOBS` (default 2), `MMAUDIO_BENCH_SIZE=reduced` (a quick check) and
 * `MMAUDIO_BENCH_STANDINS=<dir>` (stand-ins kept there, or written ahead by `… standins <variant>
 * <dir>` beside another run) tune it; `… render <log>` prints the tables again from a run's stderr.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import type { MmaudioVariant } from '../src/convert/mmaudio-dit/index.js';
import { createHandler } from '../src/dispatch/handler.js';
import type { Session } from '../src/inference/ort.js';
import type { SessionCache } from '../src/inference/sessions.js';
import { timedSession } from '../src/inference/timed-session.js';
import type { WorkerModels } from '../src/inference/warm-up.js';
import { cpuInference } from '../src/inference/worker-inference.js';
import { resolveMediaBinaries } from '../src/media/binaries.js';
import { type MmaudioEngineName, mmaudioFiles } from '../src/models/engine-files.js';
import { ModelRegistry } from '../src/models/registry.js';
import type { EnsuredRepo } from '../src/models/warm.js';
import { ensureMmaudioGraphs, type MMAUDIO_COMPONENTS, type SourceFile } from '../src/pipelines/foley/engines/mmaudio/graphs.js';
import { MMAUDIO_ENGINES } from '../src/pipelines/foley/engines/mmaudio/index.js';
import { runJob } from '../src/runtime/run-job.js';
import { type StandInSize, writeMmaudioStandIns } from './mmaudio-stand-ins.js';
import type { BenchTable } from './section.js';

const run = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);
const SHARED_CLIP = new URL('../../../shared/media/chaplin.mp4', import.meta.url).pathname;
const ENGINE_OF: Record<string, MmaudioEngineName> = { small_16k: 'mmaudio-small-16k', large_44k_v2: 'mmaudio-large-44k-v2' };
/** Stages of the frame and the delivery (ffmpeg mastering, the MP4/WAV mux, handing the file over): not the engine's. */
const DELIVERY = ['master', 'mux', 'deliver'];

type ComponentReport = { component: string; convertMs: number; bytes: number; peakRssMb: number };

interface JobReport {
  wallMs: number;
  timings: Record<string, number>;
  /** session.run time per session of the engine's bundle (ms), measured by the bench around the engine. */
  sessionMs: Record<string, number>;
  rssMb: number;
}

export interface MmaudioChildReport {
  variant: string;
  engine: string;
  size: StandInSize;
  steps: number;
  clip: string;
  standIns: { ms: number; bytes: number; files: number };
  conversion: ComponentReport[];
  convertWallMs: number;
  graphBytes: number;
  load: { ms: number; rssMb: number; peakRssMb: number };
  jobs: JobReport[];
  /** Peak RSS from the load through the last job. */
  peakRssMb: number;
  error?: string;
}

/** A field of /proc/self/status in MiB (VmRSS, VmHWM). */
export function procMb(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
}

/** Resets VmHWM to the current RSS (Linux clear_refs 5), so the next peak is the next phase's own. */
export function resetPeak(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux or not allowed: the peaks are then running maxima.
  }
}

export async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return n;
}

const STORED = { revision: 'main', commit: '0'.repeat(40), source: 'warm' } as const;

/** The registry over the stand-in files, as warm-up would hand it over: one repo per org/name. */
export function standInRegistry(
  files: readonly { repo: string; path: string; local: string; size: number }[],
  root: string,
): ModelRegistry {
  const repos = new Map<string, EnsuredRepo>();
  for (const f of files) {
    const r = repos.get(f.repo) ?? { ...STORED, repo: f.repo, snapshot: join(root, f.repo), files: [] };
    // A stable identity per file (what the graph cache keys on): of its name and size, without hashing GBs.
    const id = createHash('sha256').update(`${f.repo}/${f.path}:${f.size}`).digest('hex');
    r.files.push({ path: f.path, size: f.size, blob: id, sha256: id, local: f.local });
    repos.set(f.repo, r);
  }
  return new ModelRegistry([...repos.values()]);
}

/** The cache with every bundle's sessions timed into `into` (session name → ms), so a job's model time splits by session. */
function timedCache(cache: SessionCache, into: Record<string, number>): SessionCache {
  const timed = (name: string, s: Session): Session =>
    timedSession(s, (ms) => {
      into[name] = (into[name] ?? 0) + ms;
    });
  return {
    async bundle(key, spec) {
      const b = await cache.bundle(key, spec);
      const sessions = Object.fromEntries(Object.entries<Session>(b.sessions).map(([n, s]) => [n, timed(n, s)]));
      return { key: b.key, info: b.info, loadMs: b.loadMs, sessions: sessions as typeof b.sessions };
    },
    get: (repo, path, options) => cache.get(repo, path, options),
    has: (key) => cache.has(key),
    loaded: () => cache.loaded(),
    release: (key) => cache.release(key),
    releaseAll: () => cache.releaseAll(),
  };
}

type StandIns = { set: { files: { repo: string; path: string; local: string; size: number }[] }; standIns: MmaudioChildReport['standIns'] };

/**
 * The variant's stand-ins under `hub`: written there (and listed in `files.json`), or the ones a
 * `standins` run wrote there before (MMAUDIO_BENCH_STANDINS: written ahead, beside another run).
 */
async function standInSet(variant: MmaudioVariant, size: StandInSize, hub: string): Promise<StandIns> {
  const listing = join(hub, 'files.json');
  if (existsSync(listing)) return JSON.parse(readFileSync(listing, 'utf8')) as StandIns;
  const t = performance.now();
  const set = await writeMmaudioStandIns({ dir: hub, variant, size, seed: 1 });
  const standIns = { ms: performance.now() - t, bytes: set.files.reduce((n, f) => n + f.size, 0), files: set.files.length };
  writeFileSync(listing, JSON.stringify({ set: { files: set.files }, standIns }));
  return { set, standIns };
}

async function child(variant: MmaudioVariant, steps: number, jobs: number): Promise<MmaudioChildReport> {
  const engineName = ENGINE_OF[variant]!;
  const size: StandInSize = process.env.MMAUDIO_BENCH_SIZE === 'reduced' ? 'reduced' : 'real';
  const dir = await mkdtemp(join(tmpdir(), 'mmaudio-bench-'));
  const say = (s: string) => process.stderr.write(`[mmaudio-bench ${variant}] ${new Date().toISOString().slice(11, 19)} ${s}\n`);
  try {
    const volume = join(dir, 'volume');
    await mkdir(volume, { recursive: true });
    const clip = existsSync(SHARED_CLIP) ? SHARED_CLIP : await generatedClip(join(dir, 'testsrc2.mp4'));
    await copyFile(clip, join(volume, 'clip.mp4'));
    say(`${size} stand-ins`);
    const hubDir = process.env.MMAUDIO_BENCH_STANDINS ? join(process.env.MMAUDIO_BENCH_STANDINS, variant) : join(dir, 'hub');
    const { set, standIns } = await standInSet(variant, size, hubDir);
    say(`stand-ins: ${(standIns.bytes / 1e9).toFixed(2)} GB in ${(standIns.ms / 1000).toFixed(0)} s`);
    let t = performance.now();

    const env = { VOLUME_DIR: volume, OUTPUT_DIR: join(dir, 'output'), WORK_DIR: dir, PATH: process.env.PATH ?? '' };
    const config = loadConfig({ ...env, FOLEY_ENGINE: engineName, ENGINE_GRAPHS_DIR: join(dir, 'graphs') }, [], dir);
    const registry = standInRegistry(set.files, hubDir);
    const inference = cpuInference({ config });
    const sessionMs: Record<string, number> = {};
    const models: WorkerModels = {
      ...inference,
      sessions: timedCache(inference.sessions, sessionMs),
      registry,
      describe: () => ({ tier: 'cpu', provider: 'cpu', gpus: [], cpu_cores: inference.hardware.cpuCores, ram_gb: 0, models: [] }),
    };
    const bins = resolveMediaBinaries({ searchPath: process.env.PATH });

    // Conversion: what the engine's load runs first, here with a hand on each component.
    const sources: Record<string, SourceFile> = {};
    for (const f of mmaudioFiles(engineName)) {
      const local = registry.file(f.repo, f.path);
      sources[f.role] = { ...f, local: local.local, sha256: local.sha256 ?? local.blob };
    }
    const conversion: ComponentReport[] = [];
    resetPeak();
    t = performance.now();
    const graphs = await ensureMmaudioGraphs({
      variant,
      precision: config.models.learnedPrecision,
      sources,
      root: config.models.graphsDir,
      lock: { staleMs: config.models.lockStaleMs, waitMs: config.models.lockWaitMs },
      onComponent: (c) => {
        conversion.push({ component: c.component, convertMs: c.convertMs, bytes: 0, peakRssMb: procMb('VmHWM') });
        say(`converted ${c.component} in ${(c.convertMs / 1000).toFixed(1)} s (hit ${c.hit}), peak RSS ${procMb('VmHWM')} MiB`);
        resetPeak();
      },
    });
    const convertWallMs = performance.now() - t;
    for (const c of conversion) c.bytes = await dirBytes(graphs.components[c.component as (typeof MMAUDIO_COMPONENTS)[number]].cached.dir);

    // Load: the engine as a job would get it (the conversion is now a cache hit; the sessions open).
    resetPeak();
    t = performance.now();
    const engine = MMAUDIO_ENGINES.find((e) => e.name === engineName)!;
    await engine.load({ config, binaries: () => bins, models });
    const load = { ms: performance.now() - t, rssMb: procMb('VmRSS'), peakRssMb: procMb('VmHWM') };
    say(`loaded in ${(load.ms / 1000).toFixed(1)} s, RSS ${load.rssMb} MiB (peak ${load.peakRssMb})`);

    // The handler shares the loaded sessions (one bundle per engine in the session cache).
    const handler = createHandler({ config, binaries: () => bins, models });
    const ctx = { mode: 'test' as const, signal: new AbortController().signal, log: pino({ level: 'silent' }), progress: () => {} };
    const job = { task: 'foley', video_path: 'clip.mp4', engine: engineName, duration: 8, steps, seed: 1, output_format: 'wav' };
    // vision: false keeps the job to the engine (the detector's cost is the vision section's); speech detection still runs.
    const input = { ...job, vision: false, delivery: 'path' };
    const reports: JobReport[] = [];
    for (let i = 0; i < jobs; i++) {
      for (const k of Object.keys(sessionMs)) delete sessionMs[k];
      t = performance.now();
      const res = await runJob({ handler, job: { id: `mm-${i}`, input }, ctx: { ...ctx, id: `mm-${i}` } });
      const wallMs = performance.now() - t;
      if ('error' in res) throw new Error(`bench job failed: ${res.error}`);
      const timings = (res.output as { timings_ms: Record<string, number> }).timings_ms;
      const perSession = Object.fromEntries(Object.entries(sessionMs).map(([k, v]) => [k, Math.round(v)]));
      reports.push({ wallMs, timings, sessionMs: perSession, rssMb: procMb('VmRSS') });
      say(`job ${i + 1}: ${(wallMs / 1000).toFixed(1)} s, ${JSON.stringify(timings)} ${JSON.stringify(perSession)}`);
    }
    const peakRssMb = procMb('VmHWM');
    await inference.sessions.releaseAll();
    const report: MmaudioChildReport = {
      variant,
      engine: engineName,
      size,
      steps,
      clip: clip === SHARED_CLIP ? 'chaplin.mp4 (../shared/media, 640×360 25 fps), first 8 s' : 'generated testsrc2 640×360 25 fps',
      standIns,
      conversion,
      convertWallMs,
      graphBytes: await dirBytes(config.models.graphsDir),
      load,
      jobs: reports,
      peakRssMb: Math.max(peakRssMb, load.peakRssMb),
    };
    return report;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function generatedClip(out: string): Promise<string> {
  const { ffmpeg } = resolveMediaBinaries({ searchPath: process.env.PATH });
  await run(ffmpeg, [...'-v error -y -f lavfi -i testsrc2=s=640x360:r=25:d=9 -c:v libx264 -pix_fmt yuv420p'.split(' '), out]);
  return out;
}

const s1 = (ms: number): string => (ms / 1000).toFixed(1);
const gb = (b: number): string => (b / 1e9).toFixed(2);

/** Stages of a job, with the session whose runs are inside each (the rest of a stage is the worker's own work). */
const STAGES: [string, (t: Record<string, number>) => number, string?][] = [
  ['getting the clip (input + probe + trim)', (t) => (t.input ?? 0) + (t.probe ?? 0) + (t.trim ?? 0)],
  ['frames (ffmpeg decode for both encoders)', (t) => t.frames ?? 0],
  ['clip_text (tokenizer + CLIP text)', (t) => t.clip_text ?? 0, 'clipText'],
  ['clip_image (64 frames)', (t) => t.clip_image ?? 0, 'clipImage'],
  ['synchformer', (t) => t.synchformer ?? 0, 'synchformer'],
  ['conditions', (t) => t.conditions ?? 0, 'conditions'],
  ['sampling (flow, CFG pair batched)', (t) => t.sampling ?? 0, 'flow'],
  ['vae', (t) => t.vae ?? 0, 'vae'],
  ['vocoder', (t) => t.vocoder ?? 0, 'vocoder'],
  ['rest of the window loop + WAV write (`write` − the stages above it)', (t) => (t.write ?? 0) - windowStages(t)],
  ['master (ffmpeg, delivery)', (t) => t.master ?? 0],
  ['mux + deliver', (t) => (t.mux ?? 0) + (t.deliver ?? 0)],
];
/** `write` is marked from the end of clip_text (render.ts), so it holds every window's stages too. */
const windowStages = (t: Record<string, number>): number =>
  ['clip_image', 'synchformer', 'conditions', 'sampling', 'vae', 'vocoder'].reduce((n, k) => n + (t[k] ?? 0), 0);

/** The job less its delivery (the engine's render and what precedes it), over the sum of session.run. */
function ratios(j: JobReport): { render: number; job: number } {
  const model = j.timings.model_runs ?? Number.NaN;
  const delivery = DELIVERY.reduce((n, k) => n + (j.timings[k] ?? 0), 0);
  return { render: (j.wallMs - delivery) / model, job: j.wallMs / model };
}

function tables(r: MmaudioChildReport): (BenchTable | string)[] {
  const conv: BenchTable = {
    title: `${r.engine}: conversion into the graph cache (${r.size}-size random weights)`,
    columns: ['component', 'convert s', 'cache folder', 'peak RSS during it'],
    rows: [
      ...r.conversion.map((c) => [c.component, s1(c.convertMs), `${gb(c.bytes)} GB`, `${c.peakRssMb} MiB`]),
      ['**all six** (wall)', s1(r.convertWallMs), `${gb(r.graphBytes)} GB`, `${Math.max(...r.conversion.map((c) => c.peakRssMb))} MiB`],
    ],
  };
  const convNote =
    `Stand-ins (not the worker's work: the bench writes them in place of a download): ${r.standIns.files} files, ` +
    `${gb(r.standIns.bytes)} GB in ${s1(r.standIns.ms)} s. Engine load after conversion (cache hit, seven sessions opened): ` +
    `${s1(r.load.ms)} s; RSS with the network loaded ${r.load.rssMb} MiB (peak during the load ${r.load.peakRssMb} MiB).`;
  const cols = r.jobs.flatMap((_, i) => [`job ${i + 1}${i === 0 ? ' (first)' : ' (warm)'} ms`, 'of it session.run']);
  const rows: (string | number)[][] = STAGES.map(([label, f, session]) => [
    label,
    ...r.jobs.flatMap((j) => [f(j.timings), session ? (j.sessionMs[session] ?? 0) : '–']),
  ]);
  rows.push(['**job (wall, around runJob)**', ...r.jobs.flatMap((j) => [Math.round(j.wallMs), j.timings.model_runs ?? ''])]);
  rows.push(['session.run count', ...r.jobs.flatMap((j) => ['', j.timings.model_run_count ?? ''])]);
  rows.push(['**render / model_runs** (job − master − mux − deliver)', ...r.jobs.flatMap((j) => [ratios(j).render.toFixed(3), ''])]);
  rows.push(['**job / model_runs**', ...r.jobs.flatMap((j) => [ratios(j).job.toFixed(3), ''])]);
  rows.push(['RSS after the job (MiB)', ...r.jobs.flatMap((j) => [j.rssMb, ''])]);
  const job: BenchTable = {
    title: `${r.engine}: one 8 s window through the handler, ${r.steps} steps, WAV out (${r.clip})`,
    columns: ['stage', ...cols],
    rows,
  };
  const last = [...r.jobs].sort((x, y) => x.wallMs - y.wallMs)[0]; // the fastest: a slower one measured its neighbours too
  const perStep = last ? (last.timings.sampling ?? 0) / r.steps : Number.NaN;
  const projected = last ? last.wallMs - (last.timings.sampling ?? 0) + 25 * perStep : Number.NaN;
  const known = /^(input|probe|trim|frames|clip_|synchformer|conditions|sampling|vae|vocoder|write|master|mux|deliver|total|model_run)/;
  const other = [...new Set(r.jobs.flatMap((j) => Object.keys(j.timings)))].filter((k) => !known.test(k));
  const jobNote =
    `Flow: ${(perStep / 1000).toFixed(2)} s per step (fastest job). ` +
    (r.steps === 25
      ? ''
      : `**Projected to 25 steps** (fastest job, its sampling scaled to 25 steps): ${s1(projected)} s per 8 s window. `) +
    `Peak RSS of the process from the load through the jobs: ${r.peakRssMb} MiB.` +
    (other.length > 0
      ? ` Other timings: ${other.map((k) => `${k} ${r.jobs.map((j) => j.timings[k] ?? '–').join(' / ')}`).join(', ')}.`
      : '');
  return [conv, convNote, job, jobNote];
}

/** The section: each variant in its own child process, then the tables. */
export async function runMmaudioBench(): Promise<(BenchTable | string)[]> {
  const variants = (process.env.MMAUDIO_BENCH_VARIANTS ?? 'small_16k,large_44k_v2').split(',').map((v) => v.trim());
  const jobs = Number(process.env.MMAUDIO_BENCH_JOBS ?? 2);
  const out: (BenchTable | string)[] = [];
  for (const variant of variants) {
    if (!ENGINE_OF[variant]) throw new Error(`MMAUDIO_BENCH_VARIANTS: ${variant} is not one of ${Object.keys(ENGINE_OF).join(', ')}`);
    const steps = variant.startsWith('large') ? Number(process.env.MMAUDIO_BENCH_STEPS_LARGE ?? 4) : 25;
    // A failed child still prints its JSON line (with `error`); a crash (out of memory) prints none.
    const { stdout, failure } = await new Promise<{ stdout: string; failure: unknown }>((resolve) => {
      const p = execFile(process.execPath, [SELF, 'child', variant, String(steps), String(jobs)], { maxBuffer: 1 << 26 }, (e, so) =>
        resolve({ stdout: so, failure: e }),
      );
      p.stderr?.pipe(process.stderr);
    });
    const line = stdout.trim().split('\n').pop() ?? '';
    if (!line.startsWith('{')) throw new Error(`mmaudio bench (${variant}): the child printed no report (${String(failure)})`);
    const report = JSON.parse(line) as MmaudioChildReport;
    if (report.error) throw new Error(`mmaudio bench (${variant}) failed: ${report.error}`);
    process.stderr.write(`${JSON.stringify(report)}\n`);
    out.push(...tables(report));
  }
  return out;
}

/** `render <file>`: the tables again from a saved run's report lines (the JSON a run writes to stderr). */
function renderSaved(file: string): void {
  const line = (c: readonly (string | number)[]): string => `| ${c.join(' | ')} |`;
  const reports = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"variant"'))
    .map((l) => JSON.parse(l) as MmaudioChildReport);
  for (const t of reports.flatMap(tables)) {
    const text = typeof t === 'string' ? t : [`**${t.title}**\n`, line(t.columns), line(t.columns.map(() => '---')), ...t.rows.map(line)];
    process.stdout.write(`${typeof text === 'string' ? text : text.join('\n')}\n\n`);
  }
}

if (process.argv[1] === SELF && process.argv[2] === 'render') renderSaved(process.argv[3]!);
if (process.argv[1] === SELF && process.argv[2] === 'standins') {
  const [, , , variant, hub] = process.argv;
  void standInSet(variant as MmaudioVariant, 'real', join(hub!, variant!)).then((r) =>
    process.stdout.write(`${JSON.stringify(r.standIns)}\n`),
  );
}
if (process.argv[1] === SELF && process.argv[2] === 'child') {
  const [, , , variant, steps, jobs] = process.argv;
  child(variant as MmaudioVariant, Number(steps), Number(jobs)).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e: unknown) => {
      process.stdout.write(`${JSON.stringify({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) })}\n`);
      process.exitCode = 1;
    },
  );
}
