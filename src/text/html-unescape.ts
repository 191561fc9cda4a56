/**
 * @module HTML character references decoded the two ways CLIP's text cleaning decodes them:
 * Python's `html.unescape` (what open_clip calls, twice) and ftfy's stricter `unescape_html` (what
 * `ftfy.fix_text` calls first). The names are the HTML5 list (html-entities.generated.ts).
 */
import { HTML5_ENTITIES_PACKED } from './html-entities.generated.js';

let html5: Map<string, string> | undefined;

/** name (with or without its ';', as the HTML5 list has it) → the text it stands for. */
function entities(): Map<string, string> {
  if (html5 === undefined) {
    html5 = new Map();
    for (const line of HTML5_ENTITIES_PACKED) {
      for (const word of line.split(' ')) {
        const eq = word.indexOf('=');
        const value = String.fromCodePoint(
          ...word
            .slice(eq + 1)
            .split('+')
            .map((h) => Number.parseInt(h, 16)),
        );
        html5.set(word.slice(0, eq), value);
      }
    }
  }
  return html5;
}

/** Windows-1252's characters for bytes 0x80–0x9F; the five it leaves undefined keep their C1 code point. */
export const WINDOWS_1252_C1: readonly string[] = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019,
  0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
].map((c) => String.fromCharCode(c));

/** What a numeric reference to 0x00, CR or 0x80–0x9F decodes to (HTML5: Windows-1252 for C1). */
const NUMERIC_REMAP = new Map<number, string>([
  [0x00, '\ufffd'],
  [0x0d, '\r'],
  ...WINDOWS_1252_C1.map((c, i): [number, string] => [0x80 + i, c]),
]);

/** Code points a numeric reference decodes to nothing (HTML5's "invalid" ones Python drops). */
function droppedCodePoint(n: number): boolean {
  return (
    (n >= 0x01 && n <= 0x08) ||
    n === 0x0b ||
    (n >= 0x0e && n <= 0x1f) ||
    (n >= 0x7f && n <= 0x9f) ||
    (n >= 0xfdd0 && n <= 0xfdef) ||
    (n & 0xfffe) === 0xfffe
  );
}

function numericReference(body: string): string {
  const hex = body[1] === 'x' || body[1] === 'X';
  const digits = body.slice(hex ? 2 : 1).replace(/;$/, '');
  const n = hex ? Number.parseInt(digits, 16) : Number(digits);
  const remapped = NUMERIC_REMAP.get(n);
  if (remapped !== undefined) return remapped;
  if ((n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff) return '\ufffd';
  if (droppedCodePoint(n)) return '';
  return String.fromCodePoint(n);
}

/** Python's `_charref`: `&` then a decimal or hex number, or up to 32 code points of a name; `;` optional. */
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

/**
 * Python's `html.unescape`: every numeric reference, and every named one; a name the list lacks
 * decodes its longest listed prefix (the legacy names without ';', as `&notit;` → `¬it;`).
 */
export function pythonHtmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  const table = entities();
  return text.replace(CHARREF, (whole, body: string) => {
    if (body[0] === '#') return numericReference(body);
    const exact = table.get(body);
    if (exact !== undefined) return exact;
    const points = [...body];
    for (let x = points.length - 1; x > 1; x -= 1) {
      const prefix = table.get(points.slice(0, x).join(''));
      if (prefix !== undefined) return prefix + points.slice(x).join('');
    }
    return whole;
  });
}

let ftfyTable: Map<string, string> | undefined;

/**
 * ftfy's entity table: `&name;` for every listed name that ends in ';', plus the all-caps spelling
 * of each lower-case one that does not already mean something (`&EACUTE;` → `É`, `&SZLIG;` → `SS`).
 */
function ftfyEntities(): Map<string, string> {
  if (ftfyTable === undefined) {
    ftfyTable = new Map();
    for (const [name, value] of entities()) {
      if (!name.endsWith(';')) continue;
      ftfyTable.set(`&${name}`, value);
      if (name === name.toLowerCase()) {
        const upper = `&${name.toUpperCase()}`;
        if (pythonHtmlUnescape(upper) === upper) ftfyTable.set(upper, value.toUpperCase());
      }
    }
  }
  return ftfyTable;
}

/**
 * ftfy's `unescape_html`: only references that end in ';' (`&amp;`, `&#39;`, `&EACUTE;`), so that
 * informal text such as "this&not that" is left alone.
 */
export function ftfyUnescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  const table = ftfyEntities();
  return text.replace(/&#?[0-9A-Za-z]{1,24};/g, (ref) => {
    const named = table.get(ref);
    if (named !== undefined) return named;
    if (!ref.startsWith('&#')) return ref;
    const decoded = pythonHtmlUnescape(ref);
    return decoded.includes(';') ? ref : decoded;
  });
}
