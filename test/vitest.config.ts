import { defineConfig } from 'vitest/config';

// The project's own tests. They import TypeScript sources directly; CLI tests spawn the built dist/ (npm test builds first).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    // Built for bundlers: it imports its workflow schema as JSON without an import attribute, which Node refuses;
    // inlined, Vite loads the JSON (test/examples.test.ts validates the GitHub workflow with it).
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
