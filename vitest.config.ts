import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Fault and e2e tests spawn processes; two files at a time fits these 2-core machines.
    maxWorkers: 2,
  },
});
