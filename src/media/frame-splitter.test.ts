import { describe, expect, it } from 'vitest';
import { FrameSplitter } from './frame-splitter.js';

const bytes = (from: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => from + i);

describe('FrameSplitter', () => {
  it('cuts chunks of any length into whole frames, across chunk boundaries, and says what is left over', () => {
    const s = new FrameSplitter(4, true);
    const got: number[][] = [];
    for (const chunk of [bytes(0, 3), bytes(3, 6), bytes(9, 1), bytes(10, 3)]) for (const f of s.take(chunk)) got.push([...f]);
    expect(got).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ]);
    expect(s.partial).toBe(1);
  });

  it('own frames are new buffers; shared frames are one buffer reused', () => {
    const own = [...new FrameSplitter(2, true).take(bytes(0, 4))];
    expect(own[0]).not.toBe(own[1]);
    const shared = new FrameSplitter(2, false);
    const seen: Uint8Array[] = [];
    for (const f of shared.take(bytes(0, 4))) seen.push(f);
    expect(seen[0]).toBe(seen[1]);
  });

  it('stopping early drops the rest of the chunk', () => {
    const s = new FrameSplitter(2, true);
    for (const f of s.take(bytes(0, 7))) {
      expect([...f]).toEqual([0, 1]);
      break;
    }
    expect(s.partial).toBe(0);
  });
});
