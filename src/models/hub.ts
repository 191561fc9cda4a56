/**
 * @module The Hub calls we make, through @huggingface/hub with `hubUrl`, `fetch` and the token
 * passed in (it reads no env): resolve a revision to a commit, list a commit's files, and open a
 * file's bytes from an offset (ranged GET) for resumable downloads, or one byte range of it for
 * parallel ones. The only importer of @huggingface/hub.
 */
import { downloadFile, HubApiError, listFiles, modelInfo } from '@huggingface/hub';
import { WorkerError } from '../errors.js';

export interface HubAccess {
  /** Base URL (`HF_ENDPOINT`), no trailing slash. */
  hubUrl: string;
  /** Secret; sent as `Authorization: Bearer`, never logged. */
  accessToken: string | undefined;
  fetch: typeof fetch;
}

/** A file of a pinned commit, with what we need to name its blob and verify its bytes. */
export interface RemoteFile {
  path: string;
  size: number;
  /** Name in `blobs/`: the LFS sha256, else the git blob oid (what Python names it). */
  blob: string;
  /** For LFS files: sha256 of the content (hex). */
  sha256?: string;
  /** For small (non-LFS) files: git's sha1 of `blob <size>\0<content>` (hex). */
  gitOid?: string;
}

function credentials(hub: HubAccess): { accessToken?: string } {
  return hub.accessToken === undefined ? {} : { accessToken: hub.accessToken };
}

/** 401/403/404 will not get better by retrying; everything else (5xx, sockets) may. */
export function isPermanentHubError(e: unknown): boolean {
  return e instanceof HubApiError && [400, 401, 403, 404, 410].includes(e.statusCode);
}

function hubError(what: string, repo: string, e: unknown): WorkerError {
  if (e instanceof WorkerError) return e;
  const status = e instanceof HubApiError ? e.statusCode : undefined;
  if (status === 401 || status === 403 || status === 404) {
    return new WorkerError(
      'MODEL_NOT_AVAILABLE',
      `${what} ${repo}: the Hub answered ${status} (wrong repo or revision, or a gated/private repo without a valid HF_TOKEN)`,
      {
        cause: e,
        details: { repo, status },
      },
    );
  }
  return new WorkerError('MODEL_DOWNLOAD_FAILED', `${what} ${repo} failed: ${(e as Error)?.message ?? String(e)}`, {
    cause: e,
    details: { repo, ...(status === undefined ? {} : { status }) },
    retryable: true,
  });
}

/** Adds the signal to every request the library makes (it takes none itself). */
function withSignal(hub: HubAccess, signal: AbortSignal | undefined): typeof fetch {
  if (!signal) return hub.fetch;
  return (input, init) => hub.fetch(input, { ...init, signal });
}

/** Branch/tag → commit (`GET /api/models/{repo}/revision/{rev}`). */
export async function resolveCommit(hub: HubAccess, repo: string, revision: string, signal?: AbortSignal): Promise<string> {
  try {
    const info = await modelInfo({
      name: repo,
      revision,
      hubUrl: hub.hubUrl,
      fetch: withSignal(hub, signal),
      additionalFields: ['sha'],
      ...credentials(hub),
    });
    const sha = (info as { sha?: unknown }).sha;
    if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha))
      throw new Error(`no commit sha in the revision info (got ${JSON.stringify(sha)})`);
    return sha;
  } catch (e) {
    throw hubError(`resolving ${revision} of`, repo, e);
  }
}

/** Every file of a commit (`GET /api/models/{repo}/tree/{commit}?recursive=true`, paginated). */
export async function listCommitFiles(hub: HubAccess, repo: string, commit: string, signal?: AbortSignal): Promise<RemoteFile[]> {
  const files: RemoteFile[] = [];
  try {
    for await (const e of listFiles({
      repo: { type: 'model', name: repo },
      revision: commit,
      recursive: true,
      hubUrl: hub.hubUrl,
      fetch: withSignal(hub, signal),
      ...credentials(hub),
    })) {
      if (e.type !== 'file') continue;
      if (e.lfs) files.push({ path: e.path, size: e.lfs.size, blob: e.lfs.oid, sha256: e.lfs.oid });
      else if (e.oid) files.push({ path: e.path, size: e.size, blob: e.oid, gitOid: e.oid });
      else if (e.xetHash) files.push({ path: e.path, size: e.size, blob: e.xetHash });
      else throw new Error(`tree entry ${e.path} has no oid`);
    }
  } catch (e) {
    throw hubError(`listing files of`, repo, e);
  }
  return files;
}

export function resolveUrl(hub: HubAccess, repo: string, commit: string, path: string): string {
  return `${hub.hubUrl}/${repo}/resolve/${commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** Bytes `start` to `end` of a file, both inclusive; no `end` means to the last byte. */
export interface ByteRange {
  start: number;
  end?: number;
}

/** What a ranged request names: the repo, the pinned commit and the file. */
export interface FileAt {
  repo: string;
  commit: string;
  file: RemoteFile;
}

function authHeaders(hub: HubAccess, range?: string): Record<string, string> {
  return {
    ...(range === undefined ? {} : { range }),
    ...(hub.accessToken === undefined ? {} : { authorization: `Bearer ${hub.accessToken}` }),
  };
}

/**
 * Whether the server serves byte ranges of the file: asks for its first byte and returns the total
 * a 206 names in `Content-Range`, or undefined when it answers anything else (a 200 means it ignores
 * Range). Like every GET here it follows the Hub's redirect of LFS files to the CDN, where the
 * ranges are really served (fetch drops the Authorization header on a cross-origin redirect).
 */
export async function probeRanges(hub: HubAccess, at: FileAt, signal: AbortSignal): Promise<number | undefined> {
  const res = await hub.fetch(resolveUrl(hub, at.repo, at.commit, at.file.path), { headers: authHeaders(hub, 'bytes=0-0'), signal });
  await res.body?.cancel().catch(() => undefined);
  if (res.status !== 206) return undefined;
  const total = Number(res.headers.get('content-range')?.split('/').pop());
  return Number.isSafeInteger(total) ? total : undefined;
}

/**
 * One part of a parallel download: `Range: bytes=start-end` straight through the injected fetch (no
 * library blob and its extra stream stage: parts run at loopback speed in the bench). Anything but
 * a 206 that starts at `start` is refused, so a server that stopped honouring ranges can never write
 * the whole file into one part's place. 401/403/404/410 are permanent (MODEL_NOT_AVAILABLE).
 */
async function openRange(hub: HubAccess, at: FileAt, range: Required<ByteRange>, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  const res = await hub.fetch(resolveUrl(hub, at.repo, at.commit, at.file.path), {
    headers: authHeaders(hub, `bytes=${range.start}-${range.end}`),
    signal,
  });
  const started = Number(/^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1]);
  if (res.status === 206 && started === range.start && res.body) return res.body;
  await res.body?.cancel().catch(() => undefined);
  if ([401, 403, 404, 410].includes(res.status)) {
    throw new WorkerError('MODEL_NOT_AVAILABLE', `${at.repo}: ${at.file.path} answered ${res.status} to a ranged GET`, {
      details: { repo: at.repo, path: at.file.path, status: res.status },
    });
  }
  throw new Error(`the server answered ${res.status} to Range: bytes=${range.start}-${range.end}`);
}

/**
 * The file's bytes from `range.start` to `range.end` (default: the end). A bounded range is one
 * part of a parallel download (see openRange). An open one is the single stream: @huggingface/hub's
 * `downloadFile` with the download info we already have (no probe request) gives a lazy blob;
 * slicing it issues `Range: bytes=offset-…`. A server that ignores the Range (200 instead of 206)
 * would make us append the whole file to a partial one, so that answer is refused here.
 */
export async function openFileStream(
  hub: HubAccess,
  at: FileAt,
  range: ByteRange,
  signal: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  if (range.end !== undefined) return openRange(hub, at, { start: range.start, end: range.end }, signal);
  const offset = range.start;
  const { repo, commit, file } = at;
  const url = resolveUrl(hub, repo, commit, file.path);
  const checked: typeof fetch = async (input, init) => {
    const res = await hub.fetch(input, { ...init, signal });
    if (offset > 0 && res.status === 200) {
      await res.body?.cancel();
      throw new Error(`the server ignored Range: bytes=${offset}- (status 200)`);
    }
    return res;
  };
  const blob = await downloadFile({
    repo: { type: 'model', name: repo },
    path: file.path,
    revision: commit,
    hubUrl: hub.hubUrl,
    fetch: checked,
    xet: false,
    downloadInfo: { size: file.size, etag: file.blob, url },
    ...credentials(hub),
  });
  if (!blob)
    throw new WorkerError('MODEL_NOT_AVAILABLE', `${repo}: ${file.path} is not in commit ${commit}`, {
      details: { repo, path: file.path },
    });
  return (offset > 0 ? blob.slice(offset) : blob).stream() as ReadableStream<Uint8Array>;
}
