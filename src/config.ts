/**
 * @module The only reader of `process.env` and `process.argv`: both are parsed when `loadConfig`
 * is called (never at import time), validated with zod, and frozen. Everything else receives a
 * `Config` as a parameter, so tests build one from a plain object.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { WorkerError } from './errors.js';
import { parseModelsSpec, type RepoSpec } from './models/spec.js';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const boolish = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const EnvSchema = z.object({
  VOLUME_DIR: z.string().default('/runpod-volume'),
  OUTPUT_DIR: z.string().default('output'),
  WORK_DIR: optionalString,
  FFMPEG_PATH: optionalString,
  FFPROBE_PATH: optionalString,
  LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
  LOG_PRETTY: boolish,
  PATH: z.string().default(''),
  MAX_INPUT_BYTES: z.coerce.number().int().positive().default(1024 ** 3),
  MAX_BASE64_BYTES: z.coerce.number().int().positive().default(15_000_000),
  FFMPEG_TIMEOUT_S: z.coerce.number().positive().default(1800),
  // RunPod platform (set by RunPod on serverless workers; see README "Environment").
  RUNPOD_WEBHOOK_GET_JOB: optionalString,
  RUNPOD_WEBHOOK_POST_OUTPUT: optionalString,
  RUNPOD_WEBHOOK_POST_STREAM: optionalString,
  RUNPOD_WEBHOOK_PING: optionalString,
  RUNPOD_AI_API_KEY: optionalString,
  RUNPOD_POD_ID: optionalString,
  RUNPOD_ENDPOINT_ID: optionalString,
  RUNPOD_PING_INTERVAL: z.coerce.number().int().positive().default(10_000),
  RUNPOD_CONCURRENCY: z.coerce.number().int().positive().default(1),
  // Models on the volume (README "Models on the network volume"); HF_* as huggingface_hub reads them.
  HF_HUB_CACHE: optionalString,
  HF_ENDPOINT: z.url().default('https://huggingface.co'),
  HF_TOKEN: optionalString.refine((v) => v === undefined || v.startsWith('hf_'), 'HF_TOKEN must start with "hf_"'),
  HF_HUB_OFFLINE: boolish,
  MODELS: optionalString,
  MODELS_LOCK_STALE_S: z.coerce.number().positive().default(60),
  MODELS_LOCK_WAIT_S: z.coerce.number().positive().default(3600),
  MODELS_DOWNLOAD_CONCURRENCY: z.coerce.number().int().positive().max(64).default(4),
  MODELS_DOWNLOAD_RETRIES: z.coerce.number().int().nonnegative().default(5),
  MODELS_STALL_TIMEOUT_S: z.coerce.number().positive().default(60),
  EXECUTION_PROVIDER: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
});

const FLAGS = {
  test_input: { type: 'string' },
  test_output: { type: 'string' },
  rp_log_level: { type: 'string' },
  rp_serve_api: { type: 'boolean' },
  rp_api_host: { type: 'string' },
  rp_api_port: { type: 'string' },
  rp_api_concurrency: { type: 'string' },
  rp_debugger: { type: 'boolean' },
  'download-models': { type: 'boolean' },
  'verify-models': { type: 'boolean' },
} as const;

const FlagsSchema = z.object({
  test_input: z.string().optional(),
  test_output: z.string().optional(),
  rp_log_level: z.enum(LOG_LEVELS).optional(),
  rp_serve_api: z.boolean().default(false),
  rp_api_host: z.string().default('127.0.0.1'),
  rp_api_port: z.coerce.number().int().min(0).max(65535).default(8000),
  rp_api_concurrency: z.coerce.number().int().positive().default(1),
  rp_debugger: z.boolean().default(false),
  /** Populate the volume with MODELS and exit (for preparing a volume from a pod). */
  'download-models': z.boolean().default(false),
  /** Re-hash every MODELS file on the volume, replace bad ones, and exit. */
  'verify-models': z.boolean().default(false),
});

export interface RunpodConfig {
  jobTakeUrl: string | undefined;
  jobDoneUrl: string | undefined;
  jobStreamUrl: string | undefined;
  pingUrl: string | undefined;
  /** Secret: sent as the Authorization header, never logged. */
  apiKey: string | undefined;
  podId: string | undefined;
  endpointId: string | undefined;
  pingIntervalMs: number;
  concurrency: number;
}

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
  retries: number;
  stallMs: number;
  /** EXECUTION_PROVIDER for ONNX sessions: auto tries CUDA then falls back to CPU. */
  executionProvider: 'auto' | 'cpu' | 'cuda';
}

export interface Config {
  /** RunPod network volume root; `video_path` inputs resolve under it. */
  volumeDir: string;
  /** Where `delivery: "path"` writes results (absolute). */
  outputDir: string;
  /** Per-job scratch directories are created under it (absolute). */
  workDir: string;
  /** The repository's bundled sample clips; `video_path` may also name a file here. */
  samplesDir: string;
  /** Searched last for ffmpeg/ffprobe. */
  searchPath: string;
  /** Largest accepted input video, in bytes (decoded). */
  maxInputBytes: number;
  ffmpegPath: string | undefined;
  ffprobePath: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  logPretty: boolean;
  maxBase64Bytes: number;
  ffmpegTimeoutMs: number;
  runpod: RunpodConfig;
  flags: z.infer<typeof FlagsSchema>;
  models: ModelsConfig;
}

/** The directory of our package.json, found from this file (src/ under vitest, dist/src/ when built). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** Parse env and argv once. Throws INVALID_INPUT naming the variable or flag that is wrong. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv.slice(2),
  cwd: string = process.cwd(),
): Readonly<Config> {
  const e = EnvSchema.safeParse(env);
  if (!e.success) {
    throw new WorkerError('INVALID_INPUT', `bad environment: ${z.prettifyError(e.error)}`);
  }
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (cause) {
    throw new WorkerError('INVALID_INPUT', `bad command line: ${(cause as Error).message}`, { cause });
  }
  const f = FlagsSchema.safeParse(values);
  if (!f.success) {
    throw new WorkerError('INVALID_INPUT', `bad command line: ${z.prettifyError(f.error)}`);
  }
  const v = e.data;
  return Object.freeze({
    volumeDir: resolve(cwd, v.VOLUME_DIR),
    outputDir: resolve(cwd, v.OUTPUT_DIR),
    workDir: resolve(cwd, v.WORK_DIR ?? tmpdir()),
    samplesDir: join(packageRoot(), 'samples'),
    searchPath: v.PATH,
    maxInputBytes: v.MAX_INPUT_BYTES,
    ffmpegPath: v.FFMPEG_PATH,
    ffprobePath: v.FFPROBE_PATH,
    logLevel: f.data.rp_log_level ?? v.LOG_LEVEL ?? 'info',
    logPretty: v.LOG_PRETTY,
    maxBase64Bytes: v.MAX_BASE64_BYTES,
    ffmpegTimeoutMs: v.FFMPEG_TIMEOUT_S * 1000,
    runpod: Object.freeze({
      jobTakeUrl: v.RUNPOD_WEBHOOK_GET_JOB,
      jobDoneUrl: v.RUNPOD_WEBHOOK_POST_OUTPUT,
      jobStreamUrl: v.RUNPOD_WEBHOOK_POST_STREAM,
      pingUrl: v.RUNPOD_WEBHOOK_PING,
      apiKey: v.RUNPOD_AI_API_KEY,
      podId: v.RUNPOD_POD_ID,
      endpointId: v.RUNPOD_ENDPOINT_ID,
      pingIntervalMs: v.RUNPOD_PING_INTERVAL,
      concurrency: v.RUNPOD_CONCURRENCY,
    }),
    flags: Object.freeze(f.data),
    models: Object.freeze({
      hubCache: resolve(cwd, v.HF_HUB_CACHE ?? join(resolve(cwd, v.VOLUME_DIR), 'huggingface-cache', 'hub')),
      endpoint: v.HF_ENDPOINT.replace(/\/+$/, ''),
      token: v.HF_TOKEN,
      offline: v.HF_HUB_OFFLINE,
      specs: Object.freeze(parseModelsSpec(v.MODELS)),
      lockStaleMs: v.MODELS_LOCK_STALE_S * 1000,
      lockWaitMs: v.MODELS_LOCK_WAIT_S * 1000,
      concurrency: v.MODELS_DOWNLOAD_CONCURRENCY,
      retries: v.MODELS_DOWNLOAD_RETRIES,
      stallMs: v.MODELS_STALL_TIMEOUT_S * 1000,
      executionProvider: v.EXECUTION_PROVIDER,
    }),
  });
}
