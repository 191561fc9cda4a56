import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // forks (not vm pools): onnxruntime-node's typed arrays break across VM realms.
    pool: 'forks',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
