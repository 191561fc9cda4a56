/**
 * @module The Foley task's trained senses, kept across jobs: the vision models (object detection
 * and pose, converted from @vladmandic/human on first use and cached) and the voice-activity
 * model (Silero). Each loads once per worker; a failed load is retried by the next job, and the
 * job that saw it runs on without (the caller turns the error into a warning).
 */
import type { Logger } from 'pino';
import type { Tier } from '../../hardware/tier.js';
import type { Session } from '../../inference/ort.js';
import { Memo } from '../../inference/sessions.js';
import type { FoleyVision } from '../../pipelines/foley/procedural.js';
import { openVadSession } from '../../pipelines/foley/speech/model.js';
import { humanModelsIn } from '../../convert/human.js';
import { loadVisionModels, type VisionModels } from '../../vision/models.js';
import type { TaskDeps } from '../task.js';

/**
 * How densely the picture is watched, by tier, with pose and without. Measured on the 2-core CPU
 * tier (BENCHMARKS.md, "Foley: what the worker sees"): a detection costs ~16 ms and a pose ~12 ms
 * per person, so the one-third budget on a 10 s job holds about ten model runs: detection once a
 * second, no pose. Heel strikes need pose on every frame or two at walking pace (a step lasts
 * about half a second; the test's tolerance is two frames), which a GPU gives for little.
 */
export const SAMPLING: Record<Tier, { detect: Omit<FoleyVision, 'models' | 'pose'>; pose: Omit<FoleyVision, 'models' | 'pose'> }> = {
  cpu: { detect: { width: 320, everyS: 1, detectEveryS: 1 }, pose: { width: 512, everyS: 0.1, detectEveryS: 1 } },
  'gpu-small': { detect: { width: 320, everyS: 0.25, detectEveryS: 0.25 }, pose: { width: 640, everyS: 1 / 15, detectEveryS: 0.25 } },
  gpu: { detect: { width: 320, everyS: 0.25, detectEveryS: 0.25 }, pose: { width: 640, everyS: 1 / 15, detectEveryS: 0.25 } },
  'gpu-large': { detect: { width: 320, everyS: 0.25, detectEveryS: 0.25 }, pose: { width: 640, everyS: 1 / 15, detectEveryS: 0.25 } },
};

/** Pose by default where it is cheap: on GPU tiers. */
export function poseByDefault(tier: Tier): boolean {
  return tier !== 'cpu';
}

export interface FoleySenses {
  /** The vision models and how to sample frames for them; rejects MODEL_LOAD_FAILED. */
  vision(log: Logger, o: { pose: 'auto' | boolean }): Promise<FoleyVision>;
  /** The voice-activity session; rejects MODEL_LOAD_FAILED. */
  vad(log: Logger): Promise<Session>;
}

export function createFoleySenses(deps: TaskDeps): FoleySenses {
  const memo = new Memo<VisionModels>();
  const vadMemo = new Memo<Session>();
  const tier = (): Tier => deps.models?.hardware.tier ?? 'cpu';
  const gpuPresent = (): boolean | undefined => (deps.models ? deps.models.hardware.gpus.length > 0 : undefined);
  return {
    async vision(log, o) {
      const visionDir = deps.config.models.visionDir;
      const models = await memo.get('vision', () =>
        loadVisionModels({
          cacheDir: deps.config.models.convertedDir,
          ...(visionDir ? { sources: humanModelsIn(visionDir) } : {}),
          ep: deps.config.models.executionProvider,
          ...(gpuPresent() === undefined ? {} : { gpuPresent: gpuPresent() as boolean }),
          log,
          // One thread on a CPU: the other core decodes the video beside it.
          ...(tier() === 'cpu' ? { threads: 1 } : {}),
        }),
      );
      const pose = o.pose === 'auto' ? poseByDefault(tier()) : o.pose;
      return { models, pose, ...SAMPLING[tier()][pose ? 'pose' : 'detect'] };
    },
    vad(log) {
      // On the CPU always: it steps through the audio one 32 ms window at a time, where a GPU's
      // transfers would cost more than the ~0.15 ms each window takes here.
      return vadMemo.get('vad', () => openVadSession({ ep: 'cpu', log }));
    },
  };
}
