/**
 * @module RoBERTa's tokenizer (GPT-2's byte-level BPE) as CLAP's text tower takes it:
 * `AutoTokenizer.from_pretrained("laion/larger_clap_general")` over its `vocab.json` + `merges.txt`,
 * called by HunyuanVideo-Foley with `padding=True` on `[negative prompt, prompt]`.
 *
 * text (no cleaning, no lower-casing) → GPT-2's pre-tokenizing pattern → each piece's UTF-8 bytes as BPE
 * characters (GPT-2's `bytes_to_unicode`, the same table as CLIP's) → BPE (no end-of-word marker) → ids,
 * a symbol missing from the vocabulary as `<unk>`. A row is `<s>` ids `</s>`; a batch is padded with
 * `<pad>` to its longest row, with an attention mask of 1 on the tokens and 0 on the padding.
 *
 * What differs from Hugging Face's tokenizer, knowingly: text that spells a special token (a literal
 * "<pad>" or "<mask>") is BPE'd as text here, while HF turns it into that token's id; no truncation
 * unless asked (HVF asks none: RoBERTa's 514 positions then allow 512 ids per row, the converter's
 * `dims.maxTokens`).
 */
import { WorkerError } from '../errors.js';
import { BYTE_CHARS, CHAR_BYTES, mergeSymbols, readVocabJson } from './clip-bpe.js';

/**
 * GPT-2's pattern: the English contractions, then an optional space and a run of letters, of digits or
 * of other symbols, then whitespace runs (all but the last space before a word, which that word takes).
 * `\s` is the White_Space property, as in Python's `regex` and not JS's `\s` (which adds U+FEFF).
 */
const PIECES =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

const UTF8 = new TextEncoder();
/** Pieces cached before the cache starts over (HF's grows without bound; a worker runs for days). */
const CACHE_LIMIT = 65_536;

/** A batch as the CLAP text graph and HF's `padding=True` give it: row-major [rows, length]. */
export interface RobertaBatch {
  /** int64 ids, `<pad>` after each row's `</s>` up to the longest row. */
  ids: BigInt64Array;
  /** 1 on each row's tokens, 0 on its padding (HF's `attention_mask`). */
  attentionMask: BigInt64Array;
  rows: number;
  length: number;
}

function corrupt(message: string, cause?: unknown): WorkerError {
  return new WorkerError('MODEL_CORRUPT', `RoBERTa tokenizer: ${message}`, cause === undefined ? {} : { cause });
}

/**
 * RoBERTa's tokenizer over a `vocab.json` + `merges.txt` pair. Build it once and keep it: each piece's
 * ids are cached (a worker sees the same prompt words again and again).
 */
export class RobertaTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number;
  readonly vocabSize: number;
  readonly #encoder: ReadonlyMap<string, number>;
  readonly #decoder: readonly string[];
  readonly #ranks: ReadonlyMap<string, number>;
  readonly #cache = new Map<string, readonly number[]>();

  private constructor(o: { encoder: Map<string, number>; decoder: string[]; ranks: Map<string, number> }) {
    const id = (token: string): number => {
      const v = o.encoder.get(token);
      if (v === undefined) throw corrupt(`vocab.json lacks ${token}`);
      return v;
    };
    this.bosId = id('<s>');
    this.eosId = id('</s>');
    this.padId = id('<pad>');
    this.unkId = id('<unk>');
    this.#encoder = o.encoder;
    this.#decoder = o.decoder;
    this.#ranks = o.ranks;
    this.vocabSize = o.decoder.length;
  }

  /** From the Hugging Face pair: `vocab.json` (token → id) and `merges.txt` (an optional `#version` header, then one merge a line). */
  static fromVocabMerges(vocabJson: string, mergesTxt: string): RobertaTokenizer {
    const { encoder, decoder } = readVocabJson(vocabJson, corrupt);
    const ranks = new Map<string, number>();
    const lines = mergesTxt.split('\n');
    const start = lines[0]?.startsWith('#version') ? 1 : 0;
    lines.slice(start).forEach((line, i) => {
      if (line.trim() === '') return; // the file's last newline
      const pair = line.split(' ');
      if (pair.length !== 2 || pair[0] === '' || pair[1] === '')
        throw corrupt(`merges.txt: merge ${i + 1} is not two symbols: ${JSON.stringify(line)}`);
      // A duplicate takes its later rank, as HF's dict(zip(merges, range(n))) does.
      ranks.set(line, i);
    });
    return new RobertaTokenizer({ encoder, decoder, ranks });
  }

  /** The ids of a text, without `<s>`, `</s>` or padding. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const [piece] of text.matchAll(PIECES)) ids.push(...this.#piece(piece));
    return ids;
  }

  /**
   * HF's `tokenizer(texts, padding=True)`: each row `<s>` ids `</s>`, cut to `maxLength` (keeping `</s>`
   * last) only when one is given, then padded with `<pad>` to the longest row.
   */
  tokenize(texts: string | readonly string[], o: { maxLength?: number } = {}): RobertaBatch {
    const { maxLength } = o;
    if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 2)) {
      throw new RangeError(`\`maxLength\` must be an integer of at least 2, got ${maxLength}`);
    }
    const list = typeof texts === 'string' ? [texts] : texts;
    const rows = list.map((text) => {
      const body = this.encode(text);
      if (maxLength !== undefined && body.length > maxLength - 2) body.length = maxLength - 2;
      return [this.bosId, ...body, this.eosId];
    });
    const length = Math.max(0, ...rows.map((r) => r.length));
    const ids = new BigInt64Array(rows.length * length).fill(BigInt(this.padId));
    const attentionMask = new BigInt64Array(rows.length * length);
    rows.forEach((row, r) => {
      row.forEach((id, i) => {
        ids[r * length + i] = BigInt(id);
        attentionMask[r * length + i] = 1n;
      });
    });
    return { ids, attentionMask, rows: rows.length, length };
  }

  /** Ids → text: the tokens' bytes as UTF-8 (invalid sequences → U+FFFD); special tokens decode as their names, so drop them first. */
  decode(ids: Iterable<number | bigint>): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const token = this.#decoder[Number(id)];
      if (token === undefined) throw new RangeError(`token id ${id} is not in the vocabulary (${this.vocabSize})`);
      for (const c of token) {
        const b = CHAR_BYTES.get(c);
        if (b === undefined) bytes.push(...UTF8.encode(c));
        else bytes.push(b);
      }
    }
    return new TextDecoder('utf-8').decode(Uint8Array.from(bytes));
  }

  #piece(piece: string): readonly number[] {
    const cached = this.#cache.get(piece);
    if (cached !== undefined) return cached;
    let chars = '';
    for (const b of UTF8.encode(piece)) chars += BYTE_CHARS[b]!;
    const ids = mergeSymbols([...chars], this.#ranks).map((symbol) => this.#encoder.get(symbol) ?? this.unkId);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(piece, ids);
    return ids;
  }
}
