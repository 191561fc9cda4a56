/**
 * @module The ONNX file a task runs from a repo in MODELS (upscale's Real-ESRGAN, interpolate's
 * RIFE): the one whose name says what it is, else the repo's first; `auto`'s pick among the
 * volume's repos; and the errors a job's `model` field gets when the repo or its file is not there.
 */
import { WorkerError, isWorkerError } from '../errors.js';
import type { EnsuredRepo, LocalFile } from '../models/ensure.js';
import type { TaskDeps } from '../job/task.js';

/** A repo's ONNX file named by `kind` (e.g. /rife/i), else its first ONNX file. */
export function onnxFileOf(repo: EnsuredRepo, kind: RegExp): LocalFile | undefined {
  const onnx = repo.files.filter((f) => f.path.endsWith('.onnx'));
  return onnx.find((f) => kind.test(f.path)) ?? onnx[0];
}

/** The repo `model` names and its ONNX file, or MODEL_NOT_AVAILABLE (or the registry's error) naming `model`. */
export function hubOnnxFile(models: TaskDeps['models'], repo: string, kind: RegExp): { repo: EnsuredRepo; file: LocalFile; name: string } {
  if (!models) {
    throw new WorkerError(
      'MODEL_NOT_AVAILABLE',
      `model: ${repo} is not on this worker (its models failed to load at start-up, or MODELS is empty)`,
      { details: { field: 'model', repo } },
    );
  }
  let r: EnsuredRepo;
  try {
    r = models.registry.repo(repo);
  } catch (e) {
    if (!isWorkerError(e)) throw e;
    throw new WorkerError(e.code, `model: ${e.message}`, {
      cause: e,
      details: { field: 'model', repo, available: models.registry.list().map((x) => x.repo) },
    });
  }
  const file = onnxFileOf(r, kind);
  if (!file)
    throw new WorkerError('MODEL_NOT_AVAILABLE', `model: ${repo} has no .onnx file on this worker; widen its globs in MODELS`, {
      details: { field: 'model', repo },
    });
  return { repo: r, file, name: `${repo}/${file.path}` };
}

/** For `auto`: the first repo in MODELS with an ONNX file whose repo or file name says `kind`. */
export function configuredOnnxRepo(models: TaskDeps['models'], kind: RegExp): string | undefined {
  const registry = models?.registry;
  return registry
    ?.list()
    .map((r) => registry.repo(r.repo))
    .find((r) => {
      const file = onnxFileOf(r, kind);
      return file !== undefined && (kind.test(r.repo) || kind.test(file.path));
    })?.repo;
}
