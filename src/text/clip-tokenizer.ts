/**
 * @module open_clip's `SimpleTokenizer` (CLIP's byte-level BPE) as MMAudio uses it for its text
 * condition: `open_clip.get_tokenizer('ViT-H-14-378-quickgelu')`, which resolves to a
 * `SimpleTokenizer` with the default `clean='lower'`, no reduction mask, context length 77.
 *
 * text → `fixText` (ftfy's defaults, no mojibake repair) → Python's `html.unescape` twice → strip →
 * whitespace runs to one space → lower case → the token pattern → each piece's UTF-8 bytes as BPE
 * characters → BPE → ids. A row is `<start_of_text>` (49406), the ids, `<end_of_text>` (49407),
 * cut to the context length with EOT kept last, then ZERO-padded. (id 0 is "!". open_clip pools
 * at the EOT, so its own embedding never sees the padding; MMAudio reads all 77 token states, and
 * behind a causal mask those after the EOT depend on the padding ids. A Hugging Face
 * `CLIPTokenizer` pads with EOT instead, which would change them.)
 */
import { BYTE_CHARS, bpeTablesFromGz, bpeTablesFromVocabMerges, bpeWord, CHAR_BYTES, type ClipBpeTables, END_OF_WORD } from './clip-bpe.js';
import { fixText } from './fix-text.js';
import { pythonHtmlUnescape } from './html-unescape.js';

/** The context length of every OpenAI-style CLIP text tower, DFN5B's included. */
export const CLIP_CONTEXT_LENGTH = 77;

/** Python's `str.isspace` characters (Unicode 14): what `str.split()` and `str.strip()` cut on. */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE_RUN = new RegExp(`[${PY_SPACE}]+`, 'g');
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/**
 * open_clip's token pattern: the special tokens, the English contractions, a run of letters, ONE
 * digit, or a run of anything else but whitespace. Upstream compiles it with `regex` and
 * IGNORECASE; a JS `i` flag is not the same thing, so the flag's effects are spelled out instead:
 * `s` also matches `ſ` (its case-fold twin; no other letter of the pattern has one left after
 * lower-casing), and U+0345 COMBINING YPOGEGRAMMENI (which folds to ι) belongs to no alternative,
 * so it is dropped, as `regex` drops it. `\s` is the White_Space property, as in `regex` (JS's
 * `\s` adds U+FEFF). Checked against `regex` 2022.10.31 code point by code point, each between two
 * letters: the same pieces for every character Python's Unicode 14 assigns.
 */
// biome-ignore lint/suspicious/noMisleadingCharacterClass: U+0345 stands alone in the class, on purpose (above)
const TOKEN_PATTERN = /<[sſ]tart_of_text>|<end_of_text>|'[sſ]|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\p{White_Space}\p{L}\p{N}\u0345]+/gu;

/** open_clip's `basic_clean` + `whitespace_clean` + `lower()`: the text the pattern runs over. */
export function cleanClipText(text: string): string {
  const basic = pythonHtmlUnescape(pythonHtmlUnescape(fixText(text))).replace(PY_STRIP, '');
  return basic
    .split(PY_SPACE_RUN)
    .filter((w) => w.length > 0)
    .join(' ')
    .toLowerCase();
}

const UTF8 = new TextEncoder();
/** Words cached before the cache starts over (upstream's grows without bound; a worker runs for days). */
const CACHE_LIMIT = 65_536;

/**
 * CLIP's text tokenizer. Build it once per BPE source and keep it: each word's BPE is cached, as
 * upstream caches it (a worker sees the same prompt words again and again).
 */
export class ClipTokenizer {
  readonly sotId: number;
  readonly eotId: number;
  readonly vocabSize: number;
  readonly #tables: ClipBpeTables;
  readonly #cache = new Map<string, readonly number[]>();

  private constructor(tables: ClipBpeTables) {
    this.#tables = tables;
    this.sotId = tables.sotId;
    this.eotId = tables.eotId;
    this.vocabSize = tables.decoder.length;
  }

  /** From open_clip's `bpe_simple_vocab_16e6.txt.gz` (assets/clip/ holds a copy). */
  static fromBpeGz(gz: Uint8Array): ClipTokenizer {
    return new ClipTokenizer(bpeTablesFromGz(gz));
  }

  /** From a Hugging Face pair, `vocab.json` and `merges.txt` (as `apple/DFN5B-CLIP-ViT-H-14-378` ships). */
  static fromVocabMerges(vocabJson: string, mergesTxt: string): ClipTokenizer {
    return new ClipTokenizer(bpeTablesFromVocabMerges(vocabJson, mergesTxt));
  }

  /** The ids of a text, without SOT, EOT, truncation or padding (open_clip's `encode`). */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const [piece] of cleanClipText(text).matchAll(TOKEN_PATTERN)) {
      if (piece === '<start_of_text>') ids.push(this.sotId);
      else if (piece === '<end_of_text>') ids.push(this.eotId);
      else ids.push(...this.#word(piece));
    }
    return ids;
  }

  /**
   * Rows of `contextLength` int64 ids, row-major `[texts.length, contextLength]`, as the ONNX text
   * tower takes them (open_clip's `tokenizer(texts)`, a LongTensor): SOT, ids, EOT; a longer row is
   * cut to `contextLength` and its last id replaced by EOT; a shorter one is padded with 0.
   */
  tokenize(texts: string | readonly string[], contextLength: number = CLIP_CONTEXT_LENGTH): BigInt64Array {
    if (!Number.isInteger(contextLength) || contextLength < 1) {
      throw new RangeError(`\`contextLength\` must be a positive integer, got ${contextLength}`);
    }
    const list = typeof texts === 'string' ? [texts] : texts;
    const out = new BigInt64Array(list.length * contextLength);
    list.forEach((text, row) => {
      const ids = [this.sotId, ...this.encode(text), this.eotId];
      if (ids.length > contextLength) {
        ids.length = contextLength;
        ids[contextLength - 1] = this.eotId;
      }
      ids.forEach((id, i) => {
        out[row * contextLength + i] = BigInt(id);
      });
    });
    return out;
  }

  /**
   * Ids → text, as open_clip's `decode`: the tokens' bytes as UTF-8 (invalid sequences → U+FFFD),
   * every `</w>` a space (so "a dog." decodes to "a dog . "). Padding zeros decode as "!", and
   * SOT/EOT as their names: drop them first.
   */
  decode(ids: Iterable<number | bigint>): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const token = this.#tables.decoder[Number(id)];
      if (token === undefined) throw new RangeError(`token id ${id} is not in the vocabulary (${this.vocabSize})`);
      for (const c of token) bytes.push(CHAR_BYTES.get(c) ?? 0x3f);
    }
    return new TextDecoder('utf-8').decode(Uint8Array.from(bytes)).replaceAll(END_OF_WORD, ' ');
  }

  #word(piece: string): readonly number[] {
    const cached = this.#cache.get(piece);
    if (cached !== undefined) return cached;
    let chars = '';
    for (const b of UTF8.encode(piece)) chars += BYTE_CHARS[b]!;
    const ids = bpeWord(chars, this.#tables.ranks).map((symbol) => {
      const id = this.#tables.encoder.get(symbol);
      if (id === undefined) throw new RangeError(`BPE symbol ${JSON.stringify(symbol)} is not in the vocabulary`);
      return id;
    });
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(piece, ids);
    return ids;
  }
}
