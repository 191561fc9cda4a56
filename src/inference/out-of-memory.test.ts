import { describe, expect, it } from 'vitest';
import { isWorkerError } from '../errors.js';
import { isOutOfMemory, retryOnOutOfMemory } from './out-of-memory.js';

const oom = (): Error =>
  new Error('[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Failed to allocate memory for requested buffer of size 17592186044416');

describe('retryOnOutOfMemory', () => {
  const base = {
    smaller: (n: number) => (n > 1 ? Math.floor(n / 2) : undefined),
    exhausted: (n: number, retried: boolean) => ({ message: `no memory at ${n} (${retried ? 'retried' : 'first'})`, details: { size: n } }),
  };

  it('recognises ORT and CUDA out-of-memory messages, nothing else', () => {
    expect(
      [oom(), new Error('CUDA_ERROR_OUT_OF_MEMORY'), new Error('std::bad_alloc'), 'cudaErrorMemoryAllocation'].map(isOutOfMemory),
    ).toEqual([true, true, true, true]);
    expect(isOutOfMemory(new Error('invalid dimensions'))).toBe(false);
  });

  it('runs once when it fits', async () => {
    const sizes: number[] = [];
    const out = await retryOnOutOfMemory({
      ...base,
      size: 8,
      run: async (n) => {
        sizes.push(n);
        return 'ok';
      },
    });
    expect(out).toEqual({ result: 'ok', size: 8 });
    expect(sizes).toEqual([8]);
  });

  it('retries once smaller after running out of memory, and says from what', async () => {
    const heard: unknown[] = [];
    const out = await retryOnOutOfMemory({
      ...base,
      size: 8,
      run: async (n) => {
        if (n > 4) throw oom();
        return n * 10;
      },
      onRetry: (from, to) => heard.push([from, to]),
    });
    expect(out).toEqual({ result: 40, size: 4, retriedFrom: 8 });
    expect(heard).toEqual([[8, 4]]);
  });

  it('OUT_OF_MEMORY when the smaller run fails too, or when there is nothing smaller; other errors pass through', async () => {
    const always = async (): Promise<never> => {
      throw oom();
    };
    const e1 = await retryOnOutOfMemory({ ...base, size: 8, run: always }).catch((e: unknown) => e);
    expect(isWorkerError(e1) && [e1.code, e1.message, e1.details]).toEqual(['OUT_OF_MEMORY', 'no memory at 4 (retried)', { size: 4 }]);
    const e2 = await retryOnOutOfMemory({ ...base, size: 1, run: always }).catch((e: unknown) => e);
    expect(isWorkerError(e2) && e2.message).toBe('no memory at 1 (first)');
    expect((e2 as Error).cause).toBeInstanceOf(Error);
    const other = new Error('bad input');
    await expect(retryOnOutOfMemory({ ...base, size: 8, run: () => Promise.reject(other) })).rejects.toBe(other);
  });
});
