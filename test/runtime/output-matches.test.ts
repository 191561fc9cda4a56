import { expect, it } from 'vitest';
import { outputMismatches } from '../../src/runtime/output-matches.js';

it('--test_output compares only the keys it gives, each deep-equal', () => {
  const output = { mime: 'audio/wav', seed: 3, timings_ms: { total: 812 }, warnings: [] };
  expect(outputMismatches({ mime: 'audio/wav', seed: 3 }, output)).toEqual([]);
  expect(outputMismatches({ mime: 'audio/wav', warnings: [] }, output)).toEqual([]);
  expect(outputMismatches({ mime: 'video/mp4', seed: 3 }, output)).toEqual(['mime']);
  expect(outputMismatches({ timings_ms: {} }, output)).toEqual(['timings_ms']);
  expect(outputMismatches({ missing: null }, output)).toEqual(['missing']);
  expect(outputMismatches([1, 2], [1, 2])).toEqual([]);
  expect(outputMismatches('a', 'b')).toEqual(['']);
  expect(outputMismatches({ a: 1 }, [1])).toEqual(['']);
});
