/**
 * The Foley runner over a list of engines, end to end with real ffmpeg: a second engine (a sine
 * tone, test/helpers/sine-engine.ts) beside the procedural one. `engine` selects the code that
 * runs; `auto` passes over an engine that cannot run and says why; the delivery masters a track
 * its engine did not; the engines' models are checked when the runner is built.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import type { WorkerModels } from '../../src/inference/warm-up.js';
import { runInFrame } from '../../src/dispatch/frame.js';
import type { FoleyEngine } from '../../src/pipelines/foley/engines/engine.js';
import { proceduralEngine } from '../../src/pipelines/foley/engines/procedural/index.js';
import { toJobErrorBody } from '../../src/errors.js';
import type { JobContext } from '../../src/runtime/types.js';
import { FoleyInputSchema } from '../../src/tasks/foley/input.js';
import { deliverTrack } from '../../src/tasks/foley/deliver-track.js';
import { createFoleyRunner } from '../../src/tasks/foley/task.js';
import { binaries, ebur128, probeStreams } from '../helpers/media.js';
import { captureLog } from '../helpers/models.js';
import { modelsWith, sineEngine } from '../helpers/sine-engine.js';
import { copyStandIns } from '../helpers/stand-ins.js';
import { cpuInference } from '../../src/inference/worker-inference.js';

let root: string;
let config: Readonly<Config>;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'foley-engines-'));
  const volumeDir = join(root, 'volume');
  await mkdir(volumeDir, { recursive: true });
  await copyStandIns(volumeDir, ['chaplin.mp4']);
  config = loadConfig(
    { VOLUME_DIR: volumeDir, OUTPUT_DIR: join(root, 'output'), WORK_DIR: root, PATH: process.env.PATH ?? '', MODELS: 'acme/sine-weights' },
    [],
    root,
  );
});
afterAll(() => rm(root, { recursive: true, force: true }));

let n = 0;
/** One job through the frame, as the handler runs it: the output, or the error's wire body. */
async function run(
  engines: readonly FoleyEngine[],
  models: WorkerModels | undefined,
  payload: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const deps = { config, binaries, models, inference: models ?? cpuInference({ config }) };
  const runner = createFoleyRunner(deps, { engines });
  const ctx: JobContext = {
    id: `engines-${++n}`,
    mode: 'test',
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
    progress: () => undefined,
  };
  try {
    return await runInFrame(runner, FoleyInputSchema.parse({ vision: false, ...payload }), ctx, deps);
  } catch (e) {
    return { error: toJobErrorBody(e) };
  }
}

describe('engine selection end to end', () => {
  it(
    'auto runs the first available engine; ' + 'its unmastered track is mastered and kept under the true-peak promise as delivered',
    async () => {
      const sine = sineEngine();
      const out = await run([sine, proceduralEngine], modelsWith(['acme/sine-weights']), {
        video_path: 'chaplin.mp4',
        duration: 2,
        seed: 3,
      });
      expect(out).toMatchObject({ engine: 'sine', seed: 3, tone_hz: 1000, mime: 'video/mp4', warnings: [], loudness: { rule: 'target' } });
      expect(sine.renders).toBe(1);
      const file = out.video_path as string;
      expect((await probeStreams(file)).filter((s) => s.codec_type === 'audio')).toEqual([expect.objectContaining({ codec_name: 'aac' })]);
      // A −20 dBFS sine reads about −23 LUFS: lifted to the target, measured on the delivered AAC.
      const meter = await ebur128(file);
      expect(Math.abs(meter.integrated + 16)).toBeLessThan(0.6);
      expect(meter.truePeak).toBeLessThanOrEqual(-1 + 0.05);
      expect(Math.abs((out.loudness as { lufs: number }).lufs + 16)).toBeLessThan(0.6);
    },
  );

  it('a WAV of the track alone is the mastered track itself, 16-bit', async () => {
    const out = await run([sineEngine(), proceduralEngine], modelsWith(['acme/sine-weights']), {
      video_path: 'chaplin.mp4',
      duration: 1,
      output_format: 'wav',
    });
    expect(out).toMatchObject({ engine: 'sine', mime: 'audio/wav' });
    expect(await probeStreams(out.audio_path as string)).toEqual([expect.objectContaining({ codec_name: 'pcm_s16le' })]);
    expect(Math.abs((await ebur128(out.audio_path as string)).integrated + 16)).toBeLessThan(0.3);
  });

  it('auto passes over an engine whose models are not ready, says why, and the next engine runs', async () => {
    const sine = sineEngine();
    const out = await run([sine, proceduralEngine], modelsWith([]), { video_path: 'chaplin.mp4', duration: 1, prompt: 'footsteps' });
    expect(out).toMatchObject({ engine: 'procedural', preset: 'footsteps' });
    expect(out.warnings).toEqual([
      expect.stringMatching(/^engine "auto": sine is not available \(engine "sine" needs acme\/sine-weights.*\); procedural ran instead$/),
    ]);
    expect(sine.loads).toBe(0);
  });

  it('auto passes over an engine that fails to load, and the next one runs', async () => {
    const out = await run([sineEngine({ failLoad: new Error('out of GPU memory') }), proceduralEngine], modelsWith(['acme/sine-weights']), {
      video_path: 'chaplin.mp4',
      duration: 1,
    });
    expect(out).toMatchObject({
      engine: 'procedural',
      warnings: ['engine "auto": sine is not available (it failed to load (out of GPU memory)); procedural ran instead'],
    });
  });

  it('naming an engine that is not available is ENGINE_NOT_AVAILABLE with its reason, before the source is read', async () => {
    const out = await run([sineEngine(), proceduralEngine], modelsWith([]), { video_path: 'no-such-file.mp4', engine: 'sine' });
    expect(out.error).toMatchObject({
      code: 'ENGINE_NOT_AVAILABLE',
      message: expect.stringMatching(
        /^engine: "sine" is not available: engine "sine" needs acme\/sine-weights.*; available: auto, procedural$/,
      ),
      details: { field: 'engine', engine: 'sine', available: ['auto', 'procedural'] },
    });
  });

  it('naming an available engine runs it, even when auto would pick another', async () => {
    const out = await run([sineEngine(), proceduralEngine], modelsWith(['acme/sine-weights']), {
      video_path: 'chaplin.mp4',
      duration: 1,
      engine: 'procedural',
      output_format: 'wav',
    });
    expect(out).toMatchObject({ engine: 'procedural', warnings: [] });
  });
});

describe("the engines' models at start-up", () => {
  it('logs an engine whose repo is not in MODELS when the runner is built, and refuses a model that is not a repo id', () => {
    const captured = captureLog();
    createFoleyRunner(
      { config, binaries, models: modelsWith(['acme/sine-weights']), inference: cpuInference({ config }) },
      { engines: [sineEngine({ models: ['acme/unlisted'] }), proceduralEngine], log: captured.log },
    );
    expect(captured.lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        task: 'foley',
        msg: 'engine "sine" needs acme/unlisted, not in MODELS: it is unavailable until MODELS lists acme/unlisted',
      }),
    );
    expect(() =>
      createFoleyRunner({ config, binaries, inference: cpuInference({ config }) }, { engines: [sineEngine({ models: ['weights.onnx'] })] }),
    ).toThrow(/not Hub repo ids/);
  });
});

describe('a track without a picture (what a text-only engine renders)', () => {
  it.each([
    ['m4a', 'aac'],
    ['flac', 'flac'],
    ['wav', 'pcm_s16le'],
  ] as const)('is mastered and delivered alone as %s', async (format, codec) => {
    const workDir = await mkdtemp(join(root, 'alone-'));
    const loaded = await sineEngine().load({ config, binaries });
    const aac = format === 'm4a' ? { ffmpeg: binaries().ffmpeg, timeoutMs: 60_000 } : undefined;
    const job = { warnings: [] as string[], timings: {} as Record<string, number>, mark: (_: string, since: number) => since };
    const { track } = await loaded.render(
      {
        prompt: 'a tone',
        negativePrompt: '',
        seed: 1,
        duration: 1.5,
        senses: {},
        output: { mode: 'replace', sampleFormat: format === 'wav' ? 's16' : 'f32', aac },
        workDir,
        signal: new AbortController().signal,
        timeoutMs: 60_000,
        limits: { maxFrames: 1000, maxTimeS: 60 },
        onProgress: () => undefined,
        log: pino({ level: 'silent' }),
      },
      job,
    );
    const out = await deliverTrack({
      track,
      format,
      mode: 'replace',
      speech: [],
      workDir,
      run: { ffmpeg: binaries().ffmpeg, signal: new AbortController().signal, timeoutMs: 60_000 },
      job,
    });
    expect(await probeStreams(out.file)).toEqual([expect.objectContaining({ codec_type: 'audio', codec_name: codec })]);
    const meter = await ebur128(out.file);
    expect(Math.abs(meter.integrated + 16)).toBeLessThan(0.6);
    expect(meter.truePeak).toBeLessThanOrEqual(-1 + 0.05);
    expect(out.loudness).toMatchObject({ rule: 'target' });
    expect(job.warnings).toEqual([]);
  });

  it('cannot be an MP4', async () => {
    const job = { warnings: [], timings: {}, mark: (_: string, since: number) => since };
    await expect(
      deliverTrack({
        track: { wav: '/nonexistent.wav', durationS: 1, mastered: true },
        format: 'mp4',
        mode: 'replace',
        speech: [],
        workDir: root,
        run: { ffmpeg: binaries().ffmpeg, signal: new AbortController().signal, timeoutMs: 1000 },
        job,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
