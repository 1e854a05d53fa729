import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Component/e2e tests bind real ports and spawn peers; two workers match the 2-core CI box.
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
