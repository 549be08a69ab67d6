import { defineConfig } from 'vitest/config';

// The project's own tests. They import TypeScript sources directly; CLI tests spawn the built dist/ (npm test builds first).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
