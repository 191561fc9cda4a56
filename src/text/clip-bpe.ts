/**
 * @module The byte-level BPE of CLIP's text encoder (OpenAI CLIP, as open_clip's `SimpleTokenizer`
 * uses it): the byte ↔ printable-character table, the vocabulary built from the ranked merges, and
 * the merge loop. Two sources of the same BPE: open_clip's `bpe_simple_vocab_16e6.txt.gz` and a
 * Hugging Face `vocab.json` + `merges.txt` pair. Pure: bytes and strings in, tables out.
 */
import { gunzipSync } from 'node:zlib';
import { WorkerError } from '../errors.js';

/** The merges open_clip reads: `lines[1 : 49152 - 256 - 2 + 1]` of the file, after its header. */
export const CLIP_MERGE_COUNT = 49152 - 256 - 2;
/** The word-end marker the last symbol of every word carries. */
export const END_OF_WORD = '</w>';

/**
 * Every byte mapped to a printable character, so that a BPE over strings never meets whitespace or
 * control characters: the printable Latin-1 bytes keep their own code point, the other 68 take
 * U+0100… in byte order. The array's order (printable ranges first) is also the order of the first
 * 256 vocabulary entries.
 */
function byteTable(): { order: number[]; chars: string[] } {
  const order: number[] = [];
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  for (let b = 0; b < 256; b += 1) {
    if (printable(b)) order.push(b);
  }
  const chars: string[] = new Array<string>(256);
  for (const b of order) chars[b] = String.fromCharCode(b);
  let extra = 0;
  for (let b = 0; b < 256; b += 1) {
    if (!printable(b)) {
      order.push(b);
      chars[b] = String.fromCharCode(256 + extra);
      extra += 1;
    }
  }
  return { order, chars };
}

const BYTES = byteTable();
/** byte → its character in the BPE's alphabet. */
export const BYTE_CHARS: readonly string[] = BYTES.chars;
/** character of the BPE's alphabet → byte. */
export const CHAR_BYTES: ReadonlyMap<string, number> = new Map(BYTES.chars.map((c, b) => [c, b]));

/** The tables a tokenizer needs: token string → id, id → token string, merge pair → rank. */
export interface ClipBpeTables {
  readonly encoder: ReadonlyMap<string, number>;
  readonly decoder: readonly string[];
  /** `"a b"` (the two symbols joined by a space, which no symbol contains) → rank, lower first. */
  readonly ranks: ReadonlyMap<string, number>;
  readonly sotId: number;
  readonly eotId: number;
}

function parseMerges(lines: readonly string[], source: string): string[][] {
  return lines.map((line, i) => {
    const pair = line.split(/\s+/).filter((s) => s.length > 0);
    if (pair.length !== 2) throw corrupt(`${source}: merge ${i + 1} is not two symbols: ${JSON.stringify(line)}`);
    return pair;
  });
}

function corrupt(message: string, cause?: unknown): WorkerError {
  return new WorkerError('MODEL_CORRUPT', `CLIP tokenizer: ${message}`, cause === undefined ? {} : { cause });
}

/**
 * A Hugging Face `vocab.json` (token → id) as the encoder and its inverse; what is not an object of
 * non-negative integer ids is `corrupt` (each tokenizer names itself in the message).
 */
export function readVocabJson(
  json: string,
  corrupt: (message: string, cause?: unknown) => WorkerError,
): { encoder: Map<string, number>; decoder: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw corrupt('vocab.json is not JSON', cause);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw corrupt('vocab.json is not an object');
  const encoder = new Map<string, number>();
  const decoder: string[] = [];
  for (const [token, id] of Object.entries(parsed)) {
    if (!Number.isInteger(id) || (id as number) < 0) throw corrupt(`vocab.json: ${JSON.stringify(token)} has id ${String(id)}`);
    encoder.set(token, id as number);
    decoder[id as number] = token;
  }
  return { encoder, decoder };
}

function rankTable(merges: readonly string[][]): Map<string, number> {
  const ranks = new Map<string, number>();
  merges.forEach((m, i) => {
    ranks.set(`${m[0]} ${m[1]}`, i);
  });
  return ranks;
}

/**
 * The tables from open_clip's gzipped merge list. The vocabulary is derived, as open_clip derives
 * it: the 256 byte characters, the same with `</w>`, each merge's concatenation in rank order, then
 * `<start_of_text>` (49406) and `<end_of_text>` (49407).
 */
export function bpeTablesFromGz(gz: Uint8Array): ClipBpeTables {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(gunzipSync(gz));
  } catch (cause) {
    throw new WorkerError('MODEL_CORRUPT', 'CLIP tokenizer: the BPE file is not gzipped UTF-8 text', { cause });
  }
  const lines = text.split('\n');
  if (lines.length < CLIP_MERGE_COUNT + 1) throw corrupt(`the BPE file has ${lines.length} lines, fewer than ${CLIP_MERGE_COUNT + 1}`);
  const merges = parseMerges(lines.slice(1, CLIP_MERGE_COUNT + 1), 'bpe');
  const vocab = [...BYTES.order.map((b) => BYTE_CHARS[b]!)];
  vocab.push(...vocab.map((c) => c + END_OF_WORD));
  for (const m of merges) vocab.push(m[0]! + m[1]!);
  vocab.push('<start_of_text>', '<end_of_text>');
  const encoder = new Map(vocab.map((t, i) => [t, i]));
  return { encoder, decoder: vocab, ranks: rankTable(merges), sotId: vocab.length - 2, eotId: vocab.length - 1 };
}

/**
 * The tables from a Hugging Face CLIP pair: `vocab.json` (token → id, with `<|startoftext|>` and
 * `<|endoftext|>`) and `merges.txt` (a `#version` header, then one merge a line). Only the first
 * 48,894 merges count, as in open_clip and transformers' `CLIPTokenizer`.
 */
export function bpeTablesFromVocabMerges(vocabJson: string, mergesTxt: string): ClipBpeTables {
  const { encoder, decoder } = readVocabJson(vocabJson, corrupt);
  const lines = mergesTxt.split('\n');
  const start = lines[0]?.startsWith('#version') ? 1 : 0;
  const body = lines.slice(start, start + CLIP_MERGE_COUNT);
  if (body.length < CLIP_MERGE_COUNT) throw corrupt(`merges.txt has ${body.length} merges, fewer than ${CLIP_MERGE_COUNT}`);
  const merges = parseMerges(body, 'merges.txt');
  for (const m of merges) {
    if (!encoder.has(m[0]! + m[1]!)) throw corrupt(`merges.txt: ${m.join(' ')} makes a token vocab.json lacks`);
  }
  const sotId = encoder.get('<|startoftext|>');
  const eotId = encoder.get('<|endoftext|>');
  if (sotId === undefined || eotId === undefined) throw corrupt('vocab.json lacks <|startoftext|> or <|endoftext|>');
  return { encoder, decoder, ranks: rankTable(merges), sotId, eotId };
}

/**
 * One word (already in the byte alphabet) → its BPE symbols, the last carrying `</w>`: repeatedly
 * merge every occurrence, left to right, of the adjacent pair with the lowest rank, until no pair
 * has a rank or one symbol is left.
 */
export function bpeWord(word: string, ranks: ReadonlyMap<string, number>): string[] {
  const chars = [...word];
  if (chars.length === 0) return [];
  return mergeSymbols([...chars.slice(0, -1), chars[chars.length - 1]! + END_OF_WORD], ranks);
}

/**
 * The BPE loop both tokenizers share (CLIP's words end in `</w>`, RoBERTa's byte-level pieces do
 * not): merge every occurrence, left to right, of the adjacent pair with the lowest rank, until no
 * pair has a rank or one symbol is left.
 */
export function mergeSymbols(start: readonly string[], ranks: ReadonlyMap<string, number>): string[] {
  let symbols = [...start];
  while (symbols.length > 1) {
    let best = Number.POSITIVE_INFINITY;
    let first = '';
    let second = '';
    for (let i = 0; i + 1 < symbols.length; i += 1) {
      const rank = ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
      if (rank !== undefined && rank < best) {
        best = rank;
        first = symbols[i]!;
        second = symbols[i + 1]!;
      }
    }
    if (best === Number.POSITIVE_INFINITY) break;
    const merged: string[] = [];
    for (let i = 0; i < symbols.length; ) {
      if (symbols[i] === first && symbols[i + 1] === second) {
        merged.push(first + second);
        i += 2;
      } else {
        merged.push(symbols[i]!);
        i += 1;
      }
    }
    symbols = merged;
  }
  return symbols;
}
