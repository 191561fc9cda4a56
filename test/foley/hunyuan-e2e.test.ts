/**
 * HunyuanVideo-Foley end to end, through the handler, from a stand-in Hub serving a reduced random
 * set at the real repo paths (bench/hvf-stand-ins.ts: the DiT in bf16, SigLIP2 and CLAP as
 * safetensors, the DAC-VAE, Synchformer, the CLAP tokenizer files): FOLEY_ENGINE fetches exactly
 * the XL network's files, the worker converts them, and a 20 s video (two windows of up to 15 s) and a
 * sound job come back at 48 kHz, not silent; the Notice sits next to the converted DiT; a second
 * start converts nothing and asks the Hub nothing. Every key of both results is documented (foley.md,
 * sound.md or api.md), as test/foley/mmaudio-e2e.test.ts checks MMAudio's.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeHvfStandIns } from '../../bench/hvf-stand-ins.js';
import { writeMmaudioStandIns } from '../../bench/mmaudio-stand-ins.js';
import { type WorkerModels, warmUpModels } from '../../src/inference/warm-up.js';
import { hvfFiles, mmaudioFiles } from '../../src/models/engine-files.js';
import { documentedResultFields } from '../helpers/docs.js';
import { type FakeHub, startFakeHub } from '../helpers/fake-hub.js';
import { learnedEngineWorker, outputOf, type TestWorker } from '../helpers/job.js';
import { decodeAudioMono, makeClip } from '../helpers/media.js';

const ENGINE = 'hunyuan-foley-xl';
let hub: FakeHub;
let volume: string;
const workers: TestWorker[] = [];

async function startWorker(env: Record<string, string> = {}): Promise<TestWorker> {
  const w = await learnedEngineWorker({ hub: hub.url, volume, engine: ENGINE, env });
  workers.push(w);
  return w;
}

function quietestSecond(samples: Float32Array, rate: number): number {
  let min = Number.POSITIVE_INFINITY;
  for (let s = 0; s + rate <= samples.length; s += rate) {
    let e = 0;
    for (let i = s; i < s + rate; i++) e += samples[i]! ** 2;
    min = Math.min(min, Math.sqrt(e / rate));
  }
  return min;
}

beforeAll(async () => {
  volume = await mkdtemp(join(tmpdir(), 'hvf-volume-'));
  const files = await writeHvfStandIns({ dir: join(volume, 'set'), seed: 5 });
  const mmaudio = await writeMmaudioStandIns({ dir: join(volume, 'mmaudio-set'), variant: 'small_16k', size: 'reduced', seed: 5 });
  const byRepo = new Map<string, Record<string, Uint8Array>>();
  for (const f of [...files, ...mmaudio.files]) byRepo.set(f.repo, { ...byRepo.get(f.repo), [f.path]: await readFile(f.local) });
  // Upstream ships one Synchformer file in both repos, byte for byte.
  byRepo.get('tencent/HunyuanVideo-Foley')!['synchformer_state_dict.pth'] =
    byRepo.get('hkchengrex/MMAudio')!['ext_weights/synchformer_state_dict.pth']!;
  // The XXL network's file sits in the repo too: FOLEY_ENGINE=hunyuan-foley-xl must not fetch it.
  byRepo.get('tencent/HunyuanVideo-Foley')!['hunyuanvideo_foley.pth'] = new Uint8Array(4096).fill(3);
  hub = await startFakeHub({ repos: [...byRepo].map(([repo, f]) => ({ repo, commit: 'c'.repeat(40), files: f })) });
}, 120_000);

afterAll(async () => {
  await hub?.close();
  for (const w of workers) await w.close();
  if (volume) await rm(volume, { recursive: true, force: true });
});

describe('HunyuanVideo-Foley through the handler, from a stand-in Hub', () => {
  it('XL files only; a 20 s video (2 windows) and a sound at 48 kHz, not silent, keys documented; the Notice by the DiT', async () => {
    const w = await startWorker();
    const fetched = hub.fileGets().map((r) => decodeURIComponent(r.path));
    for (const f of hvfFiles(ENGINE)) expect(fetched.some((p) => p.includes(f.repo) && p.endsWith(f.path))).toBe(true);
    expect(fetched.some((p) => p.endsWith('/hunyuanvideo_foley.pth'))).toBe(false);

    const clip = join(w.config.volumeDir, 'twenty.mp4');
    await makeClip(clip, ['testsrc2=size=160x120:rate=25:duration=20'], '[0:v]null[v]');
    const out = outputOf(
      await w.run({ task: 'foley', video_path: clip, engine: 'hunyuan-foley', steps: 2, seed: 4, output_format: 'wav' }),
    );
    expect(out).toMatchObject({ engine: ENGINE, variant: ENGINE, mode: 'video', steps: 2, sample_rate: 48000 });
    // Windows of up to the trained 15 s, overlapping by at least a second (upstream stops at 15 s).
    expect(out.windows).toEqual([
      { start: 0, end: 15 },
      { start: 5, end: 20 },
    ]);
    expect(String(out.licence)).toMatch(/Tencent Hunyuan Community/);
    const audio = await decodeAudioMono(String(out.audio_path), 48_000);
    expect(Math.abs(audio.length / 48_000 - 20)).toBeLessThan(0.1);
    expect(quietestSecond(audio, 48_000)).toBeGreaterThan(1e-3);

    const sound = outputOf(await w.run({ task: 'sound', prompt: 'rain on a tin roof', engine: ENGINE, duration: 3, steps: 2, seed: 1 }));
    expect(sound).toMatchObject({ engine: ENGINE, mode: 'text' });
    // Shorter than a window: one window of the sound's own length, as upstream runs a short clip (no padding).
    expect(sound.windows).toEqual([{ start: 0, end: 3 }]);
    const s = await decodeAudioMono(String(sound.audio_path), 48_000);
    expect(Math.abs(s.length / 48_000 - 3)).toBeLessThan(0.05);
    expect(quietestSecond(s, 48_000)).toBeGreaterThan(1e-3);

    // Every key of both results is named in its page's "Result" table or api.md's.
    const common = documentedResultFields('docs/api.md');
    for (const [page, result] of [
      ['docs/tasks/foley.md', out],
      ['docs/tasks/sound.md', sound],
    ] as const) {
      const documented = new Set([...common, ...documentedResultFields(page)]);
      expect(
        Object.keys(result).filter((k) => !documented.has(k)),
        `add to the "Result" table of ${page}`,
      ).toEqual([]);
    }

    const graphs = await readdir(join(volume, 'graphs'));
    const dit = graphs.find((d) => d.startsWith('hvf-dit-xl-') && !d.endsWith('.lock'))!;
    expect(await readFile(join(volume, 'graphs', dit, 'NOTICE.txt'), 'utf8')).toMatch(/Tencent Hunyuan Community License/);
  }, 300_000);

  it('a second start on the same volume asks the Hub nothing and converts nothing', async () => {
    const before = hub.requests.length;
    const folders = (await readdir(join(volume, 'graphs'))).sort();
    const w = await startWorker();
    const out = outputOf(await w.run({ task: 'sound', prompt: 'wind', engine: ENGINE, duration: 1, steps: 1, seed: 1 }));
    expect(out.engine).toBe(ENGINE);
    expect(hub.requests.length).toBe(before);
    expect((await readdir(join(volume, 'graphs'))).sort()).toEqual(folders);
  }, 120_000);

  it('MMAudio on the same volume reuses the Synchformer graph HunyuanVideo-Foley converted: one cache entry for both', async () => {
    const mmaudio = mmaudioFiles('mmaudio-small-16k');
    const models = [...new Set(mmaudio.map((f) => f.repo))]
      .map(
        (repo) =>
          `${repo}:${mmaudio
            .filter((f) => f.repo === repo)
            .map((f) => f.path)
            .join(',')}`,
      )
      .join(';');
    const w = await startWorker({ MODELS: models });
    const out = outputOf(await w.run({ task: 'sound', prompt: 'wind', engine: 'mmaudio-small-16k', duration: 1, steps: 1, seed: 1 }));
    expect(out.engine).toBe('mmaudio-small-16k');
    const graphs = await readdir(join(volume, 'graphs'));
    expect(graphs.filter((d) => d.startsWith('synchformer-') && !d.endsWith('.lock'))).toHaveLength(1);
    expect(graphs.some((d) => d.startsWith('mmaudio-dit-'))).toBe(true);
  }, 180_000);

  it('LEARNED_MEMORY=sequential: each phase’s sessions are open only while it runs; the same seed gives the same sound', async () => {
    let models: WorkerModels | undefined;
    const job = { task: 'sound', prompt: 'gravel', engine: ENGINE, duration: 2, steps: 2, seed: 9, output_format: 'wav' };
    const sequential = await learnedEngineWorker({
      hub: hub.url,
      volume,
      engine: ENGINE,
      env: { LEARNED_MEMORY: 'sequential' },
      models: async (config) => {
        models = await warmUpModels({ config, log: pino({ level: 'silent' }) });
        return models;
      },
    });
    workers.push(sequential);
    const a = outputOf(await sequential.run(job));
    expect(a.engine).toBe(ENGINE);
    expect(models!.sessions.loaded().filter((k) => k.includes(ENGINE))).toEqual([]);
    const resident = await startWorker();
    const b = outputOf(await resident.run(job));
    expect(Buffer.compare(await readFile(String(a.audio_path)), await readFile(String(b.audio_path)))).toBe(0);
  }, 180_000);

  it('LEARNED_PRECISION=fp16: a DiT cache entry of its own, smaller, and the same sound within 1e-3 (bf16 is exact in fp16)', async () => {
    const job = { task: 'sound', prompt: 'gravel', engine: ENGINE, duration: 2, steps: 2, seed: 9, output_format: 'wav' };
    const fp32 = await startWorker({ LEARNED_PRECISION: 'fp32' });
    const a = outputOf(await fp32.run(job));
    const half = await startWorker({ LEARNED_PRECISION: 'fp16' });
    const b = outputOf(await half.run(job));
    const dits = (await readdir(join(volume, 'graphs'))).filter((d) => d.startsWith('hvf-dit-') && !d.endsWith('.lock'));
    const flowBytes = await Promise.all(dits.map(async (d) => (await readFile(join(volume, 'graphs', d, 'flow.onnx'))).length));
    // Each precision is a key of its own (auto — fp32 for XL — from the tests before, fp32, fp16).
    expect(dits.length).toBeGreaterThanOrEqual(2);
    const sizes = [...flowBytes].sort((x, y) => x - y);
    expect(sizes[0]! / sizes.at(-1)!).toBeLessThan(0.7); // 0.61: the reduced graph's RoPE tables and norms stay fp32
    expect(new Set(sizes.slice(1)).size).toBe(1);
    const [wa, wb] = [await decodeAudioMono(String(a.audio_path)), await decodeAudioMono(String(b.audio_path))];
    let diff = 0;
    for (let i = 0; i < wa.length; i++) diff = Math.max(diff, Math.abs(wa[i]! - wb[i]!));
    expect(wb.length).toBe(wa.length);
    // Measured 4.3e-5 of full scale after mastering: the same weights, other MatMul kernels (no prepacked constant).
    expect(diff).toBeLessThan(1e-3);
  }, 180_000);
});
