/**
 * A fake Hugging Face Hub on 127.0.0.1:0 serving the routes @huggingface/hub calls
 * (../shared/docs/toolchain.md §4), with faults to inject: a socket destroyed mid-file (or mid-part),
 * wrong bytes, a slow link, a CDN redirect, a server that ignores Range. Every request is recorded so
 * tests can count them.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRepo {
  repo: string;
  commit: string;
  /** Branches/tags → commit; default `{ main: commit }`. */
  refs?: Record<string, string>;
  files: Record<string, Uint8Array>;
}

export interface FakeHubOptions {
  repos: FakeRepo[];
  /** Files at least this big are LFS entries (sha256 oid); smaller ones get a git oid. @default 1024 */
  lfsFrom?: number;
  /** Require `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
  /** Tree page size; pages are linked with `Link: <…>; rel="next"`. */
  pageSize?: number;
  /** Bytes per second per transfer (sleeps between 64 KiB chunks). */
  throttle?: number;
  /** Answer GETs of LFS files with a 302 to `/cdn/<repo>/<commit>/<path>`, as the Hub sends them to its CDN. */
  redirect?: boolean;
  /** Honour `Range` (206); false answers every GET with the whole file (200). @default true */
  ranges?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  range: string | undefined;
  authorization: string | undefined;
  status: number;
}

export interface Fault {
  /** Destroy the socket after this many body bytes. */
  cutAfter?: number;
  /** Serve bytes with one flipped bit (same length). */
  corrupt?: boolean;
  /** How many GETs of the file this applies to; then it behaves. */
  times: number;
  /** Only GETs whose range starts at this byte (one part of a parallel download). */
  startsAt?: number;
}

export interface FakeHub {
  url: string;
  requests: RecordedRequest[];
  /** GETs of a file's bytes (`/resolve/`), optionally for one path. */
  fileGets(path?: string): RecordedRequest[];
  fault(repo: string, path: string, fault: Fault): void;
  setThrottle(bytesPerSecond: number | undefined): void;
  close(): Promise<void>;
}

export function gitOid(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Deterministic pseudo-random bytes (fast xorshift; the content only has to be unique). */
export function generatedBytes(size: number, seed = 1): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf.writeUInt32LE(x, i);
  }
  for (; i < size; i++) buf[i] = (x >>> ((i % 4) * 8)) & 0xff;
  return buf;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startFakeHub(options: FakeHubOptions): Promise<FakeHub> {
  const lfsFrom = options.lfsFrom ?? 1024;
  let throttle = options.throttle;
  const requests: RecordedRequest[] = [];
  const faults = new Map<string, Fault>();
  const meta = new Map<string, { path: string; size: number; oid: string; lfs?: { oid: string; size: number; pointerSize: number } }[]>();
  for (const r of options.repos) {
    meta.set(
      r.repo,
      Object.entries(r.files).map(([path, bytes]) =>
        bytes.length >= lfsFrom
          ? {
              path,
              size: bytes.length,
              oid: gitOid(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(bytes)}\n`)),
              lfs: { oid: sha256(bytes), size: bytes.length, pointerSize: 134 },
            }
          : { path, size: bytes.length, oid: gitOid(bytes) },
      ),
    );
  }
  const findRepo = (repo: string): FakeRepo | undefined => options.repos.find((r) => r.repo === repo);
  const commitOf = (r: FakeRepo, rev: string): string | undefined => (rev === r.commit ? r.commit : (r.refs ?? { main: r.commit })[rev]);

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  async function sendFile({
    req,
    res,
    repo,
    path,
    bytes,
  }: {
    req: IncomingMessage;
    res: ServerResponse;
    repo: FakeRepo;
    path: string;
    bytes: Uint8Array;
  }): Promise<number> {
    const m = meta.get(repo.repo)!.find((f) => f.path === path)!;
    const etag = `"${m.lfs?.oid ?? m.oid}"`;
    const headers: Record<string, string> = {
      etag,
      'accept-ranges': 'bytes',
      'x-repo-commit': repo.commit,
      'content-type': 'application/octet-stream',
    };
    if (m.lfs) headers['x-linked-etag'] = etag;
    let start = 0;
    let end = bytes.length - 1;
    let status = 200;
    const range = options.ranges === false ? undefined : req.headers.range;
    if (range) {
      const mm = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (!mm || Number(mm[1]) >= bytes.length) {
        res.writeHead(416, { 'content-range': `bytes */${bytes.length}` });
        res.end();
        return 416;
      }
      start = Number(mm[1]);
      end = mm[2] ? Math.min(Number(mm[2]), bytes.length - 1) : bytes.length - 1;
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${bytes.length}`;
    }
    headers['content-length'] = String(end - start + 1);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return status;
    }
    // A probe (bytes=0-0) is not a transfer: faults apply to real reads only.
    const key = `${repo.repo}/${path}`;
    const candidate = end > start ? faults.get(key) : undefined;
    const fault = candidate?.startsAt === undefined || candidate.startsAt === start ? candidate : undefined;
    if (fault) {
      fault.times--;
      if (fault.times <= 0) faults.delete(key);
    }
    let body = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start + 1);
    if (fault?.corrupt) {
      body = Buffer.from(body);
      body[body.length >> 1]! ^= 0x01;
    }
    const chunk = 64 * 1024;
    for (let off = 0; off < body.length; off += chunk) {
      let piece = body.subarray(off, off + chunk);
      if (fault?.cutAfter !== undefined && off + piece.length > fault.cutAfter) {
        piece = piece.subarray(0, Math.max(0, fault.cutAfter - off));
        if (piece.length > 0) await new Promise<void>((r) => res.write(piece, () => r()));
        res.socket?.destroy();
        return status;
      }
      if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
      if (throttle) await sleep((piece.length / throttle) * 1000);
      if (res.destroyed) return status;
    }
    res.end();
    return status;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const u = new URL(req.url ?? '/', 'http://x');
    const parts = u.pathname.split('/').slice(1).map(decodeURIComponent);
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      json(res, 401, { error: 'Invalid credentials in Authorization header' });
      return 401;
    }
    if (parts[0] === 'api' && parts[1] === 'models') {
      const repo = findRepo(`${parts[2]}/${parts[3]}`);
      if (!repo) {
        json(res, 404, { error: 'Repository not found' }, { 'x-error-code': 'RepoNotFound' });
        return 404;
      }
      const commit = commitOf(repo, parts[5] ?? '');
      if (!commit) {
        json(res, 404, { error: 'Invalid rev id' }, { 'x-error-code': 'RevisionNotFound' });
        return 404;
      }
      const files = meta.get(repo.repo)!;
      if (parts[4] === 'revision') {
        json(res, 200, { _id: `id-${repo.repo}`, id: repo.repo, sha: commit, siblings: files.map((f) => ({ rfilename: f.path })) });
        return 200;
      }
      if (parts[4] === 'tree') {
        const prefix = parts.slice(6).join('/');
        const all = files.filter((f) => prefix === '' || f.path.startsWith(`${prefix}/`)).map((f) => ({ type: 'file', ...f }));
        const size = options.pageSize ?? all.length;
        const cursor = Number(u.searchParams.get('cursor') ?? 0);
        const page = all.slice(cursor, cursor + size);
        const headers: Record<string, string> = {};
        if (cursor + size < all.length) {
          const next = new URL(u.href);
          next.searchParams.set('cursor', String(cursor + size));
          headers.link = `<http://${req.headers.host}${next.pathname}${next.search}>; rel="next"`;
        }
        json(res, 200, page, headers);
        return 200;
      }
      if (parts[4] === 'paths-info' && req.method === 'POST') {
        let text = '';
        for await (const c of req) text += String(c);
        const wanted = (JSON.parse(text) as { paths: string[] }).paths;
        json(
          res,
          200,
          files
            .filter((f) => wanted.includes(f.path))
            .map((f) => ({ type: 'file', ...f, lastCommit: { id: commit, title: 't', date: new Date(0).toISOString() } })),
        );
        return 200;
      }
    }
    const cdn = parts[0] === 'cdn' ? 1 : 0;
    if (parts[2] === 'resolve' || cdn) {
      const repo = findRepo(`${parts[cdn]}/${parts[cdn + 1]}`);
      const commit = repo && commitOf(repo, parts[3] ?? '');
      const path = parts.slice(4).join('/');
      const bytes = repo && commit ? repo.files[path] : undefined;
      if (!repo || !bytes) {
        json(res, 404, { error: 'Entry not found' }, { 'x-error-code': 'EntryNotFound' });
        return 404;
      }
      if (options.redirect && !cdn && bytes.length >= lfsFrom) {
        res.writeHead(302, { location: `/cdn/${repo.repo}/${commit}/${path}` });
        res.end();
        return 302;
      }
      return sendFile({ req, res, repo, path, bytes });
    }
    json(res, 404, { error: `no route ${req.method} ${u.pathname}` });
    return 404;
  }

  const server = createServer((req, res) => {
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname),
      range: req.headers.range,
      authorization: req.headers.authorization,
      status: 0,
    };
    requests.push(rec);
    route(req, res).then(
      (s) => (rec.status = s),
      (e: unknown) => {
        rec.status = 500;
        if (!res.headersSent) json(res, 500, { error: String(e) });
        else res.destroy();
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fileGets: (path) =>
      requests.filter((r) => r.method === 'GET' && r.path.includes('/resolve/') && (path === undefined || r.path.endsWith(`/${path}`))),
    fault: (repo, path, fault) => faults.set(`${repo}/${path}`, { ...fault }),
    setThrottle: (b) => (throttle = b),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
