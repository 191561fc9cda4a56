/**
 * @module Turns the payload's video reference into a local file the pipeline may read:
 * `video_path` is resolved under the allowed roots (after realpath, so `..` and symlinks cannot
 * lead out), `video_base64` is checked and decoded, `video_url` is downloaded under the SSRF
 * guards of `storage/download.ts` — both into the job's scratch directory.
 */
import { realpath, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { WorkerError } from '../errors.js';
import { defaultAddressPolicy, type AddressPolicy } from '../storage/address-policy.js';
import type { Resolver } from '../storage/download.js';
import type { NamedSource, SourceKind, VideoSource } from './fields.js';

export interface SourceOptions {
  /** Roots a `video_path` may resolve under, in order of preference (volume, bundled samples). */
  roots: readonly string[];
  /** The job's scratch directory (base64 inputs are written here). */
  workDir: string;
  maxInputBytes: number;
  download: {
    allowPrivate: boolean;
    timeoutMs: number;
    connectTimeoutMs: number;
    maxRedirects: number;
    /** Tests widen or narrow what may be reached; default: public addresses (plus private ones when allowed). */
    policy?: AddressPolicy;
    resolve?: Resolver;
  };
  signal?: AbortSignal | undefined;
}

function inside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

async function resolveVideoPath(path: string, { roots, maxInputBytes }: SourceOptions, field = 'video_path'): Promise<string> {
  if (path.includes('\0')) throw new WorkerError('INVALID_INPUT', `${field}: contains a NUL byte`, { details: { field } });
  let outside = false;
  for (const root of roots) {
    let realRoot: string;
    try {
      realRoot = await realpath(root);
    } catch {
      continue; // this root does not exist here (no volume attached)
    }
    const candidate = resolve(realRoot, path);
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      if (!inside(realRoot, candidate)) outside = true;
      continue;
    }
    if (!inside(realRoot, real)) {
      outside = true;
      continue;
    }
    const s = await stat(real);
    if (!s.isFile()) continue;
    if (s.size > maxInputBytes) {
      throw new WorkerError(
        'INPUT_TOO_LARGE',
        `${field}: the file is ${s.size} bytes, over the ${maxInputBytes}-byte limit (MAX_INPUT_BYTES)`,
        {
          details: { field, bytes: s.size, limit: maxInputBytes },
        },
      );
    }
    return real;
  }
  if (outside) {
    throw new WorkerError('INVALID_INPUT', `${field}: must name a file inside the volume or the bundled samples`, { details: { field } });
  }
  throw new WorkerError('INPUT_NOT_FOUND', `${field}: no file "${path}" on the volume or in the bundled samples`, { details: { field } });
}

const DATA_URI = /^data:([\w.+/-]*)(;[\w-]+=[\w.-]+)*;base64,/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

async function decodeBase64(
  text: string,
  { workDir, maxInputBytes }: SourceOptions,
  field = 'video_base64',
  name = 'input.bin',
): Promise<string> {
  const body = text.replace(DATA_URI, '').replace(/\s+/g, '');
  // Size first, from the text length alone: never allocate for an input we would refuse.
  const decodedBytes = Math.floor((body.length * 3) / 4) - (body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0);
  if (decodedBytes > maxInputBytes) {
    throw new WorkerError(
      'INPUT_TOO_LARGE',
      `${field}: decodes to ${decodedBytes} bytes, over the ${maxInputBytes}-byte limit (MAX_INPUT_BYTES)`,
      {
        details: { field, bytes: decodedBytes, limit: maxInputBytes },
      },
    );
  }
  if (body.length % 4 !== 0 || !BASE64.test(body)) {
    throw new WorkerError('INVALID_INPUT', `${field}: not valid base64 (standard alphabet, padded)`, { details: { field } });
  }
  const bytes = Buffer.from(body, 'base64');
  if (bytes.length === 0) throw new WorkerError('INVALID_INPUT', `${field}: is empty`, { details: { field } });
  const file = join(workDir, name);
  await writeFile(file, bytes);
  return file;
}

/** The local file to read for this job's video. */
export async function materializeSource(input: VideoSource, opts: SourceOptions): Promise<string> {
  return materializeNamedSource('video', input, opts, 'input.bin');
}

/**
 * The local file for a source of any kind (`image_*`, `audio_*`, `video_*`), under the same guards;
 * a base64 or URL source is written to `name` in the scratch directory (one name per source).
 */
export async function materializeNamedSource<K extends SourceKind>(
  kind: K,
  input: NamedSource<K>,
  opts: SourceOptions,
  name: string,
): Promise<string> {
  const v = input as Record<string, string | undefined>;
  const path = v[`${kind}_path`];
  const base64 = v[`${kind}_base64`];
  if (path !== undefined) return resolveVideoPath(path, opts, `${kind}_path`);
  if (base64 !== undefined) return decodeBase64(base64, opts, `${kind}_base64`, name);
  const dest = join(opts.workDir, name);
  const d = opts.download;
  // Loaded on first use, like the S3 client: only URL inputs need the HTTP client.
  const { downloadToFile } = await import('../storage/download.js');
  await downloadToFile({
    url: v[`${kind}_url`] as string,
    field: `${kind}_url`,
    dest,
    maxBytes: opts.maxInputBytes,
    policy: d.policy ?? defaultAddressPolicy(d.allowPrivate),
    ...(d.resolve ? { resolve: d.resolve } : {}),
    maxRedirects: d.maxRedirects,
    connectTimeoutMs: d.connectTimeoutMs,
    totalTimeoutMs: d.timeoutMs,
    signal: opts.signal,
  });
  return dest;
}
