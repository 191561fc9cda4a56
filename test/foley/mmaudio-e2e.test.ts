/**
 * The MMAudio engine end to end, through the handler, from a stand-in Hub serving a reduced
 * checkpoint set in the original formats at the real repo paths (written by
 * bench/mmaudio-stand-ins.ts with random weights: the numbers are noise, the plumbing is real):
 * FOLEY_ENGINE fetches exactly the variant's files at start-up, the worker converts them into the
 * volume's graph cache, and video, still and text jobs come back with audio of the right length
 * that is not silent. A second start on the same volume asks the Hub nothing and converts nothing;
 * a damaged graph is converted again; an abort mid-sampling ends the job within a second.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMmaudioStandIns } from '../../bench/mmaudio-stand-ins.js';
import { mmaudioFiles } from '../../src/models/engine-files.js';
import { documentedResultFields } from '../helpers/docs.js';
import { type FakeHub, startFakeHub } from '../helpers/fake-hub.js';
import { errorOf, learnedEngineWorker, outputOf, type TestWorker } from '../helpers/job.js';
import { binaries, decodeAudioMono, makeClip, probeStreams } from '../helpers/media.js';

const ENGINE = 'mmaudio-small-16k';
const COMMIT = 'a'.repeat(40);

let hub: FakeHub;
let volume: string;
let first: TestWorker;
const workers: TestWorker[] = [];

async function startWorker(env: Record<string, string> = {}): Promise<TestWorker> {
  const w = await learnedEngineWorker({ hub: hub.url, volume, engine: ENGINE, env });
  workers.push(w);
  return w;
}

/** Per-second RMS of a decoded track. */
function secondsRms(samples: Float32Array, rate: number): number[] {
  const out: number[] = [];
  for (let s = 0; s + rate <= samples.length; s += rate) {
    let e = 0;
    for (let i = s; i < s + rate; i++) e += samples[i]! ** 2;
    out.push(Math.sqrt(e / rate));
  }
  return out;
}

async function graphFolders(): Promise<Map<string, number>> {
  const root = join(volume, 'graphs');
  const out = new Map<string, number>();
  for (const d of await readdir(root)) if (!d.endsWith('.lock')) out.set(d, (await stat(join(root, d))).mtimeMs);
  return out;
}

beforeAll(async () => {
  volume = await mkdtemp(join(tmpdir(), 'mmaudio-volume-'));
  const setDir = join(volume, 'set');
  const set = await writeMmaudioStandIns({ dir: setDir, variant: 'small_16k', size: 'reduced', seed: 7 });
  const byRepo = new Map<string, Record<string, Uint8Array>>();
  for (const f of set.files) {
    const files = byRepo.get(f.repo) ?? {};
    files[f.path] = await readFile(f.local);
    byRepo.set(f.repo, files);
  }
  // A file another variant needs sits in the repo too: FOLEY_ENGINE must not fetch it.
  byRepo.get('hkchengrex/MMAudio')!['weights/mmaudio_large_44k_v2.pth'] = new Uint8Array(4096).fill(7);
  hub = await startFakeHub({ repos: [...byRepo].map(([repo, files]) => ({ repo, commit: COMMIT, files })) });
  first = await startWorker();
}, 300_000);

afterAll(async () => {
  await hub?.close();
  for (const w of workers) await w.close();
  if (volume) await rm(volume, { recursive: true, force: true });
});

describe('MMAudio through the handler, from a stand-in Hub', () => {
  it('fetches exactly the variant’s files at start-up', () => {
    const fetched = hub.fileGets().map((r) => decodeURIComponent(r.path));
    for (const f of mmaudioFiles(ENGINE)) expect(fetched.some((p) => p.includes(f.repo) && p.endsWith(f.path))).toBe(true);
    expect(fetched.some((p) => p.includes('large_44k_v2'))).toBe(false);
  });

  it('a video job: audio as long as the clip, not silent, with the engine’s fields', async () => {
    const r = await first.run({
      task: 'foley',
      video_path: 'chaplin.mp4',
      engine: 'mmaudio',
      duration: 3,
      steps: 3,
      seed: 11,
      output_format: 'wav',
    });
    const out = outputOf(r);
    expect(out.engine).toBe(ENGINE);
    expect(out).toMatchObject({ variant: ENGINE, mode: 'video', steps: 3, cfg_strength: 4.5, sample_rate: 16000 });
    expect(out.windows).toEqual([{ start: 0, end: 3 }]);
    expect(String(out.licence)).toMatch(/CC BY-NC 4\.0/);
    const audio = await decodeAudioMono(String(out.audio_path), 48_000);
    expect(Math.abs(audio.length / 48_000 - 3)).toBeLessThan(0.05);
    expect(Math.max(...secondsRms(audio, 48_000))).toBeGreaterThan(1e-3);
  }, 120_000);

  it('a sound job (text only) and a still: audio of the asked length, not silent; a 16 kHz network delivers 48 kHz files', async () => {
    const sound = outputOf(await first.run({ task: 'sound', prompt: 'rain on a tin roof', duration: 2.5, steps: 2, seed: 3 }));
    expect(sound).toMatchObject({ engine: ENGINE, mode: 'text', steps: 2, sample_rate: 16000 });
    expect(await probeStreams(String(sound.audio_path))).toMatchObject([{ codec_name: 'pcm_s16le', sample_rate: '48000', channels: 2 }]);
    const s = await decodeAudioMono(String(sound.audio_path), 48_000);
    expect(Math.abs(s.length / 48_000 - 2.5)).toBeLessThan(0.05);
    expect(Math.max(...secondsRms(s, 48_000))).toBeGreaterThan(1e-3);

    const still = join(first.config.volumeDir, 'still.png');
    await promisify(execFile)(binaries().ffmpeg, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=1',
      '-frames:v',
      '1',
      '-y',
      still,
    ]);
    const image = outputOf(await first.run({ task: 'foley', image_path: still, engine: 'mmaudio', duration: 2, steps: 2, seed: 3 }));
    expect(image).toMatchObject({ engine: ENGINE, mode: 'image' });
    // MP4 for a still: the picture held for the sound's length.
    const v = await decodeAudioMono(String(image.video_path), 48_000);
    expect(Math.abs(v.length / 48_000 - 2)).toBeLessThan(0.1);
  }, 120_000);

  it('every key of a real MMAudio result is documented: foley.md (video, still) and sound.md, or api.md', async () => {
    const common = documentedResultFields('docs/api.md');
    const jobs = {
      'docs/tasks/foley.md': [
        { task: 'foley', video_path: 'chaplin.mp4', engine: ENGINE, duration: 1, steps: 1, seed: 1, output_format: 'wav' },
        { task: 'foley', image_path: 'still.png', engine: ENGINE, duration: 1, steps: 1, seed: 1 },
      ],
      'docs/tasks/sound.md': [{ task: 'sound', prompt: 'rain', duration: 1, steps: 1, seed: 1, output_format: 'm4a' }],
    };
    for (const [page, inputs] of Object.entries(jobs)) {
      const documented = new Set([...common, ...documentedResultFields(page)]);
      for (const input of inputs) {
        const keys = Object.keys(outputOf(await first.run(input)));
        expect(
          keys.filter((k) => !documented.has(k)),
          `${JSON.stringify(input)}: add to the "Result" table of ${page}`,
        ).toEqual([]);
      }
    }
  }, 120_000);

  it('the same seed gives the same audio; another seed does not', async () => {
    const job = { task: 'sound', prompt: 'a door creaks', duration: 1.5, steps: 2, output_format: 'wav' };
    const a = await readFile(String(outputOf(await first.run({ ...job, seed: 5 })).audio_path));
    const b = await readFile(String(outputOf(await first.run({ ...job, seed: 5 })).audio_path));
    const c = await readFile(String(outputOf(await first.run({ ...job, seed: 6 })).audio_path));
    expect(Buffer.compare(a, b)).toBe(0);
    expect(Buffer.compare(a, c)).not.toBe(0);
  }, 120_000);

  it('a 20 s clip: three crossfaded windows, sound in every second', async () => {
    const clip = join(first.config.volumeDir, 'twenty.mp4');
    await makeClip(clip, ['testsrc2=size=160x120:rate=25:duration=20'], '[0:v]null[v]');
    const out = outputOf(await first.run({ task: 'foley', video_path: clip, engine: ENGINE, steps: 1, seed: 2, output_format: 'wav' }));
    expect(out.windows).toEqual([
      { start: 0, end: 8 },
      { start: 6, end: 14 },
      { start: 12, end: 20 },
    ]);
    const audio = await decodeAudioMono(String(out.audio_path), 48_000);
    const rms = secondsRms(audio, 48_000);
    expect(rms.length).toBe(20);
    for (const [i, r] of rms.entries()) expect(r, `second ${i}`).toBeGreaterThan(1e-3);
  }, 180_000);

  it('a second worker on the same volume asks the Hub nothing and converts nothing', async () => {
    const before = hub.requests.length;
    const folders = await graphFolders();
    const second = await startWorker();
    const out = outputOf(await second.run({ task: 'sound', prompt: 'wind', duration: 1, steps: 1, seed: 1 }));
    expect(out.engine).toBe(ENGINE);
    expect(hub.requests.length).toBe(before);
    expect(await graphFolders()).toEqual(folders);
  }, 120_000);

  it('a damaged graph in the cache is converted again', async () => {
    const root = join(volume, 'graphs');
    const vae = (await readdir(root)).find((d) => d.startsWith('mmaudio-vae-') && !d.endsWith('.lock'))!;
    const model = join(root, vae, 'model.onnx');
    const good = await readFile(model);
    // Same size, wrong bytes: the manifest's sizes match, the session will not open.
    await writeFile(model, Buffer.alloc(good.length, 0x5a));
    const third = await startWorker();
    const out = outputOf(await third.run({ task: 'sound', prompt: 'wind', duration: 1, steps: 1, seed: 1 }));
    expect(out.engine).toBe(ENGINE);
    expect(Buffer.compare(await readFile(model), good)).toBe(0);
  }, 120_000);

  it('LEARNED_PRECISION=fp16: the MM-DiT converted again with fp16 weights, a smaller flow graph, nearly the same sound', async () => {
    const job = { task: 'sound', prompt: 'a door creaks', duration: 1.5, steps: 2, seed: 5, output_format: 'wav' };
    const a = await decodeAudioMono(String(outputOf(await first.run(job)).audio_path), 48_000);
    const half = await startWorker({ LEARNED_PRECISION: 'fp16' });
    const b = await decodeAudioMono(String(outputOf(await half.run(job)).audio_path), 48_000);
    const root = join(volume, 'graphs');
    const dits = (await readdir(root)).filter((d) => d.startsWith('mmaudio-dit-') && !d.endsWith('.lock'));
    expect(dits).toHaveLength(2);
    const [x, y] = await Promise.all(dits.map(async (d) => (await readFile(join(root, d, 'flow.onnx'))).length));
    expect(Math.min(x!, y!) / Math.max(x!, y!)).toBeLessThan(0.7);
    // These stand-in weights are fp32, so fp16 storage rounds them: the sound moves, slightly (measured 1.5 % of its peak).
    let diff = 0;
    let peak = 0;
    for (let i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
      peak = Math.max(peak, Math.abs(a[i]!));
    }
    expect(b.length).toBe(a.length);
    expect(diff).toBeGreaterThan(0);
    expect(diff / peak).toBeLessThan(0.05);
  }, 120_000);

  it('an abort mid-sampling ends the job as cancelled within a second', async () => {
    const stop = new AbortController();
    let abortedAt = 0;
    const onProgress = (u: unknown): void => {
      const p = u as { stage?: string; percent?: number };
      if (abortedAt === 0 && p.stage === 'sampling' && (p.percent ?? 0) >= 1) {
        abortedAt = performance.now();
        stop.abort();
      }
    };
    const r = await first.run(
      { task: 'sound', prompt: 'engine hum', duration: 30, steps: 100, seed: 1 },
      { signal: stop.signal, onProgress },
    );
    expect(abortedAt).toBeGreaterThan(0);
    expect(errorOf(r).code).toBe('CANCELLED');
    expect(performance.now() - abortedAt).toBeLessThan(1000);
  }, 120_000);
});
