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
import { isWorkerError, WorkerError } from './errors.js';
import type { ModelsConfig } from './models/options.js';
import { FOLEY_ENGINE_NAMES, resolveEngineName, withEngineFiles } from './models/engine-files.js';
import { parseModelsSpec, type RepoSpec } from './models/spec.js';

export type { ModelsConfig } from './models/options.js';

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
  MAX_INPUT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 ** 3),
  MAX_BASE64_BYTES: z.coerce.number().int().positive().default(15_000_000),
  FFMPEG_TIMEOUT_S: z.coerce.number().positive().default(1800),
  // Input guards (docs/api.md "Inputs"; docs/operations.md "Environment variables").
  MAX_DURATION_S: z.coerce.number().positive().default(3600),
  MAX_PIXELS: z.coerce
    .number()
    .int()
    .positive()
    .default(4096 * 4096),
  MAX_FRAMES: z.coerce.number().int().positive().default(500_000),
  ALLOW_PRIVATE_URLS: boolish,
  DOWNLOAD_TIMEOUT_S: z.coerce.number().positive().default(600),
  DOWNLOAD_CONNECT_TIMEOUT_S: z.coerce.number().positive().default(15),
  MAX_REDIRECTS: z.coerce.number().int().min(0).max(20).default(5),
  // S3-compatible delivery, with runpod-python's variable names (docs/api.md "Delivery").
  BUCKET_ENDPOINT_URL: optionalString,
  BUCKET_ACCESS_KEY_ID: optionalString,
  BUCKET_SECRET_ACCESS_KEY: optionalString,
  BUCKET_NAME: optionalString,
  BUCKET_REGION: optionalString,
  BUCKET_PREFIX: z.string().default('foley-worker'),
  BUCKET_URL_EXPIRES_S: z.coerce.number().int().min(1).max(604_800).default(86_400),
  // RunPod platform (set by RunPod on serverless workers; see docs/operations.md "Environment variables").
  RUNPOD_WEBHOOK_GET_JOB: optionalString,
  RUNPOD_WEBHOOK_POST_OUTPUT: optionalString,
  RUNPOD_WEBHOOK_POST_STREAM: optionalString,
  RUNPOD_WEBHOOK_PING: optionalString,
  RUNPOD_AI_API_KEY: optionalString,
  RUNPOD_POD_ID: optionalString,
  RUNPOD_ENDPOINT_ID: optionalString,
  RUNPOD_PING_INTERVAL: z.coerce.number().int().positive().default(10_000),
  RUNPOD_CONCURRENCY: z.coerce.number().int().positive().default(1),
  // Worker runtime (src/runtime; see docs/operations.md "Run modes").
  MAX_RESULT_BYTES: z.coerce.number().int().positive().default(18_000_000),
  SHUTDOWN_GRACE_S: z.coerce.number().nonnegative().default(30),
  LOCAL_API_KEY: optionalString,
  LOCAL_API_RESULT_TTL_S: z.coerce.number().positive().default(1800),
  LOCAL_API_MAX_QUEUE: z.coerce.number().int().positive().default(1000),
  // Models on the volume (docs/operations.md "Models on the network volume"); HF_* as huggingface_hub reads them.
  HF_HUB_CACHE: optionalString,
  HF_ENDPOINT: z.url().default('https://huggingface.co'),
  HF_TOKEN: optionalString.refine((v) => v === undefined || v.startsWith('hf_'), 'HF_TOKEN must start with "hf_"'),
  HF_HUB_OFFLINE: boolish,
  MODELS: optionalString,
  MODELS_LOCK_STALE_S: z.coerce.number().positive().default(60),
  MODELS_LOCK_WAIT_S: z.coerce.number().positive().default(3600),
  MODELS_DOWNLOAD_CONCURRENCY: z.coerce.number().int().positive().max(64).default(4),
  MODELS_DOWNLOAD_PARTS: z.coerce.number().int().positive().max(64).default(8),
  MODELS_DOWNLOAD_RETRIES: z.coerce.number().int().nonnegative().default(5),
  MODELS_STALL_TIMEOUT_S: z.coerce.number().positive().default(60),
  EXECUTION_PROVIDER: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  // ONNX files our converters make from the npm weight packages (content-addressed; safe to share).
  CONVERTED_MODELS_DIR: optionalString,
  // The TF.js vision models' folder (centernet.json, movenet-lightning.json and their .bin).
  VISION_MODELS_DIR: optionalString,
  // The learned Foley engine this worker serves (docs/operations.md "Learned engines"): its Hub files are ensured with MODELS.
  FOLEY_ENGINE: z.enum(FOLEY_ENGINE_NAMES).optional(),
  // Where learned engines' converted graphs are cached (on the volume: every worker that mounts it reuses them).
  ENGINE_GRAPHS_DIR: optionalString,
  // resident: a learned engine's sessions stay open; sequential: each job phase's open only during it (smaller GPUs).
  LEARNED_MEMORY: z.enum(['resident', 'sequential']).default('resident'),
  // How the learned engines' DiT weights are stored: fp16 halves them (auto: fp16 where fp32 would not fit a 24 GB GPU).
  LEARNED_PRECISION: z.enum(['auto', 'fp32', 'fp16']).default('auto'),
  // The Foley task's trained senses (vision, voice activity): a job's `vision` field can turn them off too.
  FOLEY_VISION: z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
    .optional()
    .transform((v) => v === undefined || v === '' || v === '1' || v === 'true' || v === 'yes'),
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
  'convert-models': { type: 'boolean' },
  'self-test': { type: 'boolean' },
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
  /** Convert every embedded model into CONVERTED_MODELS_DIR and exit (at image build). */
  'convert-models': z.boolean().default(false),
  /** Check the provider, every embedded model and the built-in engine; print a JSON report, exit 0/1. */
  'self-test': z.boolean().default(false),
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

export interface InputLimits {
  maxDurationS: number;
  maxPixels: number;
  maxFrames: number;
  allowPrivateUrls: boolean;
  downloadTimeoutMs: number;
  connectTimeoutMs: number;
  maxRedirects: number;
}

export interface BucketSettings {
  endpoint: string;
  /** Secrets: never logged. */
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  region: string;
  prefix: string;
  urlExpiresS: number;
}

/**
 * Bucket from runpod-python's variables. The bucket name is BUCKET_NAME, else the first path
 * segment of BUCKET_ENDPOINT_URL (`https://host/my-bucket`); the region BUCKET_REGION, else the
 * `.s3.<region>.` part of an AWS host, else us-east-1.
 */
function bucketSettings(v: z.infer<typeof EnvSchema>): BucketSettings | undefined {
  const { BUCKET_ENDPOINT_URL: url, BUCKET_ACCESS_KEY_ID: id, BUCKET_SECRET_ACCESS_KEY: secret } = v;
  if (url === undefined && id === undefined && secret === undefined) return undefined;
  if (url === undefined || id === undefined || secret === undefined) {
    throw configInvalid('bad environment: BUCKET_ENDPOINT_URL, BUCKET_ACCESS_KEY_ID and BUCKET_SECRET_ACCESS_KEY must be set together', [
      'BUCKET_ENDPOINT_URL',
      'BUCKET_ACCESS_KEY_ID',
      'BUCKET_SECRET_ACCESS_KEY',
    ]);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw configInvalid('bad environment: BUCKET_ENDPOINT_URL is not a URL', ['BUCKET_ENDPOINT_URL']);
  }
  const segment = parsed.pathname.split('/').filter(Boolean)[0];
  // Virtual-hosted AWS style, `https://<bucket>.s3.<region>.amazonaws.com`, as runpod-python users write it.
  const hosted = /^(.+)\.(s3[.-][a-z0-9-]+\.amazonaws\.com)$/.exec(parsed.hostname);
  const bucket = v.BUCKET_NAME ?? segment ?? hosted?.[1];
  if (bucket === undefined) {
    throw configInvalid("bad environment: set BUCKET_NAME (or put the bucket in BUCKET_ENDPOINT_URL's path)", ['BUCKET_NAME']);
  }
  const region = v.BUCKET_REGION ?? /\.s3[.-]([a-z0-9-]+)\.amazonaws\.com$/.exec(parsed.hostname)?.[1] ?? 'us-east-1';
  return {
    endpoint: hosted && bucket === hosted[1] ? `${parsed.protocol}//${hosted[2]}` : `${parsed.protocol}//${parsed.host}`,
    accessKeyId: id,
    secretAccessKey: secret,
    bucket,
    region,
    prefix: v.BUCKET_PREFIX.replace(/^\/+|\/+$/g, ''),
    urlExpiresS: v.BUCKET_URL_EXPIRES_S,
  };
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
  limits: InputLimits;
  /** Present when a bucket is fully configured; `delivery: "url"` needs it. */
  bucket: BucketSettings | undefined;
  runpod: RunpodConfig;
  flags: z.infer<typeof FlagsSchema>;
  models: ModelsConfig;
  runtime: RuntimeConfig;
}

export interface RuntimeConfig {
  /** Serialized results above this fail with RESULT_TOO_LARGE (job-done refuses ~20 MB). */
  maxResultBytes: number;
  /** After SIGTERM/SIGINT, how long jobs in progress may take to finish. */
  shutdownGraceMs: number;
  /** Secret: when set, the local API requires `Authorization: [Bearer ]<key>`. Never logged. */
  localApiKey: string | undefined;
  /** How long the local API keeps a finished job's status. */
  localApiResultTtlMs: number;
  /** Most jobs the local API holds waiting; more are refused with 429. */
  localApiMaxQueue: number;
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

/**
 * CONFIG_INVALID, not INVALID_INPUT: a bad variable or flag is the operator's to fix, and a client
 * switching on INVALID_INPUT must not be told its payload was wrong. `details.variables` names them.
 */
function configInvalid(message: string, variables: string[]): WorkerError {
  return new WorkerError('CONFIG_INVALID', message, { details: { variables: [...new Set(variables)] } });
}

/** MODELS, parsed; its parser's INVALID_INPUT (src/models/spec.ts) becomes CONFIG_INVALID here, where it is the environment's. */
function modelsSpec(spec: string | undefined): RepoSpec[] {
  try {
    return parseModelsSpec(spec);
  } catch (e) {
    if (isWorkerError(e) && e.code === 'INVALID_INPUT') {
      throw new WorkerError('CONFIG_INVALID', `bad environment: ${e.message}`, {
        cause: e,
        details: { variables: ['MODELS'], entry: (e.details as { entry?: unknown } | undefined)?.entry },
      });
    }
    throw e;
  }
}

/** Parse env and argv once. Throws CONFIG_INVALID naming the variable or flag that is wrong. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv.slice(2),
  cwd: string = process.cwd(),
): Readonly<Config> {
  // An empty variable means "not set" (RunPod's console and Hub forms leave unset fields empty).
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const e = EnvSchema.safeParse(set);
  if (!e.success) {
    throw configInvalid(
      `bad environment: ${z.prettifyError(e.error)}`,
      e.error.issues.map((i) => String(i.path[0] ?? 'environment')),
    );
  }
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (cause) {
    throw new WorkerError('CONFIG_INVALID', `bad command line: ${(cause as Error).message}`, { cause });
  }
  const f = FlagsSchema.safeParse(values);
  if (!f.success) {
    throw configInvalid(
      `bad command line: ${z.prettifyError(f.error)}`,
      f.error.issues.map((i) => `--${String(i.path[0] ?? '')}`),
    );
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
    limits: Object.freeze({
      maxDurationS: v.MAX_DURATION_S,
      maxPixels: v.MAX_PIXELS,
      maxFrames: v.MAX_FRAMES,
      allowPrivateUrls: v.ALLOW_PRIVATE_URLS,
      downloadTimeoutMs: v.DOWNLOAD_TIMEOUT_S * 1000,
      connectTimeoutMs: v.DOWNLOAD_CONNECT_TIMEOUT_S * 1000,
      maxRedirects: v.MAX_REDIRECTS,
    }),
    bucket: bucketSettings(v),
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
    runtime: Object.freeze({
      maxResultBytes: v.MAX_RESULT_BYTES,
      shutdownGraceMs: v.SHUTDOWN_GRACE_S * 1000,
      localApiKey: v.LOCAL_API_KEY,
      localApiResultTtlMs: v.LOCAL_API_RESULT_TTL_S * 1000,
      localApiMaxQueue: v.LOCAL_API_MAX_QUEUE,
    }),
    models: Object.freeze({
      hubCache: resolve(cwd, v.HF_HUB_CACHE ?? join(resolve(cwd, v.VOLUME_DIR), 'huggingface-cache', 'hub')),
      endpoint: v.HF_ENDPOINT.replace(/\/+$/, ''),
      token: v.HF_TOKEN,
      offline: v.HF_HUB_OFFLINE,
      specs: Object.freeze(withEngineFiles(modelsSpec(v.MODELS), v.FOLEY_ENGINE)),
      lockStaleMs: v.MODELS_LOCK_STALE_S * 1000,
      lockWaitMs: v.MODELS_LOCK_WAIT_S * 1000,
      concurrency: v.MODELS_DOWNLOAD_CONCURRENCY,
      parts: v.MODELS_DOWNLOAD_PARTS,
      retries: v.MODELS_DOWNLOAD_RETRIES,
      stallMs: v.MODELS_STALL_TIMEOUT_S * 1000,
      executionProvider: v.EXECUTION_PROVIDER,
      convertedDir: resolve(cwd, v.CONVERTED_MODELS_DIR ?? join(packageRoot(), '.cache', 'converted-models')),
      visionDir: v.VISION_MODELS_DIR === undefined ? undefined : resolve(cwd, v.VISION_MODELS_DIR),
      foleyVision: v.FOLEY_VISION,
      foleyEngine: v.FOLEY_ENGINE === undefined ? undefined : resolveEngineName(v.FOLEY_ENGINE),
      learnedMemory: v.LEARNED_MEMORY,
      learnedPrecision: v.LEARNED_PRECISION,
      graphsDir: resolve(cwd, v.ENGINE_GRAPHS_DIR ?? join(resolve(cwd, v.VOLUME_DIR), 'foley-worker', 'graphs')),
    }),
  });
}
