/**
 * @module Parses `MODELS` (`org/repo[@revision][:glob,glob]`, comma-separated) into repo specs,
 * and matches repo paths against their globs. Pure: no fs, no network.
 *
 * Globs follow huggingface_hub's `allow_patterns` (Python `fnmatch`): `*` also crosses `/`, so
 * `*.onnx` matches `onnx/model.onnx`; a pattern ending in `/` means everything below it.
 */
import { WorkerError } from '../errors.js';

export interface RepoSpec {
  /** `org/name` on the Hub (model repos only). */
  repo: string;
  /** Branch, tag or 40-hex commit; `main` when not given. */
  revision: string;
  /** Files to fetch; empty means the whole repo. */
  globs: readonly string[];
}

const REPO_RE = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;
const COMMIT_RE = /^[0-9a-f]{40}$/;
const GLOB_CHARS = /[*?[]/;

/** True for a full commit hash, which needs no resolution and no `refs/` entry. */
export function isCommitHash(revision: string): boolean {
  return COMMIT_RE.test(revision);
}

function parseOne(token: string, source: string): RepoSpec {
  const colon = token.indexOf(':');
  const head = colon === -1 ? token : token.slice(0, colon);
  const globs =
    colon === -1
      ? []
      : token
          .slice(colon + 1)
          .split(',')
          .map((g) => g.trim())
          .filter((g) => g !== '');
  const at = head.indexOf('@');
  const repo = (at === -1 ? head : head.slice(0, at)).trim();
  const revision = at === -1 ? 'main' : head.slice(at + 1).trim();
  if (!REPO_RE.test(repo) || repo.includes('--') || repo.includes('..')) {
    throw new WorkerError('INVALID_INPUT', `MODELS: "${token}" is not org/repo[@revision][:glob,glob]`, {
      details: { variable: 'MODELS', entry: source },
    });
  }
  if (revision === '' || /[\s:]/.test(revision) || revision.includes('..') || revision.startsWith('/')) {
    throw new WorkerError('INVALID_INPUT', `MODELS: bad revision in "${token}"`, { details: { variable: 'MODELS', entry: source } });
  }
  if (colon !== -1 && globs.length === 0) {
    throw new WorkerError('INVALID_INPUT', `MODELS: "${token}" has ":" but no glob after it`, {
      details: { variable: 'MODELS', entry: source },
    });
  }
  return { repo, revision, globs };
}

/**
 * Commas separate both repos and globs, so a comma token starts a new repo when it has `@` or
 * `:`, or is a plain `org/name` without wildcards; anything else continues the previous glob
 * list. Where that is ambiguous (a literal `dir/file` in a glob list), separate repos with `;`
 * or new lines: then commas only separate globs.
 */
export function parseModelsSpec(value: string | undefined): RepoSpec[] {
  if (value === undefined || value.trim() === '') return [];
  const entries: string[] = [];
  if (/[;\n]/.test(value)) {
    entries.push(
      ...value
        .split(/[;\n]/)
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    );
  } else {
    for (const raw of value.split(',')) {
      const token = raw.trim();
      if (token === '') continue;
      const last = entries.length - 1;
      const startsRepo = token.includes('@') || token.includes(':') || (REPO_RE.test(token) && !GLOB_CHARS.test(token));
      if (last >= 0 && entries[last]!.includes(':') && !startsRepo) entries[last] += `,${token}`;
      else entries.push(token);
    }
  }
  const specs = entries.map((e) => parseOne(e.replace(/\s+/g, ''), e));
  const seen = new Map<string, RepoSpec>();
  for (const s of specs) {
    const prev = seen.get(s.repo);
    if (prev && prev.revision !== s.revision) {
      throw new WorkerError('INVALID_INPUT', `MODELS: ${s.repo} is listed with two revisions (${prev.revision}, ${s.revision})`, {
        details: { variable: 'MODELS' },
      });
    }
    // The same repo twice: the union of its globs (no globs anywhere = whole repo).
    if (prev)
      seen.set(s.repo, {
        ...prev,
        globs: prev.globs.length === 0 || s.globs.length === 0 ? [] : [...new Set([...prev.globs, ...s.globs])],
      });
    else seen.set(s.repo, s);
  }
  return [...seen.values()];
}

function fnmatchToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) re += '\\[';
      else {
        let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += `[${cls}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** A predicate for repo paths; no globs = every file. */
export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => true;
  const res = globs.map((g) => fnmatchToRegExp(g.endsWith('/') ? `${g}*` : g));
  return (path) => res.some((r) => r.test(path));
}

/** `org/repo@revision` for logs and errors. */
export function specLabel(spec: Pick<RepoSpec, 'repo' | 'revision'>): string {
  return `${spec.repo}@${spec.revision}`;
}
