import { defineConfig } from 'vitest/config';

// One test configuration for every package. Tests push real traffic through real namespaces on a
// 2-core machine: one file at a time, or they steal CPU from each other and loss thresholds flake.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
