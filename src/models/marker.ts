/**
 * @module The `complete` marker of a pinned commit: written last, after every wanted file is
 * verified and linked, so its presence means "these files are whole". It also keeps the commit's
 * file listing, so a warm start needs no request and a later, wider glob list no new listing.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { RemoteFile } from './hub.js';
import { writeFileAtomic } from '../util/write-atomic.js';
import { markerPath, type RepoPaths } from './paths.js';

const RemoteFileSchema = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  blob: z.string(),
  sha256: z.string().optional(),
  gitOid: z.string().optional(),
});

const MarkerSchema = z.object({
  version: z.literal(1),
  repo: z.string(),
  commit: z.string(),
  /** Every file of the commit, as listed by the Hub. */
  tree: z.array(RemoteFileSchema),
  /** Paths (of `tree`) present and verified in the snapshot. */
  files: z.array(z.string()),
  completedAt: z.string(),
});
export type Marker = z.infer<typeof MarkerSchema>;

export function toMarkerFile(f: RemoteFile): RemoteFile {
  return { path: f.path, size: f.size, blob: f.blob, ...(f.sha256 ? { sha256: f.sha256 } : {}), ...(f.gitOid ? { gitOid: f.gitOid } : {}) };
}

/** The marker, or undefined when it is missing or unreadable (treated as "not complete"). */
export async function readMarker(p: RepoPaths, commit: string): Promise<Marker | undefined> {
  let text: string;
  try {
    text = await readFile(markerPath(p, commit), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = MarkerSchema.safeParse(JSON.parse(text));
    return r.success && r.data.commit === commit ? (r.data as Marker) : undefined;
  } catch {
    return undefined;
  }
}

export async function writeMarker(p: RepoPaths, marker: Marker): Promise<void> {
  await writeFileAtomic(markerPath(p, marker.commit), `${JSON.stringify(marker, null, 1)}\n`, p.tmp);
}
