/**
 * @module Finds the ffmpeg and ffprobe executables, in one documented order (docs/operations.md, "Where ffmpeg comes from"):
 *   1. `FFMPEG_PATH` / `FFPROBE_PATH` when set (must exist);
 *   2. `ffmpeg-static` when its binary exists (an optional dependency: its install script downloads
 *      from GitHub, so on a machine with only the npm registry it is absent — that is expected);
 *   3. a binary shipped inside an npm package (`@ffmpeg-installer/ffmpeg`, `@ffprobe-installer/ffprobe`);
 *   4. `ffmpeg` / `ffprobe` on `PATH`.
 * A failure lists every place that was tried.
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { WorkerError } from '../errors.js';

export interface MediaBinaries {
  ffmpeg: string;
  ffprobe: string;
  /** Where each came from, for logs and `/health`. */
  sources: { ffmpeg: string; ffprobe: string };
}

export interface ResolveBinariesOptions {
  ffmpegPath?: string | undefined;
  ffprobePath?: string | undefined;
  /** The PATH to search last (a parameter so tests can hide the system's ffmpeg). */
  searchPath?: string | undefined;
}

const require = createRequire(import.meta.url);

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `require(name)` for packages whose export is (or has) the binary's path; undefined when absent. */
function packagePath(name: string): string | undefined {
  try {
    const exported: unknown = require(name);
    if (typeof exported === 'string') return exported;
    if (typeof exported === 'object' && exported !== null && 'path' in exported) {
      const p = (exported as { path: unknown }).path;
      return typeof p === 'string' ? p : undefined;
    }
  } catch {
    // Not installed (optional dependency skipped, or platform package missing).
  }
  return undefined;
}

interface Candidate {
  source: string;
  path: string | undefined;
}

function pick(tool: 'ffmpeg' | 'ffprobe', explicit: string | undefined, candidates: Candidate[], searchPath: string): [string, string] {
  const tried: string[] = [];
  if (explicit !== undefined) {
    if (isExecutable(explicit)) return [explicit, `${tool.toUpperCase()}_PATH`];
    // An explicit setting that does not work is a configuration error, not a hint: stop here.
    throw new WorkerError('FFMPEG_NOT_FOUND', `${tool.toUpperCase()}_PATH=${explicit} is not an executable file`, {
      details: { tool, tried: [`${tool.toUpperCase()}_PATH=${explicit}`] },
    });
  }
  for (const c of candidates) {
    if (c.path !== undefined && isExecutable(c.path)) return [c.path, c.source];
    tried.push(`${c.source}${c.path === undefined ? ' (not installed)' : ` (${c.path}: not executable)`}`);
  }
  for (const dir of searchPath.split(delimiter).filter(Boolean)) {
    const file = join(dir, tool);
    if (isExecutable(file)) return [file, 'PATH'];
  }
  tried.push(`PATH (${searchPath || 'empty'})`);
  throw new WorkerError('FFMPEG_NOT_FOUND', `no ${tool} found; tried: ${tried.join('; ')}`, { details: { tool, tried } });
}

export function resolveMediaBinaries(opts: ResolveBinariesOptions = {}): MediaBinaries {
  const searchPath = opts.searchPath ?? '';
  const [ffmpeg, ffmpegSource] = pick(
    'ffmpeg',
    opts.ffmpegPath,
    [
      { source: 'ffmpeg-static', path: packagePath('ffmpeg-static') },
      { source: '@ffmpeg-installer/ffmpeg', path: packagePath('@ffmpeg-installer/ffmpeg') },
    ],
    searchPath,
  );
  const [ffprobe, ffprobeSource] = pick(
    'ffprobe',
    opts.ffprobePath,
    [{ source: '@ffprobe-installer/ffprobe', path: packagePath('@ffprobe-installer/ffprobe') }],
    searchPath,
  );
  return { ffmpeg, ffprobe, sources: { ffmpeg: ffmpegSource, ffprobe: ffprobeSource } };
}
