/**
 * @module What the vision models see, in plain data: images as packed RGB24, boxes and keypoints
 * normalised to the full image (0..1, x right, y down), so results do not depend on the size a
 * model ran at.
 */

/** A packed RGB24 image: `data.length === width * height * 3`, rows top to bottom. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A box normalised to the image: (x0,y0) top-left, (x1,y1) bottom-right, each 0..1. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface Detection {
  /** COCO class name, e.g. `person`, `car` (see coco.ts). */
  label: string;
  /** 0-based index into {@link COCO_LABELS}. */
  classId: number;
  /** Peak heatmap value, 0..1. */
  score: number;
  box: Box;
}

/** A body keypoint normalised to the full image. */
export interface Keypoint {
  x: number;
  y: number;
  score: number;
}

/** MoveNet/COCO keypoint order. */
export const KEYPOINTS = [
  'nose',
  'leftEye',
  'rightEye',
  'leftEar',
  'rightEar',
  'leftShoulder',
  'rightShoulder',
  'leftElbow',
  'rightElbow',
  'leftWrist',
  'rightWrist',
  'leftHip',
  'rightHip',
  'leftKnee',
  'rightKnee',
  'leftAnkle',
  'rightAnkle',
] as const;
export type KeypointName = (typeof KEYPOINTS)[number];

/** Index of each keypoint in {@link Pose.keypoints}. */
export const KP = Object.fromEntries(KEYPOINTS.map((k, i) => [k, i])) as Readonly<Record<KeypointName, number>>;

export interface Pose {
  /** The person box the pose was estimated in (as given). */
  box: Box;
  /** 17 keypoints in {@link KEYPOINTS} order. */
  keypoints: Keypoint[];
  /** Mean keypoint score. */
  score: number;
}
