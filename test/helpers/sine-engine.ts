/**
 * A second, real Foley engine for tests: it writes a sine tone the length of the source (or of
 * `duration`) as a WAV, unmastered, so the task's selection, mastering and delivery are exercised
 * with an engine that is not the procedural one. Its models are Hub repo ids checked like any
 * engine's; it never opens them.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkerModels } from '../../src/inference/warm-up.js';
import { wavHeader } from '../../src/media/wav.js';
import {
  modelsReady,
  type EngineDeps,
  type FoleyEngine,
  type FoleyRequest,
  type LoadedEngine,
} from '../../src/pipelines/foley/engines/engine.js';
import { ModelRegistry } from '../../src/models/registry.js';

export interface SineEngineOptions {
  name?: string;
  models?: string[];
  /** Peak amplitude of the tone (linear); default 0.1 (−20 dBFS), well under −16 LUFS. */
  amplitude?: number;
  frequency?: number;
  /** load() rejects with this. */
  failLoad?: Error;
}

const RATE = 48_000;

export function sineEngine(o: SineEngineOptions = {}): FoleyEngine & { loads: number; renders: number } {
  const amplitude = o.amplitude ?? 0.1;
  const frequency = o.frequency ?? 1000;
  const engine = {
    name: o.name ?? 'sine',
    description: 'a sine tone (tests)',
    models: o.models ?? ['acme/sine-weights'],
    loads: 0,
    renders: 0,
    available: (deps: EngineDeps) => modelsReady(engine, deps),
    async load(): Promise<LoadedEngine> {
      engine.loads++;
      if (o.failLoad) throw o.failLoad;
      return {
        async render(request: FoleyRequest) {
          engine.renders++;
          const media = request.source ? await request.source.media : undefined;
          const seconds = request.duration ?? media?.duration ?? 1;
          const frames = Math.round(seconds * RATE);
          const s16 = request.output.sampleFormat === 's16';
          const body = Buffer.alloc(frames * 2 * (s16 ? 2 : 4));
          for (let i = 0; i < frames; i++) {
            const x = amplitude * Math.sin((2 * Math.PI * frequency * i) / RATE);
            for (let c = 0; c < 2; c++) {
              if (s16) body.writeInt16LE(Math.round(x * 32767), (2 * i + c) * 2);
              else body.writeFloatLE(x, (2 * i + c) * 4);
            }
          }
          const wav = join(request.workDir, 'sine.wav');
          await writeFile(wav, Buffer.concat([wavHeader(frames, 2, RATE, request.output.sampleFormat), body]));
          request.onProgress({ stage: 'synthesis', percent: 100 });
          return { track: { wav, durationS: frames / RATE, mastered: false }, fields: { seed: request.seed, tone_hz: frequency } };
        },
      };
    },
  };
  return engine;
}

/**
 * The warm-up's models with a real registry of these repos (nothing on disk: the sine engine
 * opens no file). Only `registry` is read by the engines' checks.
 */
export function modelsWith(repos: string[]): WorkerModels {
  const registry = new ModelRegistry(
    repos.map((repo) => ({ repo, revision: 'main', commit: '0'.repeat(40), snapshot: '/nonexistent', files: [], source: 'warm' as const })),
  );
  return { registry } as unknown as WorkerModels;
}
