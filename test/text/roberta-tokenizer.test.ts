/**
 * RoBERTa's tokenizer (src/text/roberta-tokenizer.ts) against an independent, hand-written Python
 * byte-level BPE: test/fixtures/clap-text/tokenizer/, written by scripts/fixtures/make-clap-text-fixtures.py
 * over a synthetic vocabulary it trains itself (larger_clap_general's real vocab.json/merges.txt cannot
 * be fetched here), whose ids HF's own RobertaTokenizer (transformers 5.17, tokenizers backend) reproduced
 * for every case (the script's `--check-transformers`, recorded in clap-text.transformers-check.json).
 * Passing shows that the port runs GPT-2's algorithm (pattern, byte alphabet, merge loop, `<s>` … `</s>`,
 * `<pad>` padding) as both do on those files, for 240 prompts; not the real files' ids (see the fixture README).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isWorkerError } from '../../src/errors.js';
import { RobertaTokenizer } from '../../src/text/roberta-tokenizer.js';

const DIR = new URL('../fixtures/clap-text/tokenizer/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, DIR), 'utf8');
const FIXTURE = JSON.parse(read('cases.json')) as {
  about: { merges: number; vocab: number };
  cases: { prompt: string; ids: number[] }[];
  batches: { prompts: [string, string]; input_ids: number[][]; attention_mask: number[][] }[];
};
const tokenizer = RobertaTokenizer.fromVocabMerges(read('vocab.json'), read('merges.txt'));
/** What HF's RobertaTokenizer gave on the same cases. */
const HF_CHECK = JSON.parse(readFileSync(new URL('../clap-text.transformers-check.json', DIR), 'utf8')) as {
  tokenizer_cases: number;
  tokenizer_batches: number;
  tokenizer_mismatches: unknown[];
};

describe('RoBERTa tokenizer: parity with a hand-written Python byte-level BPE', () => {
  it('finds the special tokens where RoBERTa has them', () => {
    expect([tokenizer.bosId, tokenizer.padId, tokenizer.eosId, tokenizer.unkId]).toEqual([0, 1, 2, 3]);
    expect(tokenizer.vocabSize).toBe(FIXTURE.about.vocab);
  });

  it('gives the same ids for every prompt (≥ 200, ASCII and not), which are also HF’s', () => {
    expect(FIXTURE.cases.length).toBeGreaterThanOrEqual(200);
    expect(HF_CHECK).toMatchObject({ tokenizer_cases: FIXTURE.cases.length, tokenizer_batches: FIXTURE.batches.length });
    expect(HF_CHECK.tokenizer_mismatches).toEqual([]);
    const wrong = FIXTURE.cases.filter((c) => {
      const batch = tokenizer.tokenize(c.prompt);
      return JSON.stringify(Array.from(batch.ids, Number)) !== JSON.stringify(c.ids);
    });
    expect(wrong.map((c) => c.prompt)).toEqual([]);
    // The fixture exercises the merges: many prompts take fewer ids than bytes.
    const merged = FIXTURE.cases.filter((c) => c.ids.length - 2 < new TextEncoder().encode(c.prompt).length);
    expect(merged.length).toBeGreaterThan(150);
  });

  it('pads a [negative prompt, prompt] batch with <pad> to the longer row, mask 0 there (padding=True)', () => {
    for (const b of FIXTURE.batches) {
      const batch = tokenizer.tokenize(b.prompts);
      expect(batch.rows).toBe(2);
      expect(batch.length).toBe(b.input_ids[0]!.length);
      expect(Array.from(batch.ids, Number)).toEqual(b.input_ids.flat());
      expect(Array.from(batch.attentionMask, Number)).toEqual(b.attention_mask.flat());
    }
    expect(FIXTURE.batches.some((b) => b.attention_mask.flat().includes(0))).toBe(true);
  });

  it('decodes its ids back to the text', () => {
    for (const c of FIXTURE.cases) expect(tokenizer.decode(c.ids.slice(1, -1))).toBe(c.prompt);
  });

  it('cuts to maxLength only when asked, keeping </s> last', () => {
    const text = FIXTURE.cases.find((c) => c.ids.length > 8)!;
    const batch = tokenizer.tokenize(text.prompt, { maxLength: 6 });
    expect(Array.from(batch.ids, Number)).toEqual([...text.ids.slice(0, 5), tokenizer.eosId]);
    expect(() => tokenizer.tokenize('a', { maxLength: 1 })).toThrow(RangeError);
  });

  it('maps a symbol missing from the vocabulary to <unk>', () => {
    const vocab = JSON.parse(read('vocab.json')) as Record<string, number>;
    delete vocab.a;
    const partial = RobertaTokenizer.fromVocabMerges(JSON.stringify(vocab), read('merges.txt'));
    expect(partial.encode('a')).toEqual([partial.unkId]);
  });

  it('refuses a vocabulary without the special tokens, or a broken merges file, as MODEL_CORRUPT', () => {
    const vocab = JSON.parse(read('vocab.json')) as Record<string, number>;
    delete vocab['<pad>'];
    const failures = [
      () => RobertaTokenizer.fromVocabMerges(JSON.stringify(vocab), read('merges.txt')),
      () => RobertaTokenizer.fromVocabMerges('not json', read('merges.txt')),
      () => RobertaTokenizer.fromVocabMerges(read('vocab.json'), '#version: 0.2\na b c\n'),
    ];
    for (const f of failures) {
      let error: unknown;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(isWorkerError(error) && error.code === 'MODEL_CORRUPT').toBe(true);
    }
  });
});
