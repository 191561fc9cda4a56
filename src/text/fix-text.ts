/**
 * @module Our reading of `ftfy.fix_text` with its default configuration (ftfy 6.3,
 * rspeer/python-ftfy `ftfy/__init__.py`, `fixes.py`, `chardata.py`), minus mojibake repair: the
 * fixes that change text which was decoded correctly. open_clip runs it first on every prompt.
 *
 * NOT implemented: `fix_encoding` and its sub-steps (`restore_byte_a0`, `replace_lossy_sequences`,
 * `decode_inconsistent_utf8`), which detect text decoded in the wrong encoding ("schÃ¶n") with a
 * heuristic and re-decode it. A prompt with mojibake is tokenised as it stands, where Python would
 * have repaired it. Also not applied: ftfy's split of segments longer than 1,000,000 code points.
 */
import { ftfyUnescapeHtml, WINDOWS_1252_C1 } from './html-unescape.js';

/** Latin ligatures and legacy digraphs ftfy takes apart (`LIGATURES`); æ, œ and other scripts' stay. */
const LIGATURES = new Map<string, string>([
  ['\u0132', 'IJ'],
  ['\u0133', 'ij'],
  ['\u0149', '\u02bcn'],
  ['\u01f1', 'DZ'],
  ['\u01f2', 'Dz'],
  ['\u01f3', 'dz'],
  ['\u01c4', 'D\u017d'],
  ['\u01c5', 'D\u017e'],
  ['\u01c6', 'd\u017e'],
  ['\u01c7', 'LJ'],
  ['\u01c8', 'Lj'],
  ['\u01c9', 'lj'],
  ['\u01ca', 'NJ'],
  ['\u01cb', 'Nj'],
  ['\u01cc', 'nj'],
  ['\ufb00', 'ff'],
  ['\ufb01', 'fi'],
  ['\ufb02', 'fl'],
  ['\ufb03', 'ffi'],
  ['\ufb04', 'ffl'],
  ['\ufb05', '\u017ft'],
  ['\ufb06', 'st'],
]);
const LIGATURE_RE = new RegExp(`[${[...LIGATURES.keys()].join('')}]`, 'g');

/**
 * Full-width and half-width forms (U+FF01–U+FFEF) → their NFKC form where it differs (ASCII,
 * katakana, Hangul jamo, symbols), and the ideographic space U+3000 → U+0020 (`WIDTH_MAP`).
 */
function fixCharacterWidth(text: string): string {
  return text.replace(/[\u3000\uff01-\uffef]/g, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
}

/** C1 controls (U+0080–U+009F) read as the Windows-1252 bytes they usually were, as browsers do. */
function fixC1Controls(text: string): string {
  return text.replace(/[\x80-\x9f]/g, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80]!);
}

/** ‘ ’ ‚ ‛ and the modifier apostrophe ʼ → ', “ ” „ ‟ → " (`uncurl_quotes`). */
function uncurlQuotes(text: string): string {
  return text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'");
}

/** CRLF, CR, LINE SEPARATOR, PARAGRAPH SEPARATOR and NEXT LINE → LF (`fix_line_breaks`). */
function fixLineBreaks(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/[\r\u2028\u2029\x85]/g, '\n');
}

/**
 * Unpaired UTF-16 surrogates → U+FFFD (`fix_surrogates`; a JS string's well-formed pairs already
 * are the characters Python would join them into).
 */
function fixSurrogates(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** ANSI terminal escapes (`ESC [ digits-or-; letter`; Python's `\d` is any decimal digit). */
function removeTerminalEscapes(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the sequence being removed
  return text.replace(/\x1b\[(?:\p{Nd}|;)*[a-zA-Z]/gu, '');
}

/**
 * Controls with no visible effect (`remove_control_chars`): C0 except TAB LF FF CR, DEL, the
 * deprecated format controls U+206A–U+206F, the byte-order mark, and U+FFF9–U+FFFC. Joiners,
 * direction marks, C1 controls and tag characters (emoji flags) stay.
 */
function removeControlChars(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return text.replace(/[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g, '');
}

/** One segment, fixed until a pass changes nothing (`fix_and_explain`), in ftfy's order. */
function fixSegment(segment: string, unescapeHtml: boolean): string {
  let text = segment;
  for (;;) {
    const before = text;
    if (unescapeHtml) text = ftfyUnescapeHtml(text);
    text = fixC1Controls(text);
    text = text.replace(LIGATURE_RE, (c) => LIGATURES.get(c)!);
    text = fixCharacterWidth(text);
    text = uncurlQuotes(text);
    text = fixLineBreaks(text);
    text = fixSurrogates(text);
    text = removeTerminalEscapes(text);
    text = removeControlChars(text);
    text = text.normalize('NFC');
    if (text === before) return text;
  }
}

/**
 * `ftfy.fix_text(text)` with the default configuration, mojibake repair excepted (see the module
 * header). The text is fixed line by line (each segment ends after a `\n`); HTML references are
 * decoded until the first line that contains `<` (then the text is taken for HTML, and its
 * references are kept from there on).
 */
export function fixText(text: string): string {
  let unescapeHtml = true;
  let out = '';
  let pos = 0;
  while (pos < text.length) {
    const brk = text.indexOf('\n', pos);
    const end = brk === -1 ? text.length : brk + 1;
    const segment = text.slice(pos, end);
    if (unescapeHtml && segment.includes('<')) unescapeHtml = false;
    out += fixSegment(segment, unescapeHtml);
    pos = end;
  }
  return out;
}
