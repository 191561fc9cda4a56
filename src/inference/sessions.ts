/**
 * @module ONNX sessions kept across jobs: memoised per `repo@commit/path` (a new commit is a new
 * key), concurrent callers share one load, and a failed load is evicted so the next caller tries
 * again instead of getting the same rejection forever (transformers.js `memoize_promise`).
 */
import type { ModelRegistry } from '../models/registry.js';
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

export interface SessionCache {
  /** The session of a file of a ready repo (`MODEL_NOT_AVAILABLE` when it is not configured). */
  get(repo: string, path: string, options?: SessionOptions): Promise<Session>;
  loaded(): string[];
  release(repo: string, path: string): Promise<void>;
  releaseAll(): Promise<void>;
}

export function createSessionCache(deps: { runtime: OrtRuntime; registry: ModelRegistry }): SessionCache {
  const memo = new Memo<Session>();
  const keyOf = (repo: string, path: string): string => `${repo}@${deps.registry.repo(repo).commit}/${path}`;
  return {
    get(repo, path, options) {
      const file = deps.registry.file(repo, path);
      return memo.get(keyOf(repo, path), () => deps.runtime.createSession(file.local, options));
    },
    loaded: () => memo.keys(),
    async release(repo, path) {
      await (await memo.evict(keyOf(repo, path)))?.release();
    },
    async releaseAll() {
      await Promise.all(memo.keys().map(async (k) => (await memo.evict(k))?.release()));
    },
  };
}
