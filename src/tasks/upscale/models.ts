/**
 * @module Which super-resolution model a job runs, and its ONNX session. `auto` takes a
 * Real-ESRGAN-style ONNX repo from MODELS when the volume has one (it is better and, on a GPU,
 * fast), else the embedded default. Embedded models are the @upscalerjs/esrgan-* packages,
 * converted to ONNX on first use (src/convert/) and cached by their sources' hashes. Every model
 * takes `input` [N,3,H,W] in 0..1 and returns `output` [N,3,sH,sW]; a Hub model's scale is
 * measured by running it once on a small tile.
 */
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { EMBEDDED_SR_MODELS, loadEmbeddedSrModel, type LoadedSrModel } from '../../convert/esrgan.js';
import { WorkerError, isWorkerError } from '../../errors.js';
import { tensor, type Session, type Tensor } from '../../inference/ort.js';
import type { Tier } from '../../hardware/tier.js';
import { invalidInput } from '../../util/field-issues.js';
import { srIoNames } from '../../pipelines/upscale/frame-upscaler.js';
import { configuredOnnxRepo, hubOnnxFile } from '../hub-onnx.js';
import type { TaskDeps } from '../../job/task.js';

export type EmbeddedName = keyof typeof EMBEDDED_SR_MODELS;

/**
 * The embedded model `auto` runs when no Hub model is configured, by tier. Chosen by measurement
 * (BENCHMARKS.md, "Upscale"): esrgan-thick is the only embedded model at or above bicubic at
 * every scale on real footage, but runs 0.04 frames/s at 360p → 720p on a 2-core CPU, fine for a
 * GPU; on a CPU, esrgan-medium is within 0.3 dB of bicubic at ×2 at 0.44 frames/s.
 */
export const DEFAULT_EMBEDDED: Record<Tier, EmbeddedName> = {
  cpu: 'esrgan-medium',
  'gpu-small': 'esrgan-thick',
  gpu: 'esrgan-thick',
  'gpu-large': 'esrgan-thick',
};

/** Names the Hub repos or files of super-resolution models, for `auto`. */
const SR_NAME = /esrgan|upscal|swinir|hat[-_]|(^|[^a-z])(x[2348]|[2348]x)([^a-z]|$)|super.?res/i;

export interface ResolvedSrModel {
  /** The embedded name, or `org/repo/file.onnx`. */
  name: string;
  /** The model's own scale (a Hub model serves only the scale it has). */
  scale: number;
  session: Session;
  /** Tiles per run: Hub exports are often fixed at batch 1. */
  maxBatch: number;
}

/** Tiles per `session.run` for embedded models, by tier: batching pays on GPUs, not on CPUs. */
const BATCH_BY_TIER: Record<Tier, number> = { cpu: 1, 'gpu-small': 2, gpu: 4, 'gpu-large': 8 };

/** Runs a model on a 16×16 tile and reads its scale off the output's shape. */
async function measureScale(session: Session, name: string): Promise<number> {
  const side = 16;
  const io = srIoNames(session);
  let out: Record<string, Tensor>;
  try {
    out = await session.run({ [io.input]: tensor('float32', new Float32Array(3 * side * side).fill(0.5), [1, 3, side, side]) });
  } catch (cause) {
    throw new WorkerError(
      'MODEL_LOAD_FAILED',
      `${name}: the model does not take a [1,3,H,W] image of any size (it failed on a 16×16 tile): ${(cause as Error).message}`,
      {
        cause,
        details: { model: name },
      },
    );
  }
  const dims = out[io.output]?.dims ?? [];
  const scale = Number(dims[3]) / side;
  if (dims.length !== 4 || dims[1] !== 3 || !Number.isInteger(scale) || scale < 1 || Number(dims[2]) / side !== scale) {
    throw new WorkerError(
      'MODEL_LOAD_FAILED',
      `${name}: the model's output [${dims.join(',')}] is not an RGB image a whole number of times larger than its input`,
      {
        details: { model: name, dims },
      },
    );
  }
  return scale;
}

export interface SrModelResolver {
  /** `warn` hears what the job's result should say (a fallback taken). */
  resolve(request: { model: string; scale: number }, log: Logger, warn?: (message: string) => void): Promise<ResolvedSrModel>;
}

export function createSrModelResolver(deps: TaskDeps): SrModelResolver {
  const { sessions } = deps.inference;
  const tier = (): Tier => deps.inference.hardware.tier;
  const names = Object.keys(EMBEDDED_SR_MODELS) as EmbeddedName[];

  async function embedded(name: EmbeddedName, scale: number, log: Logger): Promise<ResolvedSrModel> {
    const entry = EMBEDDED_SR_MODELS[name];
    if (!(entry.scales as readonly number[]).includes(scale)) {
      throw invalidInput([{ field: 'scale', message: `${name} has scales ${entry.scales.join(', ')}, not ${scale}` }]);
    }
    const t = performance.now();
    const cacheDir = deps.config.models.convertedDir;
    const load = (): Promise<LoadedSrModel> =>
      loadEmbeddedSrModel(name, scale, { cacheDir }).catch((e: unknown) => {
        if (isWorkerError(e)) throw e;
        // The package's files or the cache folder (CONVERTED_MODELS_DIR) cannot be read or written.
        throw new WorkerError('MODEL_LOAD_FAILED', `${name} ×${scale}: cannot convert or cache the model: ${(e as Error).message}`, {
          cause: e,
          details: { model: name, scale },
        });
      });
    let model: LoadedSrModel | undefined;
    const { sessions: s } = await sessions.bundle(`upscale:embedded:${name}@x${scale}`, {
      sessions: {
        sr: {
          model: async () => {
            model = await load();
            return model.path;
          },
          async reopen(e) {
            if (!model?.hit) return undefined;
            // A cached file ORT cannot read (a damaged volume): convert it again, once.
            log.warn({ model: name, scale, err: e }, 'the cached conversion does not load: converting again');
            await rm(model.path, { force: true });
            model = await load();
            return model.path;
          },
        },
      },
      ready: ({ sr }) =>
        log.info(
          { model: name, scale, cached: model?.hit, provider: sr.provider, ms: Math.round(performance.now() - t) },
          'super-resolution model loaded',
        ),
    });
    return { name, scale, session: s.sr, maxBatch: BATCH_BY_TIER[tier()] };
  }

  async function hub(repo: string, log: Logger): Promise<ResolvedSrModel> {
    const { repo: r, file, name } = hubOnnxFile(deps.models, repo, SR_NAME);
    const { sessions: s, info: scale } = await sessions.bundle(`upscale:hub:${r.repo}@${r.commit}/${file.path}`, {
      sessions: { sr: { model: file.local } },
      async ready({ sr }) {
        const measured = await measureScale(sr, name);
        log.info({ model: name, scale: measured, provider: sr.provider }, 'super-resolution model loaded');
        return measured;
      },
    });
    return { name, scale, session: s.sr, maxBatch: 1 };
  }

  return {
    async resolve({ model, scale }, log, warn) {
      let resolved: ResolvedSrModel;
      if (model === 'auto') {
        const repo = configuredOnnxRepo(deps.models, SR_NAME);
        let fromHub: ResolvedSrModel | undefined;
        if (repo) {
          try {
            fromHub = await hub(repo, log);
          } catch (e) {
            // `auto` promises a result: a configured model that does not load gives way to the
            // embedded default, and the job says so. Named explicitly, it fails the job instead.
            if (!isWorkerError(e) || e.code !== 'MODEL_LOAD_FAILED') throw e;
            log.warn({ repo, err: e }, 'the configured super-resolution model does not load: using the embedded default');
            warn?.(`${repo} does not load (${e.message}); used ${DEFAULT_EMBEDDED[tier()]}`);
          }
        }
        // A Hub model of another scale cannot serve the ask: the embedded default can.
        resolved = fromHub?.scale === scale ? fromHub : await embedded(DEFAULT_EMBEDDED[tier()], scale, log);
      } else if ((names as string[]).includes(model)) {
        resolved = await embedded(model as EmbeddedName, scale, log);
      } else if (/^[\w.-]+\/[\w.-]+$/.test(model)) {
        resolved = await hub(model, log);
      } else {
        throw new WorkerError(
          'ENGINE_NOT_AVAILABLE',
          `model: "${model}" is not available; use "auto", one of ${names.join(', ')}, or a Hub repo listed in MODELS`,
          {
            details: { field: 'model', available: ['auto', ...names, ...(deps.models?.registry.list().map((r) => r.repo) ?? [])] },
          },
        );
      }
      if (resolved.scale !== scale) {
        throw invalidInput([{ field: 'scale', message: `${resolved.name} upscales ×${resolved.scale}, not ×${scale}` }]);
      }
      return resolved;
    },
  };
}
