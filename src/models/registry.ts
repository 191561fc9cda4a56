/**
 * @module What models this worker has on the volume. Engines declare the repos they need in the
 * task registry (src/tasks/registry.ts); a job for an engine whose repos were not in `MODELS` (or
 * not ready) fails with MODEL_NOT_AVAILABLE instead of an opaque file error deep in a pipeline.
 */
import { WorkerError } from '../errors.js';
import type { EnsuredRepo, LocalFile } from './warm.js';

export class ModelRegistry {
  private readonly byRepo: ReadonlyMap<string, EnsuredRepo>;

  constructor(repos: readonly EnsuredRepo[]) {
    this.byRepo = new Map(repos.map((r) => [r.repo, r]));
  }

  /** Ready repos, for /health and result metadata. */
  list(): { repo: string; revision: string; commit: string; files: number; bytes: number }[] {
    return [...this.byRepo.values()].map((r) => ({
      repo: r.repo,
      revision: r.revision,
      commit: r.commit,
      files: r.files.length,
      bytes: r.files.reduce((n, f) => n + f.size, 0),
    }));
  }

  has(repo: string): boolean {
    return this.byRepo.has(repo);
  }

  repo(repo: string): EnsuredRepo {
    const r = this.byRepo.get(repo);
    if (!r) {
      throw new WorkerError(
        'MODEL_NOT_AVAILABLE',
        `model ${repo} is not configured on this worker; add it to MODELS (and run --download-models or restart the worker)`,
        {
          details: { repo, available: [...this.byRepo.keys()] },
        },
      );
    }
    return r;
  }

  /** A file of a ready repo; MODEL_NOT_AVAILABLE when MODELS' globs left it out. */
  file(repo: string, path: string): LocalFile {
    const r = this.repo(repo);
    const f = r.files.find((x) => x.path === path);
    if (!f) {
      throw new WorkerError('MODEL_NOT_AVAILABLE', `${repo}: ${path} was not downloaded; widen the globs for ${repo} in MODELS`, {
        details: { repo, path, commit: r.commit },
      });
    }
    return f;
  }

  /** Every repo an engine needs, or MODEL_NOT_AVAILABLE naming the missing ones. */
  forEngine(engine: string, needs: Readonly<Record<string, readonly string[]>>): EnsuredRepo[] {
    const wanted = needs[engine];
    if (!wanted) throw new WorkerError('ENGINE_NOT_AVAILABLE', `engine "${engine}" is not known`, { details: { engine } });
    const missing = wanted.filter((r) => !this.byRepo.has(r));
    if (missing.length > 0) {
      throw new WorkerError(
        'MODEL_NOT_AVAILABLE',
        `engine "${engine}" needs ${missing.join(', ')}, which this worker does not have; add to MODELS: ${missing.join(',')}`,
        {
          details: { engine, missing },
        },
      );
    }
    return wanted.map((r) => this.byRepo.get(r)!);
  }
}
