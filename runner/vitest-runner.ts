// vitest's own test runner (`@vitest/runner`), driven in this thread for the built-in spec and the user's specs.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { VitestRunnerConfig } from '@vitest/runner';

/**
 * vitest's test runner, the very module instance whose `test` and `describe` the specs import from 'vitest'
 * (resolved from vitest's own location, not a second copy).
 */
export async function vitestTestRunner(): Promise<typeof import('@vitest/runner')> {
  const fromVitest = createRequire(createRequire(import.meta.url).resolve('vitest/package.json'));
  return import(pathToFileURL(fromVitest.resolve('@vitest/runner')).href) as Promise<typeof import('@vitest/runner')>;
}

/** The runner's configuration: what both runs share, and what each sets (root, timeouts, concurrency, tags). */
export function runnerConfig(own: Pick<VitestRunnerConfig, 'root' | 'allowOnly' | 'maxConcurrency' | 'testTimeout' | 'hookTimeout' | 'tags'>): VitestRunnerConfig {
  return {
    setupFiles: [],
    name: undefined,
    passWithNoTests: true,
    testNamePattern: undefined,
    sequence: { seed: 0, hooks: 'stack', setupFiles: 'list' },
    chaiConfig: undefined,
    retry: 0,
    includeTaskLocation: false,
    tagsFilter: undefined,
    strictTags: false,
    ...own,
  };
}
