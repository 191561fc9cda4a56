/**
 * CLIP's tokenizer (src/text/) against open_clip's own ids: test/fixtures/clip-tokens.json, written
 * by scripts/fixtures/make-clip-tokens.py from open_clip's `SimpleTokenizer` as
 * `get_tokenizer('ViT-H-14-378-quickgelu')` builds it, with ftfy stood in by the identity (so the
 * fixture's prompts are ones ftfy leaves alone). What ftfy itself does is tested apart, at the end,
 * as our reading of its defaults: there is no Python ftfy here to compare with.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isWorkerError } from '../../src/errors.js';
import { CLIP_CONTEXT_LENGTH, ClipTokenizer, cleanClipText } from '../../src/text/clip-tokenizer.js';
import { fixText } from '../../src/text/fix-text.js';
import { ftfyUnescapeHtml, pythonHtmlUnescape } from '../../src/text/html-unescape.js';

const GZ = readFileSync(new URL('../../assets/clip/bpe_simple_vocab_16e6.txt.gz', import.meta.url));
const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/clip-tokens.json', import.meta.url), 'utf8')) as {
  about: { context_length: number };
  cases: { prompt: string; ids: number[] }[];
};
const SOT = 49406;
const EOT = 49407;
const tokenizer = ClipTokenizer.fromBpeGz(GZ);

const rows = (tok: ClipTokenizer, texts: readonly string[], length = CLIP_CONTEXT_LENGTH): number[][] => {
  const flat = tok.tokenize(texts, length);
  return texts.map((_, r) => Array.from(flat.subarray(r * length, (r + 1) * length), Number));
};

/**
 * The Hugging Face pair built from the gz, independently of src/: the vocabulary in open_clip's
 * order (the 188 printable Latin-1 bytes, then the other 68 as U+0100…, the same 256 with `</w>`,
 * the merges, then the two special tokens under HF's names) and merges.txt with its header.
 */
function hfPairFromGz(gz: Uint8Array): { vocabJson: string; mergesTxt: string } {
  const lines = gunzipSync(gz).toString('utf8').split('\n');
  const merges = lines.slice(1, 48_895);
  const printable = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const bytes: string[] = [];
  for (let b = 0; b < 256; b += 1) if (printable(b)) bytes.push(String.fromCharCode(b));
  let n = 0;
  for (let b = 0; b < 256; b += 1) if (!printable(b)) bytes.push(String.fromCharCode(256 + n++));
  const vocab = [
    ...bytes,
    ...bytes.map((c) => `${c}</w>`),
    ...merges.map((m) => m.split(' ').join('')),
    '<|startoftext|>',
    '<|endoftext|>',
  ];
  return { vocabJson: JSON.stringify(Object.fromEntries(vocab.map((t, i) => [t, i]))), mergesTxt: `#version: 0.2\n${merges.join('\n')}\n` };
}

describe('open_clip parity (the fixture)', () => {
  it(`holds at least 250 prompts of ${FIXTURE.about.context_length} ids`, () => {
    expect(FIXTURE.about.context_length).toBe(CLIP_CONTEXT_LENGTH);
    expect(FIXTURE.cases.length).toBeGreaterThanOrEqual(250);
    expect(tokenizer.sotId).toBe(SOT);
    expect(tokenizer.eotId).toBe(EOT);
    expect(tokenizer.vocabSize).toBe(49_408);
  });

  it('gives open_clip’s 77 ids for every prompt', () => {
    const got = rows(
      tokenizer,
      FIXTURE.cases.map((c) => c.prompt),
    );
    const wrong = FIXTURE.cases.filter((c, i) => JSON.stringify(got[i]) !== JSON.stringify(c.ids)).map((c) => c.prompt);
    expect(wrong).toEqual([]);
  });

  it('cuts an overflowing prompt to 77 with EOT last, and fits one of exactly 77', () => {
    const one = tokenizer.encode('footsteps');
    expect(one).toHaveLength(1);
    const [fits, over, long] = rows(
      tokenizer,
      [75, 76, 80].map((k) => Array(k).fill('footsteps').join(' ')),
    );
    expect(fits).toEqual([SOT, ...Array(75).fill(one[0]), EOT]);
    expect(over).toEqual([SOT, ...Array(75).fill(one[0]), EOT]);
    expect(long).toEqual(over);
    const [short] = rows(tokenizer, ['a dog barking in the distance'], 4);
    expect(short).toEqual([SOT, ...tokenizer.encode('a dog').slice(0, 2), EOT]);
  });

  it('pads with zeros, not EOT (an HF CLIPTokenizer pads with EOT)', () => {
    const flat = tokenizer.tokenize(['rain', '']);
    expect(flat).toBeInstanceOf(BigInt64Array);
    expect(flat).toHaveLength(2 * 77);
    const [rain, empty] = rows(tokenizer, ['rain', '']);
    expect(rain!.slice(0, 3)).toEqual([SOT, ...tokenizer.encode('rain'), EOT]);
    expect(rain!.slice(3)).toEqual(Array(74).fill(0));
    expect(empty).toEqual([SOT, EOT, ...Array(75).fill(0)]);
    expect(() => tokenizer.tokenize('x', 0)).toThrow(RangeError);
  });

  it('reads the same BPE from an HF vocab.json + merges.txt pair, to the same ids', () => {
    const { vocabJson, mergesTxt } = hfPairFromGz(GZ);
    const hf = ClipTokenizer.fromVocabMerges(vocabJson, mergesTxt);
    expect([hf.sotId, hf.eotId, hf.vocabSize]).toEqual([SOT, EOT, 49_408]);
    const prompts = FIXTURE.cases.map((c) => c.prompt);
    expect(hf.tokenize(prompts)).toEqual(tokenizer.tokenize(prompts));
    expect(hf.decode(hf.encode('a dog barking'))).toBe('a dog barking ');
  });

  it('refuses a broken BPE source with MODEL_CORRUPT', () => {
    const { vocabJson, mergesTxt } = hfPairFromGz(GZ);
    const corrupt = (f: () => unknown): boolean => {
      try {
        f();
      } catch (e) {
        return isWorkerError(e) && e.code === 'MODEL_CORRUPT';
      }
      return false;
    };
    expect(corrupt(() => ClipTokenizer.fromBpeGz(new Uint8Array([1, 2, 3])))).toBe(true);
    expect(corrupt(() => ClipTokenizer.fromVocabMerges('{', mergesTxt))).toBe(true);
    expect(corrupt(() => ClipTokenizer.fromVocabMerges(vocabJson, mergesTxt.split('\n').slice(0, 100).join('\n')))).toBe(true);
    expect(corrupt(() => ClipTokenizer.fromVocabMerges(vocabJson.replace('"<|endoftext|>"', '"<eot>"'), mergesTxt))).toBe(true);
  });

  it('decodes ASCII back to the cleaned lower-case text (a space after each word-final token)', () => {
    const ascii = FIXTURE.cases.map((c) => c.prompt).filter((p) => /^[\x20-\x7e]+$/.test(cleanClipText(p)) && !p.includes('</w>'));
    expect(ascii.length).toBeGreaterThan(200);
    for (const p of ascii) {
      const cleaned = cleanClipText(p);
      const decoded = tokenizer.decode(tokenizer.encode(p));
      expect(decoded.replaceAll(' ', '')).toBe(cleaned.replaceAll(' ', ''));
      if (/^[a-z ]+$/.test(cleaned)) expect(decoded).toBe(`${cleaned} `);
    }
    expect(tokenizer.decode(tokenizer.encode('Hello, World.'))).toBe('hello , world . ');
    expect(tokenizer.decode(tokenizer.encode('雨の音 🔥'))).toBe('雨の音 🔥 ');
    expect(() => tokenizer.decode([49_408])).toThrow(RangeError);
  });
});

describe('Python’s html.unescape, as open_clip calls it twice', () => {
  it.each([
    ['rain &amp; thunder', 'rain & thunder'],
    ['Tom &amp Jerry', 'Tom & Jerry'],
    ['this&not that', 'this¬ that'],
    ['&notit;', '¬it;'],
    ['&#x80;&#150;&#0;&#1;', '€–\ufffd'],
    ['&#xD800;&#1114112;', '\ufffd\ufffd'],
    ['&unknown; &hellip', '&unknown; &hellip'],
    ['&amp;amp;', '&amp;'],
  ])('%j → %j', (input, want) => {
    expect(pythonHtmlUnescape(input)).toBe(want);
  });
});

describe('our reading of ftfy.fix_text’s defaults (no Python ftfy to compare with)', () => {
  it.each([
    // uncurl_quotes: U+2018–U+201B and U+02BC → ', U+201C–U+201F → "
    ['\u201chello\u201d \u2018it\u2019s\u2019 \u02bc', "\"hello\" 'it's' '"],
    // fix_latin_ligatures: typographic ligatures and the legacy digraphs, not æ/œ
    ['\ufb01re \ufb02ame \ufb00 \ufb03 \u01c5emal \u0133 æ œ', 'fire flame ff ffi Džemal ij æ œ'],
    // fix_character_width: full-width ASCII and the ideographic space (ftfy's own example), half-width katakana
    ['\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25\uff33', 'LOUD NOISES'],
    ['\uff73\uff80\uff70\uff9d', 'ウターン'],
    ['雨\uff0c雷\uff01', '雨,雷!'],
    // NFC: a decomposed accent is composed; the Kelvin and Ohm signs become K and Ω
    ['cafe\u0301 \u212a \u2126', 'café K Ω'],
    // fix_line_breaks and remove_control_chars; C1 controls read as Windows-1252 first (0x85 → …)
    ['a\r\nb\rc\u2028d\u2029e', 'a\nb\nc\nd\ne'],
    ['\ufeffa\x00b\x07c\x7fd\u206ae\ufffcf\tg\x0ch', 'abcdef\tg\x0ch'],
    ['a\x85b \x93q\x94 \x81', 'a…b "q" \x81'],
    // remove_terminal_escapes; unpaired surrogates → U+FFFD
    ['\x1b[36;44mblue\x1b[0m', 'blue'],
    ['a\ud83db\ude00c \ud83d\ude00', 'a\ufffdb\ufffdc 😀'],
    // unescape_html: ';'-terminated references only, repeated until stable, all-caps Latin names too
    ['&amp;amp;amp; it&#x2019;s &EACUTE; BUNDESSTRA&SZLIG;E &nTILDE; this&not that', "& it's É BUNDESSTRASSE &nTILDE; this&not that"],
    ['&ldquo;x&rdquo; &hellip;', '"x" …'],
    // ...but not from the first line holding a literal '<' on (the text is taken for HTML)
    ['&amp;\n<b>&amp;</b>\n&amp;', '&\n<b>&amp;</b>\n&amp;'],
    // left alone: flags' tag characters, joiners, emoji, mojibake (repair NOT implemented)
    [
      '🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f} 👨\u200d👩 a\u00adb',
      '🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f} 👨\u200d👩 a\u00adb',
    ],
    ['sch\u00c3\u00b6n', 'sch\u00c3\u00b6n'],
  ])('%j → %j', (input, want) => {
    expect(fixText(input)).toBe(want);
  });

  it('ftfy’s stricter unescape keeps what Python’s would decode without a ";"', () => {
    expect(ftfyUnescapeHtml('Tom &amp Jerry &#39 &#39;')).toBe("Tom &amp Jerry &#39 '");
  });

  it('reaches the ids: a curly, ligatured, full-width prompt tokenises as its plain form', () => {
    const pairs: [string, string][] = [
      ['\u201cwhoosh\u201d, it\u2019s \ufb01re', '"whoosh", it\'s fire'],
      ['\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25\uff33', 'loud noises'],
      ['cafe\u0301 ambience', 'café ambience'],
      ['\ufeffrain\x00', 'rain'],
      ['rain &amp;amp;amp; thunder', 'rain & thunder'],
    ];
    for (const [messy, plain] of pairs) expect(tokenizer.encode(messy)).toEqual(tokenizer.encode(plain));
  });
});
