/**
 * @module The worker's vision models behind one small interface: CenterNet object detection and
 * MoveNet pose, converted from @vladmandic/human's TF.js packages into the conversion cache on
 * first use and run on session threads (src/inference/session-thread.ts) so that inference
 * overlaps decoding. Any failure to convert or load is MODEL_LOAD_FAILED: the caller turns it
 * into a warning and carries on without vision.
 */
import type { Logger } from 'pino';
import { cancelledError, isWorkerError, WorkerError } from '../errors.js';
import { convertHumanModel, HUMAN_MODELS, type HumanModelName } from '../convert/human.js';
import { createOrtRuntime, tensor, type Session } from '../inference/ort.js';
import { createSessionCache, type BundleSpec, type SessionCache } from '../inference/sessions.js';
import { timedSession } from '../inference/timed-session.js';
import { DEFAULT_MIN_SCORE, decodeRaw, detectorInputSize, DETECTOR_CLASSES, DETECTOR_STRIDE, finishDetections } from './detector.js';
import { cropToInt, resizeToFloat } from './image.js';
import { decodeCrop, personRegion, POSE_GRID, POSE_INPUT, POSE_KEYPOINTS, toImage } from './pose.js';
import type { Box, Detection, Pose, RgbImage } from './types.js';

export interface VisionModels {
  /** Objects per image (best first). Images of any size; those already at {@link detectorInput} skip the resize. */
  detect(images: RgbImage[], o?: { minScore?: number; maxPerImage?: number }): Promise<Detection[][]>;
  /** One pose per person box (same order), from crops of `image`. */
  pose(image: RgbImage, persons: Box[]): Promise<Pose[]>;
  /** The frame size to decode to so that {@link detect} needs no resize (multiples of 32). */
  detectorInput(width: number, height: number): { width: number; height: number };
  /** Cumulative ms inside model runs (including the hop to the session thread). */
  modelMs: { detect: number; pose: number };
  provider: 'cpu' | 'cuda';
  close(): Promise<void>;
}

/** How the two sessions are made: from which conversion cache and sources, with how many threads. */
export interface VisionSessionsOptions {
  cacheDir: string;
  log: Logger;
  signal?: AbortSignal | undefined;
  /** Intra-op threads per session (1 when the models run beside decoding on a small CPU). */
  threads?: number | undefined;
  /** Other model.json files (tests: a corrupt model). */
  sources?: Partial<Record<HumanModelName, string>> | undefined;
}

/** How the models are run. */
export interface VisionRunOptions {
  signal?: AbortSignal | undefined;
  /** The detector input's long side (rounded to 32); 320 by default. 512 is the model's native size. */
  detectorSide?: number | undefined;
  /** Crops per pose run. */
  poseBatch?: number | undefined;
}

export interface VisionModelsOptions extends VisionSessionsOptions, VisionRunOptions {
  ep: 'auto' | 'cpu' | 'cuda';
  gpuPresent?: boolean;
}

export const DEFAULT_DETECTOR_SIDE = 320;
const DEFAULT_POSE_BATCH = 8;

function loadFailed(name: string, e: unknown): WorkerError {
  if (isWorkerError(e) && (e.code === 'MODEL_LOAD_FAILED' || e.code === 'CANCELLED')) return e;
  return new WorkerError('MODEL_LOAD_FAILED', `vision model ${name} could not be loaded: ${e instanceof Error ? e.message : String(e)}`, {
    cause: e,
    details: { model: name },
  });
}

export type VisionSessionName = 'centernet' | 'movenet-lightning';

/**
 * The detector and the pose model as a session bundle (sessions.ts): each converted into the
 * cache on first use, then opened on its own thread; `ready` wraps them as {@link VisionModels},
 * whose `close` is `close`.
 */
export function visionBundle(
  o: VisionSessionsOptions & VisionRunOptions & { close: () => Promise<void> },
): BundleSpec<VisionSessionName, VisionModels> {
  const spec = (name: HumanModelName) => ({
    async model(): Promise<string> {
      const c = await convertHumanModel(name, { cacheDir: o.cacheDir, ...(o.sources?.[name] ? { modelJson: o.sources[name] } : {}) });
      o.log.info(
        { model: name, cached: c.hit, ms: Math.round(c.ms) },
        c.hit ? 'vision model found in the conversion cache' : 'vision model converted to ONNX',
      );
      if (o.signal?.aborted) throw cancelledError(o.signal.reason);
      return c.path;
    },
    options: o.threads === undefined ? {} : { intraOpNumThreads: o.threads },
  });
  return {
    sessions: { centernet: spec('centernet'), 'movenet-lightning': spec('movenet-lightning') },
    loadError: (name, e) => loadFailed(name, e),
    ready: (s) => visionModelsOf(s.centernet, s['movenet-lightning'], o),
  };
}

/** The two models loaded on their own (benches, tests, the self-test): `close` releases them. */
export async function loadVisionModels(o: VisionModelsOptions): Promise<VisionModels> {
  const runtime = createOrtRuntime({ log: o.log, ep: o.ep, ...(o.gpuPresent === undefined ? {} : { gpuPresent: o.gpuPresent }) });
  const cache: SessionCache = createSessionCache({ runtime });
  return (await cache.bundle('vision', visionBundle({ ...o, close: () => cache.releaseAll() }))).info;
}

function visionModelsOf(detector: Session, poser: Session, o: VisionRunOptions & { close: () => Promise<void> }): VisionModels {
  const side = o.detectorSide ?? DEFAULT_DETECTOR_SIDE;
  const poseBatch = Math.max(1, o.poseBatch ?? DEFAULT_POSE_BATCH);
  const modelMs = { detect: 0, pose: 0 };
  const detIn = HUMAN_MODELS.centernet;
  const poseIn = HUMAN_MODELS['movenet-lightning'];
  const [heatName, whName] = detIn.outputs;
  const [hmName, centerName, regName, offName] = poseIn.outputs;

  const sessions = {
    detect: timedSession(detector, (ms) => (modelMs.detect += ms)),
    pose: timedSession(poser, (ms) => (modelMs.pose += ms)),
  };
  const timed = async (which: keyof typeof modelMs, feeds: Parameters<Session['run']>[0]): ReturnType<Session['run']> => {
    if (o.signal?.aborted) throw cancelledError(o.signal.reason);
    // Each batch is built for this run alone: handed over to the session's thread, not copied
    // (a detection's 320×192 float input is 0.7 MB; copying it cost ~2.6 ms of the main thread).
    return sessions[which].run(feeds, { transfer: true });
  };

  return {
    modelMs,
    provider: detector.provider,
    detectorInput: (width, height) => detectorInputSize(width, height, side),
    async detect(images, d = {}) {
      const minScore = d.minScore ?? DEFAULT_MIN_SCORE;
      const maxPerImage = d.maxPerImage ?? 20;
      const results: Detection[][] = images.map(() => []);
      // One run per input size: a batch shares H and W.
      const groups = new Map<string, number[]>();
      images.forEach((img, i) => {
        const s = detectorInputSize(img.width, img.height, side);
        const key = `${s.width}x${s.height}`;
        groups.set(key, [...(groups.get(key) ?? []), i]);
      });
      for (const [key, idx] of groups) {
        const [w, h] = key.split('x').map(Number) as [number, number];
        const batch = new Float32Array(idx.length * w * h * 3);
        for (const [b, i] of idx.entries()) resizeToFloat(images[i]!, { width: w, height: h }, batch, b * w * h * 3);
        const out = await timed('detect', { [detIn.input]: tensor('float32', batch, [idx.length, h, w, 3]) });
        const heat = out[heatName]!.data as Float32Array;
        const wh = out[whName]!.data as Float32Array;
        const gw = w / DETECTOR_STRIDE;
        const gh = h / DETECTOR_STRIDE;
        if (heat.length !== idx.length * gw * gh * DETECTOR_CLASSES)
          throw new WorkerError(
            'INTERNAL',
            `detector heatmap has ${heat.length} values, expected ${idx.length}×${gh}×${gw}×${DETECTOR_CLASSES}`,
          );
        idx.forEach((i, b) => {
          results[i] = finishDetections(decodeRaw({ heat, wh, gridW: gw, gridH: gh }, b, { minScore }), w, h, { maxPerImage });
        });
      }
      return results;
    },
    async pose(image, persons) {
      const poses: Pose[] = [];
      const S = POSE_INPUT;
      for (let start = 0; start < persons.length; start += poseBatch) {
        const boxes = persons.slice(start, start + poseBatch);
        const regions = boxes.map((b) => personRegion(image, b));
        const batch = new Int32Array(boxes.length * S * S * 3);
        for (const [b, r] of regions.entries()) cropToInt(image, { region: r, size: S }, batch, b * S * S * 3);
        const out = await timed('pose', { [poseIn.input]: tensor('int32', batch, [boxes.length, S, S, 3]) });
        const outputs = {
          heatmap: out[hmName]!.data as Float32Array,
          center: out[centerName]!.data as Float32Array,
          regress: out[regName]!.data as Float32Array,
          offset: out[offName]!.data as Float32Array,
        };
        if (outputs.heatmap.length !== boxes.length * POSE_GRID * POSE_GRID * POSE_KEYPOINTS)
          throw new WorkerError('INTERNAL', 'pose heatmap has an unexpected size');
        boxes.forEach((box, b) => {
          const keypoints = toImage(decodeCrop(outputs, b), regions[b]!, image);
          poses.push({ box, keypoints, score: keypoints.reduce((s, k) => s + k.score, 0) / keypoints.length });
        });
      }
      return poses;
    },
    close: o.close,
  };
}
