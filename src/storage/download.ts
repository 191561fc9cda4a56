/**
 * @module Downloads a user-supplied URL to a file, defensively: http(s) only, no credentials in the
 * URL, no proxy, every hop's host resolved once and checked against the address policy, the
 * connection pinned to the checked address (so a DNS answer that changes between check and
 * connect cannot redirect us), redirects followed by hand (each re-checked), a byte limit counted
 * on the decoded body, and connect/total timeouts tied to the job's AbortSignal.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import axios, { type AxiosRequestConfig, type AxiosResponse } from 'axios';
import type { Readable } from 'node:stream';
import { WorkerError, cancelledError, isWorkerError } from '../errors.js';
import type { AddressPolicy } from './address-policy.js';
import { backoffDelay, retry } from '../util/sleep.js';

/** Resolves a host name to every address it has (IPv4 and IPv6). */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export interface DownloadOptions {
  url: string;
  /** The payload field that named the URL, for errors (`video_url`, `image_url`, `audio_url`). @default "video_url" */
  field?: string;
  dest: string;
  maxBytes: number;
  policy: AddressPolicy;
  resolve?: Resolver;
  maxRedirects?: number;
  /** Until response headers arrive, per hop. */
  connectTimeoutMs?: number;
  /** The whole download. */
  totalTimeoutMs?: number;
  signal?: AbortSignal | undefined;
  /** Attempts for transient failures (network errors, 5xx). */
  attempts?: number;
}

export interface DownloadResult {
  bytes: number;
  /** The URL the bytes came from after redirects (without query string, for logs). */
  finalUrl: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The most of a URL an error or a log line repeats: a path longer than this is cut. */
export const REDACTED_URL_MAX = 200;

/**
 * A URL for logs and errors: no credentials, no query string (presigned URLs carry secrets there),
 * nothing of a non-http URL but its scheme (a `data:` URL is the file itself, megabytes of it),
 * and at most REDACTED_URL_MAX characters.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '<unparseable url>';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${u.protocol}…`;
  const shown = `${u.protocol}//${u.host}${u.pathname}`;
  return shown.length > REDACTED_URL_MAX ? `${shown.slice(0, REDACTED_URL_MAX)}…` : shown;
}

function notAllowed(message: string, url: string, field: string): WorkerError {
  return new WorkerError('URL_NOT_ALLOWED', `${field}: ${message}`, { details: { field, url: redactUrl(url) } });
}

/** Check one hop's URL and resolve its host to a single allowed address to pin. */
async function checkHop(raw: string, opts: DownloadOptions): Promise<{ url: URL; address: string; family: 4 | 6 }> {
  const field = opts.field ?? 'video_url';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WorkerError('INVALID_INPUT', `${field}: not a valid URL`, { details: { field } });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw notAllowed(`only http and https URLs are allowed, not ${url.protocol}`, raw, field);
  if (url.username || url.password) throw notAllowed('credentials in the URL are not allowed', raw, field);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [host]
    : await (opts.resolve ?? systemResolver)(host).catch((cause: unknown) => {
        throw new WorkerError('DOWNLOAD_FAILED', `${field}: cannot resolve host ${host}`, {
          cause,
          details: { field, url: redactUrl(raw) },
        });
      });
  if (addresses.length === 0)
    throw new WorkerError('DOWNLOAD_FAILED', `${field}: host ${host} has no address`, { details: { field, url: redactUrl(raw) } });
  // Every address must pass: a name that also points inside the network is refused outright.
  const refused = addresses.find((a) => !opts.policy(a));
  if (refused !== undefined) throw notAllowed(`host ${host} resolves to a non-public address`, raw, field);
  const address = addresses[0] as string;
  return { url, address, family: isIP(address) === 6 ? 6 : 4 };
}

/** A lookup that ignores DNS and answers with the address that was checked. */
function pinnedLookup(address: string, family: 4 | 6): NonNullable<AxiosRequestConfig['lookup']> {
  return (_hostname, _options, callback) => callback(null, [{ address, family }]);
}

function byteLimit(maxBytes: number, counter: { bytes: number }, field: string): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      counter.bytes += chunk.length;
      if (counter.bytes > maxBytes) {
        done(
          new WorkerError('INPUT_TOO_LARGE', `${field}: the download exceeds ${maxBytes} bytes (MAX_INPUT_BYTES)`, {
            details: { field, limit: maxBytes },
          }),
        );
      } else done(null, chunk);
    },
  });
}

async function attempt(opts: DownloadOptions, signal: AbortSignal): Promise<DownloadResult> {
  const field = opts.field ?? 'video_url';
  const maxRedirects = opts.maxRedirects ?? 5;
  let current = opts.url;
  for (let hop = 0; ; hop++) {
    const { url, address, family } = await checkHop(current, opts);
    let res: AxiosResponse<Readable>;
    try {
      res = await axios.get<Readable>(url.href, {
        responseType: 'stream',
        maxRedirects: 0,
        proxy: false,
        validateStatus: () => true,
        timeout: opts.connectTimeoutMs ?? 15_000,
        lookup: pinnedLookup(address, family),
        signal,
        headers: { 'User-Agent': 'foley-worker', Accept: 'video/*, application/octet-stream;q=0.9, */*;q=0.5' },
      });
    } catch (cause) {
      throw new WorkerError('DOWNLOAD_FAILED', `${field}: request failed: ${(cause as Error).message}`, {
        cause,
        retryable: true,
        details: { field, url: redactUrl(current) },
      });
    }
    if (REDIRECTS.has(res.status)) {
      res.data.destroy();
      const location = res.headers.location as string | undefined;
      if (!location)
        throw new WorkerError('DOWNLOAD_FAILED', `${field}: redirect ${res.status} without a Location`, {
          details: { field, url: redactUrl(current) },
        });
      if (hop >= maxRedirects)
        throw new WorkerError('DOWNLOAD_FAILED', `${field}: more than ${maxRedirects} redirects`, {
          details: { field, url: redactUrl(opts.url) },
        });
      current = new URL(location, url).href;
      continue;
    }
    if (res.status < 200 || res.status >= 300) {
      res.data.destroy();
      throw new WorkerError('DOWNLOAD_FAILED', `${field}: the server answered ${res.status}`, {
        retryable: res.status >= 500 || res.status === 429,
        details: { field, status: res.status, url: redactUrl(current) },
      });
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > opts.maxBytes) {
      res.data.destroy();
      throw new WorkerError(
        'INPUT_TOO_LARGE',
        `${field}: the file is ${declared} bytes, over the ${opts.maxBytes}-byte limit (MAX_INPUT_BYTES)`,
        {
          details: { field, bytes: declared, limit: opts.maxBytes },
        },
      );
    }
    const counter = { bytes: 0 };
    try {
      await pipeline(res.data, byteLimit(opts.maxBytes, counter, field), createWriteStream(opts.dest), { signal });
    } catch (cause) {
      await rm(opts.dest, { force: true });
      if (isWorkerError(cause)) throw cause;
      throw new WorkerError('DOWNLOAD_FAILED', `${field}: the transfer broke off after ${counter.bytes} bytes`, {
        cause,
        retryable: true,
        details: { field, url: redactUrl(current) },
      });
    }
    return { bytes: counter.bytes, finalUrl: redactUrl(url.href) };
  }
}

/** Download `url` to `dest` under the policy. Retries transient failures with backoff. */
export async function downloadToFile(opts: DownloadOptions): Promise<DownloadResult> {
  const field = opts.field ?? 'video_url';
  const total = AbortSignal.timeout(opts.totalTimeoutMs ?? 600_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, total]) : total;
  const attempts = Math.max(1, opts.attempts ?? 3);
  try {
    return await retry(() => attempt(opts, signal), {
      attempts,
      retryable: (e) => isWorkerError(e) && e.retryable && !signal.aborted,
      delayMs: (n) => backoffDelay(n, { baseMs: 500, maxMs: 4000 }),
      signal,
    });
  } catch (e) {
    if (opts.signal?.aborted) throw cancelledError(e);
    if (total.aborted)
      throw new WorkerError('DOWNLOAD_FAILED', `${field}: the download took longer than ${opts.totalTimeoutMs ?? 600_000} ms`, {
        cause: e,
      });
    throw e;
  }
}
