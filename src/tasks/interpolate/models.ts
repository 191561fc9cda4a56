/**
 * @module Which interpolation engine a job runs. `ffmpeg` is built in (minterpolate). A RIFE 4.x
 * ONNX repo from MODELS runs on ONNX Runtime, on its own thread, CUDA when present; `auto` takes
 * one when the volume has one (a repo or file named like RIFE), else ffmpeg. A repo's session and
 * its timestep shape (rife-model.ts) are found once and kept.
 */
import type { Logger } from 'pino';
import { WorkerError, isWorkerError } from '../../errors.js';
import type { Tier } from '../../hardware/tier.js';
import type { Session } from '../../inference/ort.js';
import { detectTimestepShape, type TimestepShape } from '../../pipelines/interpolate/rife-model.js';
import { configuredOnnxRepo, hubOnnxFile } from '../hub-onnx.js';
import type { TaskDeps } from '../../job/task.js';

/** Names RIFE repos or files, for `auto`. */
const RIFE_NAME = /rife|frame.?interp/i;

/** Frames per `session.run` by tier: batching pays on GPUs; on a CPU one pair at a time. */
export const RIFE_BATCH_BY_TIER: Record<Tier, number> = { cpu: 1, 'gpu-small': 2, gpu: 4, 'gpu-large': 8 };

export type ResolvedEngine =
  | { kind: 'minterpolate'; name: 'ffmpeg' }
  | { kind: 'rife'; name: string; session: Session; timestep: TimestepShape; maxBatch: number };

export interface InterpolationModels {
  resolve(model: string, log: Logger, warn?: (message: string) => void): Promise<ResolvedEngine>;
}

export function createInterpolationModels(deps: TaskDeps): InterpolationModels {
  const { sessions } = deps.inference;

  async function hub(repo: string, log: Logger): Promise<ResolvedEngine> {
    const { repo: r, file, name } = hubOnnxFile(deps.models, repo, RIFE_NAME);
    const { sessions: s, info: timestep } = await sessions.bundle(`interpolate:hub:${r.repo}@${r.commit}/${file.path}`, {
      sessions: { rife: { model: file.local } },
      async ready({ rife }) {
        const shape = await detectTimestepShape(rife, name);
        log.info({ model: name, timestep: shape, provider: rife.provider }, 'interpolation model loaded');
        return shape;
      },
    });
    return { kind: 'rife', name, session: s.rife, timestep, maxBatch: RIFE_BATCH_BY_TIER[deps.inference.hardware.tier] };
  }

  return {
    async resolve(model, log, warn) {
      if (model === 'ffmpeg') return { kind: 'minterpolate', name: 'ffmpeg' };
      if (model === 'auto') {
        const repo = configuredOnnxRepo(deps.models, RIFE_NAME);
        if (!repo) return { kind: 'minterpolate', name: 'ffmpeg' };
        try {
          return await hub(repo, log);
        } catch (e) {
          // `auto` promises a result: a configured model that does not load gives way to ffmpeg.
          if (!isWorkerError(e) || e.code !== 'MODEL_LOAD_FAILED') throw e;
          log.warn({ repo, err: e }, 'the configured interpolation model does not load: using ffmpeg');
          warn?.(`${repo} does not load (${e.message}); used ffmpeg`);
          return { kind: 'minterpolate', name: 'ffmpeg' };
        }
      }
      if (/^[\w.-]+\/[\w.-]+$/.test(model)) return hub(model, log);
      throw new WorkerError(
        'ENGINE_NOT_AVAILABLE',
        `model: "${model}" is not available; use "auto", "ffmpeg", or a RIFE repo listed in MODELS`,
        {
          details: { field: 'model', available: ['auto', 'ffmpeg', ...(deps.models?.registry.list().map((r) => r.repo) ?? [])] },
        },
      );
    },
  };
}
