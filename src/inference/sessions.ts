/**
 * @module The worker's ONNX sessions, one cache for every task: a task asks for a *bundle* of
 * named sessions under a key (`foley:vision` = detector + pose model), the cache opens them in
 * parallel through the worker's runtime (each on a session thread unless it says otherwise, with
 * the provider warm-up settled on), keeps the bundle, and releases it as a whole. Concurrent
 * callers share one load, and a failed load is evicted so the next caller tries again instead of
 * getting the same rejection forever (transformers.js `memoize_promise`, `constructSessions`).
 * Built at warm-up (or as a CPU stand-in when it could not run, worker-inference.ts) and handed to
 * every task in its dependencies.
 */
import type { ModelRegistry } from '../models/registry.js';
import { WorkerError } from '../errors.js';
import type { OrtRuntime, Session, SessionOptions } from './ort.js';

export class Memo<T> {
  private readonly entries = new Map<string, Promise<T>>();

  /** The value for `key`, loading it once; a rejected load is forgotten. */
  get(key: string, load: () => Promise<T>): Promise<T> {
    let p = this.entries.get(key);
    if (!p) {
      p = load();
      this.entries.set(key, p);
      p.catch(() => {
        if (this.entries.get(key) === p) this.entries.delete(key);
      });
    }
    return p;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Forget `key` and hand back its value (if it loaded) for disposal. */
  async evict(key: string): Promise<T | undefined> {
    const p = this.entries.get(key);
    this.entries.delete(key);
    return p?.catch(() => undefined);
  }
}

/** A model: the .onnx file (its external data beside it) or its bytes. */
export type ModelSource = string | Uint8Array;

/** One session of a bundle. */
export interface SessionSpec {
  /** The model, or how to get it (a conversion into the cache); called once per load. */
  model: ModelSource | (() => Promise<ModelSource>);
  /** Session options; the session is on its own thread unless `thread: false`. */
  options?: SessionOptions;
  /**
   * The session would not open from `model`: another source to try once (a damaged cached
   * conversion: convert again), or `undefined` to fail.
   */
  reopen?(error: unknown): Promise<ModelSource | undefined>;
}

export interface BundleSpec<N extends string, T> {
  sessions: Readonly<Record<N, SessionSpec>>;
  /**
   * Runs once the sessions are open (measure a model, wrap the sessions); what it returns is the
   * bundle's `info`, kept with it. When it throws, the sessions are released and the load fails.
   */
  ready?(sessions: Readonly<Record<N, Session>>): Promise<T> | T;
  /** The error for one session that failed to open (e.g. naming the model); default the error itself. */
  loadError?(name: N, error: unknown): unknown;
}

export interface SessionBundle<N extends string = string, T = unknown> {
  readonly key: string;
  readonly sessions: Readonly<Record<N, Session>>;
  readonly info: T;
  /** Milliseconds the load took (sessions opened in parallel, then `ready`). */
  readonly loadMs: number;
}

export interface SessionCache {
  /** The bundle under `key`, opened once (its sessions in parallel) and kept until released. */
  bundle<N extends string, T = undefined>(key: string, spec: BundleSpec<N, T>): Promise<SessionBundle<N, T>>;
  /**
   * The session of a file of a ready repo, a bundle of one under `repo@commit/path` (a new commit
   * is a new key). Throws MODEL_NOT_AVAILABLE at once when the file is not on the volume.
   */
  get(repo: string, path: string, options?: SessionOptions): Promise<Session>;
  /** Whether `key` is loaded or loading. */
  has(key: string): boolean;
  /** The keys loaded or loading. */
  loaded(): string[];
  /** Forget the bundle under `key` and release its sessions. */
  release(key: string): Promise<void>;
  releaseAll(): Promise<void>;
}

export interface SessionCacheDeps {
  /** Opens every session: the worker's, with the provider it settled on. */
  runtime: OrtRuntime;
  /** The models on the volume, for `get`; absent when there are none. */
  registry?: ModelRegistry | undefined;
}

export function createSessionCache(deps: SessionCacheDeps): SessionCache {
  const memo = new Memo<SessionBundle<string, unknown>>();

  async function open(spec: SessionSpec): Promise<Session> {
    const options: SessionOptions = { thread: true, ...spec.options };
    const model = typeof spec.model === 'function' ? await spec.model() : spec.model;
    try {
      return await deps.runtime.createSession(model, options);
    } catch (e) {
      const again = await spec.reopen?.(e);
      if (again === undefined) throw e;
      return deps.runtime.createSession(again, options);
    }
  }

  async function load<N extends string, T>(key: string, spec: BundleSpec<N, T>): Promise<SessionBundle<N, T>> {
    const t0 = performance.now();
    const names = Object.keys(spec.sessions) as N[];
    const settled = await Promise.allSettled(names.map((n) => open(spec.sessions[n])));
    const sessions = {} as Record<N, Session>;
    const opened: Session[] = [];
    let failure: { error: unknown } | undefined;
    settled.forEach((r, i) => {
      const name = names[i]!;
      if (r.status === 'fulfilled') {
        sessions[name] = r.value;
        opened.push(r.value);
      } else {
        failure ??= { error: spec.loadError ? spec.loadError(name, r.reason) : r.reason };
      }
    });
    const releaseOpened = (): Promise<unknown> => Promise.allSettled(opened.map((s) => s.release()));
    if (failure) {
      await releaseOpened();
      throw failure.error;
    }
    let info: T;
    try {
      info = spec.ready ? await spec.ready(sessions) : (undefined as T);
    } catch (e) {
      await releaseOpened();
      throw e;
    }
    return { key, sessions, info, loadMs: performance.now() - t0 };
  }

  const cache: SessionCache = {
    bundle<N extends string, T>(key: string, spec: BundleSpec<N, T>) {
      return memo.get(key, () => load(key, spec)) as Promise<SessionBundle<N, T>>;
    },
    get(repo, path, options) {
      if (!deps.registry)
        throw new WorkerError(
          'MODEL_NOT_AVAILABLE',
          `${repo} is not on this worker: no models are (MODELS is empty, or they failed to load at start-up)`,
          { details: { repo } },
        );
      const file = deps.registry.file(repo, path);
      const key = `${repo}@${deps.registry.repo(repo).commit}/${path}`;
      return cache
        .bundle(key, { sessions: { model: { model: file.local, ...(options ? { options } : {}) } } })
        .then((b) => b.sessions.model);
    },
    has: (key) => memo.has(key),
    loaded: () => memo.keys(),
    async release(key) {
      const b = await memo.evict(key);
      if (b) await Promise.allSettled(Object.values<Session>(b.sessions).map((s) => s.release()));
    },
    async releaseAll() {
      await Promise.all(memo.keys().map((k) => cache.release(k)));
    },
  };
  return cache;
}
