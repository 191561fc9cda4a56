/**
 * @module The Foley task's trained senses, kept across jobs in the worker's session cache: the
 * vision models (object detection and pose, converted from @vladmandic/human on first use and
 * cached) and the voice-activity model (Silero). Each loads once per worker, at start-up when
 * FOLEY_VISION is on ({@link warmFoleySenses}, before the first job) or else by the first job
 * that needs it; a failed load is retried by the next job, and the job that saw it runs on
 * without (the caller turns the error into a warning).
 */
import type { Logger } from 'pino';
import type { Tier } from '../../hardware/tier.js';
import type { Session } from '../../inference/ort.js';
import type { FoleyVision } from '../../pipelines/foley/engines/engine.js';
import { vadSessionSpec } from '../../pipelines/foley/speech/model.js';
import { humanModelsIn } from '../../convert/human.js';
import { visionBundle } from '../../vision/models.js';
import type { TaskDeps } from '../../job/task.js';

/** The senses' keys in the session cache. */
export const SENSES_KEYS = { vision: 'foley:vision', vad: 'foley:vad' } as const;

/**
 * How densely the picture is watched, by tier, with pose and without. Measured on the 2-core CPU
 * tier (BENCHMARKS.md, "Foley: what the worker sees"): a detection costs ~16 ms and a pose ~12 ms
 * per person, so the one-third budget on a 10 s job holds about ten model runs: detection once a
 * second. Heel strikes need pose on every frame or two at walking pace (a step lasts about half a
 * second; the test's tolerance is two frames), which a GPU gives for little; on a CPU `pose: true`
 * keeps the detection sampling and poses only walkers, on a decode of its own at the pose
 * sampling ({@link watchPlan}).
 */
export const SAMPLING: Record<Tier, { detect: Omit<FoleyVision, 'models' | 'pose'>; pose: Omit<FoleyVision, 'models' | 'pose'> }> = {
  cpu: { detect: { width: 320, everyS: 1, detectEveryS: 1 }, pose: { width: 512, everyS: 0.1, detectEveryS: 1 } },
  'gpu-small': { detect: { width: 320, everyS: 0.25, detectEveryS: 0.25 }, pose: { width: 640, everyS: 1 / 15, detectEveryS: 0.25 } },
  gpu: { detect: { width: 320, everyS: 0.25, detectEveryS: 0.25 }, pose: { width: 640, everyS: 1 / 15, detectEveryS: 0.25 } },
  'gpu-large': { detect: { width: 320, everyS: 0.25, detectEveryS: 0.25 }, pose: { width: 640, everyS: 1 / 15, detectEveryS: 0.25 } },
};

/**
 * A CPU worker's pose (`pose: true`; `"auto"` leaves it off there: even this pass does not fit the
 * CPU budget on a busy street, BENCHMARKS.md "pose on a CPU worker"): the picture is sampled as
 * without pose (detection once a second), and pose runs on frames of a second decode at the pose
 * sampling's size and rate, only once someone walks and only for those who walk
 * (vision/pose-pass.ts): a clip where nobody walks costs what it costs without pose.
 */
export const CPU_POSE_FRAMES = { width: SAMPLING.cpu.pose.width, everyS: SAMPLING.cpu.pose.everyS } as const;

/**
 * A CPU worker's default (`pose: "auto"`): no pose, and heel strikes from the feet's motion
 * (vision/feet-motion.ts) on luma frames of the analysis decode every 0.1 s at the detection's
 * size, detection still once a second on RGB frames of their own. Measured on the labelled
 * walkers: heel strikes 0.83 / 0.75 within 2 frames (pose: 0.88 / 0.75), for pixel differences
 * instead of a pose run per walker and frame.
 */
export const CPU_FEET_SAMPLING = { ...SAMPLING.cpu.detect, feetEveryS: 0.1 } as const;

/**
 * How a job watches: pose or not (`"auto"`: on GPU tiers; on a CPU the feet's motion instead), the
 * sampling, and on a CPU with `pose: true` the pose pass.
 */
export function watchPlan(tier: Tier, pose: 'auto' | boolean): Omit<FoleyVision, 'models'> {
  if (pose === 'auto' && tier === 'cpu') return { pose: false, ...CPU_FEET_SAMPLING };
  // Past the line above, "auto" is a GPU tier: pose on.
  const on = pose === 'auto' || pose;
  if (!on) return { pose: false, ...SAMPLING[tier].detect };
  if (tier === 'cpu') return { pose: true, ...SAMPLING.cpu.detect, poseFrames: CPU_POSE_FRAMES };
  return { pose: true, ...SAMPLING[tier].pose };
}

export interface FoleySenses {
  /** The vision models and how to sample frames for them; rejects MODEL_LOAD_FAILED. */
  vision(log: Logger, o: { pose: 'auto' | boolean }): Promise<FoleyVision>;
  /** The voice-activity session; rejects MODEL_LOAD_FAILED. */
  vad(log: Logger): Promise<Session>;
}

export function createFoleySenses(deps: TaskDeps): FoleySenses {
  const { sessions, hardware } = deps.inference;
  return {
    async vision(log, o) {
      const visionDir = deps.config.models.visionDir;
      const { info: models } = await sessions.bundle(
        SENSES_KEYS.vision,
        visionBundle({
          cacheDir: deps.config.models.convertedDir,
          ...(visionDir ? { sources: humanModelsIn(visionDir) } : {}),
          log,
          // One thread on a CPU: the other core decodes the video beside it.
          ...(hardware.tier === 'cpu' ? { threads: 1 } : {}),
          close: () => sessions.release(SENSES_KEYS.vision),
        }),
      );
      return { models, ...watchPlan(hardware.tier, o.pose) };
    },
    async vad() {
      // On the CPU and the main thread always (speech/model.ts says why).
      return (await sessions.bundle(SENSES_KEYS.vad, { sessions: { vad: vadSessionSpec() } })).sessions.vad;
    },
  };
}

/**
 * Opens the senses a Foley job uses by default (FOLEY_VISION on) into the worker's session cache,
 * so that the first job finds them loaded. Never throws: a model that does not load is a warning
 * here, and the job that needs it tries again (and runs on without it) as when nothing was warmed.
 */
export async function warmFoleySenses(deps: TaskDeps, log: Logger): Promise<void> {
  if (!deps.config.models.foleyVision) return;
  const senses = createFoleySenses(deps);
  const t0 = performance.now();
  const [vision, vad] = await Promise.allSettled([senses.vision(log, { pose: 'auto' }), senses.vad(log)]);
  if (vision.status === 'rejected')
    log.warn({ err: vision.reason }, 'the vision models could not be loaded at start-up: Foley jobs will try again');
  if (vad.status === 'rejected')
    log.warn({ err: vad.reason }, 'the voice-activity model could not be loaded at start-up: Foley jobs will try again');
  log.info(
    { vision: vision.status === 'fulfilled', vad: vad.status === 'fulfilled', ms: Math.round(performance.now() - t0) },
    'Foley senses warmed',
  );
}
