/**
 * @module What the model store needs to know (where the Hub cache is, which repos, how to fetch,
 * where converted models go): defined here, where it is used, and filled from the environment by
 * config.ts — so models/ never reads the worker's configuration.
 */
import type { RepoSpec } from './spec.js';

export interface ModelsConfig {
  /** HF_HUB_CACHE: the Hugging Face cache on the volume (Python-compatible layout). */
  hubCache: string;
  /** HF_ENDPOINT without a trailing slash. */
  endpoint: string;
  /** Secret (HF_TOKEN): sent to the Hub only, never logged. */
  token: string | undefined;
  /** HF_HUB_OFFLINE: use only what is on the volume. */
  offline: boolean;
  /** MODELS, parsed. */
  specs: readonly RepoSpec[];
  lockStaleMs: number;
  lockWaitMs: number;
  concurrency: number;
  /** MODELS_DOWNLOAD_PARTS: ranged GETs at once per file of 64 MiB or more, where the server allows ranges. */
  parts: number;
  retries: number;
  stallMs: number;
  /** EXECUTION_PROVIDER for ONNX sessions: auto tries CUDA then falls back to CPU. */
  executionProvider: 'auto' | 'cpu' | 'cuda';
  /** CONVERTED_MODELS_DIR: where converted embedded models are cached (by the sources' hashes). */
  convertedDir: string;
  /** VISION_MODELS_DIR: the TF.js vision models' folder; default the @vladmandic/human package's. */
  visionDir: string | undefined;
  /** FOLEY_VISION: the Foley task's vision and voice-activity models are on (a job may still say `vision: false`). */
  foleyVision: boolean;
  /** FOLEY_ENGINE, `mmaudio` / `hunyuan-foley` resolved to the family's default: `auto` prefers it, its files are in `specs`. */
  foleyEngine: string | undefined;
  /**
   * LEARNED_MEMORY: `resident` keeps a learned engine's sessions open between jobs; `sequential`
   * opens each phase's (encoders, then the DiT, then the decoder) only while a job is in it, for a
   * GPU too small for them all (HunyuanVideo-Foley).
   */
  learnedMemory: 'resident' | 'sequential';
  /**
   * LEARNED_PRECISION: how a learned engine's DiT flow graph stores its weights — `fp16` halves the
   * file, the session and the VRAM they take while computing in fp32; `auto` is fp16 where the fp32
   * weights would not fit a 24 GB GPU (HunyuanVideo-Foley XXL), fp32 elsewhere.
   */
  learnedPrecision: 'auto' | 'fp32' | 'fp16';
  /** ENGINE_GRAPHS_DIR: learned engines' converted graphs, on the volume (named by their sources' hashes). */
  graphsDir: string;
}
