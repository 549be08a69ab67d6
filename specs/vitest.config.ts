// The built-in spec as a plain vitest run: `npx vitest run --config specs/vitest.config.ts` runs
// specs/checks.spec.ts (TypeScript, through vitest's own transform) against the lab network, or against a config
// file's plan with PREFLIGHT_CONFIG=<file> (PREFLIGHT_ONLY=<kinds> narrows it). The CLI runs the same spec in its
// own thread instead (runner/run-checks.ts); this is how a user's own spec is run and debugged the same way.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['specs/checks.spec.ts'],
    globalSetup: ['specs/plan-setup.ts'],
    // One worker without isolation: the spec file shares one observation session.
    pool: 'threads',
    maxWorkers: 1,
    isolate: false,
    // Tests only await results already in flight; every network step has its own deadline.
    maxConcurrency: 1_000_000,
    testTimeout: 0,
  },
});
