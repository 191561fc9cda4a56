/**
 * @module Draws a finished job: the result in a player next to the original, a download link,
 * what the worker reported (every output field, whatever the task: preset, events, what was seen
 * and heard, loudness…), the timings as a table, and the status JSON with base64 elided.
 */
import { elideBase64 } from './form-model.js';
import { formatBytes, h } from './dom.js';

const MEDIA_FIELDS = ['video_base64', 'video_url', 'video_path', 'audio_base64', 'audio_url', 'audio_path'] as const;
/** Shown in their own places, not in the list of reported fields. */
const OWN_PLACE = new Set<string>([...MEDIA_FIELDS, 'timings_ms', 'warnings', 'metadata', 'url_expires_at']);
const EXT: Record<string, string> = { 'video/mp4': 'mp4', 'audio/wav': 'wav', 'audio/flac': 'flac', 'audio/mp4': 'm4a' };

export interface Original {
  kind: 'video' | 'image' | 'audio';
  src: string | undefined;
  note: string;
}

/** `preload`: a result in memory loads whole (its first frame shows); an original behind a URL only its header. */
function player(kind: 'video' | 'audio' | 'image', src: string, id: string, preload: 'auto' | 'metadata'): HTMLElement {
  if (kind === 'image') return h('img', { src, id, alt: 'the original image' });
  return h(kind, { src, id, controls: true, preload, playsinline: kind === 'video' ? true : undefined });
}

function base64ToBlobUrl(data: string, mime: string): string {
  const b64 = data.replace(/^data:[^,]*,/, '');
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return URL.createObjectURL(new Blob([bytes], { type: mime }));
}

function shortList(values: unknown[], fmt: (v: unknown) => string): string {
  const shown = values.slice(0, 24).map(fmt).join(', ');
  return values.length > 24 ? `${shown} … (${values.length})` : values.length === 0 ? 'none' : shown;
}

const num = (v: unknown): string => (typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : String(v));

/** One reported value, drawn by its shape: a table for a list of objects, a nested list for an object. */
function drawValue(value: unknown): Node {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
      const rows = value as Array<Record<string, unknown>>;
      const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      return h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...rows.slice(0, 50).map((r) => h('tr', {}, ...cols.map((c) => h('td', {}, num(r[c] ?? '')))))),
      );
    }
    if (value.every((v) => Array.isArray(v))) {
      return document.createTextNode(shortList(value, (v) => (v as unknown[]).map(num).join('–')));
    }
    return document.createTextNode(shortList(value, num));
  }
  if (typeof value === 'object' && value !== null) return drawList(value as Record<string, unknown>);
  return document.createTextNode(num(value));
}

function drawList(obj: Record<string, unknown>): HTMLDListElement {
  return h('dl', {}, ...Object.entries(obj).flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-key': k }, drawValue(v))]));
}

function drawTimings(timings: Record<string, number>): HTMLTableElement {
  const total = timings.total ?? Math.max(...Object.values(timings), 1);
  return h(
    'table',
    { id: 'timings', class: 'timings' },
    h('caption', {}, 'Time per stage'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'stage'),
        h('th', { scope: 'col' }, 'ms'),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'share')),
      ),
    ),
    h(
      'tbody',
      {},
      ...Object.entries(timings).map(([stage, ms]) => {
        const bar = h('span', { class: 'bar' });
        bar.style.width = `${Math.min(100, (100 * ms) / total).toFixed(1)}%`;
        return h(
          'tr',
          { 'data-stage': stage },
          h('th', { scope: 'row' }, stage),
          h('td', { class: 'ms' }, ms.toLocaleString('en')),
          h('td', { class: 'share' }, bar),
        );
      }),
    ),
  );
}

/** Draws the result of a COMPLETED job into `container`. */
export function drawResult(container: HTMLElement, status: { id: string; output?: unknown }, originals: Original[]): void {
  const out = (typeof status.output === 'object' && status.output !== null ? status.output : {}) as Record<string, unknown>;
  const mime = typeof out.mime === 'string' ? out.mime : 'video/mp4';
  const kind = mime.startsWith('audio/') ? 'audio' : 'video';
  const field = MEDIA_FIELDS.find((f) => typeof out[f] === 'string');
  const value = field ? (out[field] as string) : undefined;
  let src: string | undefined;
  if (field?.endsWith('_base64') && value) src = base64ToBlobUrl(value, mime);
  else if (field?.endsWith('_url')) src = value;

  const resultBox = src
    ? player(kind, src, 'result-media', 'auto')
    : h(
        'p',
        { class: 'note' },
        field
          ? `The result is on the worker: ${value ?? ''} (delivery "path"; choose "base64" or "url" to play it here).`
          : 'The job returned no media.',
      );
  const originalBoxes = originals.map((o) =>
    o.src
      ? player(o.kind, o.src, `original-${o.kind}`, o.src.startsWith('blob:') ? 'auto' : 'metadata')
      : h('p', { class: 'note' }, o.note),
  );
  const name = `${status.id}.${EXT[mime] ?? 'bin'}`;
  const download = src
    ? h(
        'a',
        { href: src, download: name, id: 'download', class: 'button' },
        `Download ${name}${typeof out.bytes === 'number' ? ` (${formatBytes(out.bytes)})` : ''}`,
      )
    : null;

  const warnings =
    Array.isArray(out.warnings) && out.warnings.length > 0
      ? h('ul', { class: 'warnings', id: 'warnings' }, ...out.warnings.map((w) => h('li', {}, String(w))))
      : null;
  const reported = Object.fromEntries(Object.entries(out).filter(([k]) => !OWN_PLACE.has(k)));
  const timings = out.timings_ms && typeof out.timings_ms === 'object' ? drawTimings(out.timings_ms as Record<string, number>) : null;
  const metadata =
    out.metadata && typeof out.metadata === 'object'
      ? h('details', {}, h('summary', {}, 'Worker'), drawList(out.metadata as Record<string, unknown>))
      : null;

  container.replaceChildren(
    h(
      'div',
      { class: 'players' },
      h('figure', {}, h('figcaption', {}, 'Original'), ...originalBoxes),
      h('figure', {}, h('figcaption', {}, 'Result'), resultBox),
    ),
    download ?? '',
    warnings ?? '',
    h('h3', {}, 'Reported'),
    h('div', { id: 'reported' }, drawList(reported)),
    timings ?? '',
    metadata ?? '',
    h('details', {}, h('summary', {}, 'Result JSON'), h('pre', { id: 'result-json' }, JSON.stringify(elideBase64(status), null, 2))),
  );
}
