/**
 * @module Payload pieces every task shares (the video source, `duration`, `delivery`). Each task's
 * schema is built from these, so a field means the same thing whichever task it is sent to. (A
 * zod failure becomes INVALID_INPUT in util/field-issues.ts.)
 */
import { z } from 'zod';

export const VIDEO_SOURCE_FIELDS = sourceFields('video');

/** `video_url` | `video_base64` | `video_path`: exactly one (checked by `requireOneVideoSource`). */
export const videoSource = {
  video_url: z.string().min(1).optional().describe('http(s) URL of the video (public addresses only)'),
  video_base64: z.string().min(1).optional().describe('the video itself, base64 or a data: URI'),
  video_path: z.string().min(1).max(4096).optional().describe('a file on the network volume, or a bundled sample'),
};

export type VideoSource = { video_url?: string | undefined; video_base64?: string | undefined; video_path?: string | undefined };

export function requireOneVideoSource(v: VideoSource, ctx: z.RefinementCtx): void {
  const given = VIDEO_SOURCE_FIELDS.filter((k) => v[k] !== undefined);
  if (given.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['video_path'], message: 'one of video_url, video_base64 or video_path is required' });
  } else if (given.length > 1) {
    const message = `give exactly one of video_url, video_base64, video_path (got ${given.join(', ')})`;
    for (const field of given) ctx.addIssue({ code: 'custom', path: [field], message });
  }
}

/** The field that named the source (for errors about the file it led to). */
export function sourceField(v: VideoSource): (typeof VIDEO_SOURCE_FIELDS)[number] {
  return VIDEO_SOURCE_FIELDS.find((k) => v[k] !== undefined) ?? 'video_path';
}

/** The three ways a source may be given, by prefix (`image` → `image_url` | `image_base64` | `image_path`). */
export type SourceKind = 'video' | 'image' | 'audio';

/** A source of any kind, by its three fields. */
export type NamedSource<K extends SourceKind> = Partial<Record<`${K}_url` | `${K}_base64` | `${K}_path`, string | undefined>>;

export function sourceFields<K extends SourceKind>(kind: K): [`${K}_url`, `${K}_base64`, `${K}_path`] {
  return [`${kind}_url`, `${kind}_base64`, `${kind}_path`];
}

/** `<kind>_url` | `<kind>_base64` | `<kind>_path`, described for the payload: exactly one (`requireOneSource`). */
export function namedSource<K extends 'image' | 'audio'>(
  kind: K,
  what: string,
): Record<`${K}_url` | `${K}_base64` | `${K}_path`, z.ZodOptional<z.ZodString>> {
  const [url, base64, path] = sourceFields(kind);
  return {
    [url]: z.string().min(1).optional().describe(`http(s) URL of the ${what} (public addresses only)`),
    [base64]: z.string().min(1).optional().describe(`the ${what} itself, base64 or a data: URI`),
    [path]: z.string().min(1).max(4096).optional().describe(`a file on the network volume, or a bundled sample`),
  } as Record<`${K}_url` | `${K}_base64` | `${K}_path`, z.ZodOptional<z.ZodString>>;
}

/** The refinement that exactly one of a kind's three source fields is given. */
export function requireOneSource(kind: SourceKind): (v: Record<string, unknown>, ctx: z.RefinementCtx) => void {
  const fields = sourceFields(kind);
  return (v, ctx) => {
    const given = fields.filter((k) => v[k] !== undefined);
    if (given.length === 0) {
      ctx.addIssue({ code: 'custom', path: [fields[2]], message: `one of ${fields[0]}, ${fields[1]} or ${fields[2]} is required` });
    } else if (given.length > 1) {
      const message = `give exactly one of ${fields.join(', ')} (got ${given.join(', ')})`;
      for (const field of given) ctx.addIssue({ code: 'custom', path: [field], message });
    }
  };
}

/** The refinement that exactly one source field is given over several kinds (a video or a still). */
export function requireOneSourceOf(kinds: readonly SourceKind[]): (v: Record<string, unknown>, ctx: z.RefinementCtx) => void {
  const fields = kinds.flatMap((k) => sourceFields(k));
  const either = (k: SourceKind): string => {
    const [url, base64, path] = sourceFields(k);
    return `${url}, ${base64} or ${path}`;
  };
  const [first, ...others] = kinds;
  const missing = `one of ${either(first!)}${others.map((k) => ` (or instead ${either(k)})`).join('')} is required`;
  return (v, ctx) => {
    const given = fields.filter((k) => v[k] !== undefined);
    if (given.length === 0) {
      ctx.addIssue({ code: 'custom', path: [fields[2]!], message: missing });
    } else if (given.length > 1) {
      const message = `give exactly one of ${fields.join(', ')} (got ${given.join(', ')})`;
      for (const field of given) ctx.addIssue({ code: 'custom', path: [field], message });
    }
  };
}

/** The field that named a source of `kind` (for errors about the file it led to). */
export function namedSourceField<K extends SourceKind>(kind: K, v: NamedSource<K>): `${K}_url` | `${K}_base64` | `${K}_path` {
  const fields = sourceFields(kind);
  return fields.find((k) => (v as Record<string, unknown>)[k] !== undefined) ?? fields[2];
}

export const durationField = z
  .number({ error: 'must be a number of seconds > 0' })
  .positive({ error: 'must be a number of seconds > 0' })
  .max(86_400, { error: 'must be at most 86400 seconds' })
  .optional()
  .describe('process only the first `duration` seconds');

/** How a result may come back: the one list of them (payload schema, task contract, delivery). */
export const DELIVERY_MODES = ['auto', 'url', 'base64', 'path'] as const;
export type Delivery = (typeof DELIVERY_MODES)[number];

export const deliveryField = z
  .enum(DELIVERY_MODES, { error: `must be one of ${DELIVERY_MODES.map((m) => `"${m}"`).join(', ')}` })
  .default('auto')
  .describe('how the result comes back: presigned URL, base64, or a path');
