import { describe, expect, it } from 'vitest';
import { isWorkerError } from '../errors.js';
import { globMatcher, parseModelsSpec } from './spec.js';

describe('parseModelsSpec', () => {
  it('parses repos, revisions and glob lists separated by commas', () => {
    expect(parseModelsSpec('acme/a, acme/b@v2:*.onnx,*.json, acme/c@0123456789abcdef0123456789abcdef01234567')).toEqual([
      { repo: 'acme/a', revision: 'main', globs: [] },
      { repo: 'acme/b', revision: 'v2', globs: ['*.onnx', '*.json'] },
      { repo: 'acme/c', revision: '0123456789abcdef0123456789abcdef01234567', globs: [] },
    ]);
  });

  it('takes ; or new lines as unambiguous repo separators (for literal dir/file globs)', () => {
    expect(parseModelsSpec('acme/a:onnx/model.onnx,config.json;\nacme/b')).toEqual([
      { repo: 'acme/a', revision: 'main', globs: ['onnx/model.onnx', 'config.json'] },
      { repo: 'acme/b', revision: 'main', globs: [] },
    ]);
  });

  it('merges a repo listed twice and is empty for an unset variable', () => {
    expect(parseModelsSpec('acme/a:*.json,acme/a:onnx/*')).toEqual([{ repo: 'acme/a', revision: 'main', globs: ['*.json', 'onnx/*'] }]);
    expect(parseModelsSpec(undefined)).toEqual([]);
    expect(parseModelsSpec('  ')).toEqual([]);
  });

  it.each(['acme', 'acme/a/b', '../x/y', 'acme/a@', 'acme/a:', 'acme/a@main,acme/a@v2', 'a--b/c'])(
    'rejects %j with INVALID_INPUT',
    (bad) => {
      let err: unknown;
      try {
        parseModelsSpec(bad);
      } catch (e) {
        err = e;
      }
      expect(isWorkerError(err) && err.code).toBe('INVALID_INPUT');
    },
  );
});

describe('globMatcher (fnmatch, as huggingface_hub allow_patterns)', () => {
  it('lets * cross directories, supports ? and classes, and treats dir/ as everything below', () => {
    const m = globMatcher(['*.onnx', 'tok?nizer.json', 'weights/', 'v[0-9].bin']);
    expect(['onnx/model.onnx', 'model.onnx', 'tokenizer.json', 'weights/a/b.bin', 'v3.bin'].every(m)).toBe(true);
    expect(['model.onnx.data', 'config.json', 'weightsx', 'vx.bin'].some(m)).toBe(false);
    expect(globMatcher([])('anything')).toBe(true);
  });
});
