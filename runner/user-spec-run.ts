// Runs the user's compiled spec files (runner/user-specs.ts) with vitest's own test runner, in this thread, after
// the built-in spec and against the same CheckRun: their helpers read the run's observation session, so a name
// the profile also checks is resolved once. Every test becomes a result of kind `spec`; a test that throws is a
// failed result with the error's message, never a crash of the tool.
import { pathToFileURL } from 'node:url';
import type { File as RunnerFile, Task as RunnerTask, Test as RunnerTest, VitestRunner, VitestRunnerConfig } from '@vitest/runner';
import type { Code, Status } from '../model/codes.js';
import type { CheckResult } from '../model/result.js';
import type { CheckRun } from '../specs/check-run.js';
import { provideCheckRun } from '../specs/current-run.js';
import type { RunListener } from './run-events.js';
import { runnerConfig, vitestTestRunner } from './vitest-runner.js';
import type { CompiledSpec, UserSpecs } from './user-specs.js';

/**
 * A user's test has this long: unlike the built-in checks, its code may wait on anything. Every network step it
 * takes through the helpers has its own deadline, far shorter.
 */
export const USER_TEST_TIMEOUT_MS = 120_000;

/** The tag a spec puts on a test that fails in `preflight lab` by design (lab/self-check.ts accepts its failure). */
export const FAILS_IN_LAB_TAG = 'fails-in-lab';

export interface UserSpecOutcome {
  results: CheckResult[];
}

export async function runUserSpecs(specs: UserSpecs, run: CheckRun, listener: RunListener = {}): Promise<UserSpecOutcome> {
  const { startTests } = await vitestTestRunner();
  const byCompiled = new Map(specs.files.map((file) => [file.compiled, file] as const));
  const ids = new Set<string>();
  const results: CheckResult[] = [];
  const record = (result: CheckResult) => {
    results.push(result);
    listener.finished?.(result);
  };
  const runner: VitestRunner = {
    config: { ...RUNNER_CONFIG, root: specs.dir },
    importFile: (file) => import(pathToFileURL(file).href),
    onBeforeRunTask: (test) => {
      const spec = byCompiled.get(test.file.filepath);
      if (spec) listener.started?.({ id: test.fullTestName ?? test.name, check: 'spec', host: spec.display });
    },
    // Each test's result the moment it ends: live progress, and Ctrl-C keeps what finished.
    onAfterRunTask: (test) => {
      const spec = byCompiled.get(test.file.filepath);
      if (spec) record(testResult(test, spec, ids));
    },
  };
  await pinExpectTestPath(specs.dir);
  provideCheckRun(run);
  let files: RunnerFile[];
  try {
    files = await startTests(specs.files.map((file) => file.compiled), runner);
  } finally {
    provideCheckRun(undefined);
  }
  // Errors outside any test (the file threw while loading, a beforeAll hook failed): a failed result each.
  for (const file of files) {
    const spec = byCompiled.get(file.filepath);
    if (spec) for (const task of tasksWithOwnErrors(file)) record(taskErrorResult(task, spec, ids));
  }
  return { results };
}

/** A test's result: its id is its full name (suites > test), unique in the run. */
function testResult(test: RunnerTest, spec: CompiledSpec, ids: Set<string>): CheckResult {
  const name = test.fullTestName ?? test.name;
  const state = test.result?.state;
  const errors = test.result?.errors ?? [];
  const [status, code, message]: [Status, Code, string] =
    state === 'pass' ? ['pass', 'SPEC_OK', `passed: ${name}`]
      : state === 'fail' ? ['fail', 'SPEC_FAILED', errors.map((error) => errorText(error)).join('; ') || 'failed without an error message']
        : ['skip', 'SPEC_SKIPPED', test.mode === 'todo' ? `not run: marked todo in ${spec.display}` : `not run: skipped by the spec (${spec.display})`];
  return {
    id: uniqueId(ids, name, spec),
    check: 'spec',
    host: spec.display,
    address: null,
    port: null,
    url: null,
    status,
    code,
    message,
    remediation: status === 'fail' ? `A check your team wrote: see "${name}" in ${spec.display} for what it expects of the network.` : '',
    durationMs: Math.max(0, Math.round(test.result?.duration ?? 0)),
    evidence: { file: spec.display, test: name, tags: [...(test.tags ?? [])] },
  };
}

function taskErrorResult(task: RunnerTask, spec: CompiledSpec, ids: Set<string>): CheckResult {
  const where = task.type === 'suite' && task.fullTestName ? task.fullTestName : spec.display;
  const what = task.type === 'suite' && task.fullTestName ? 'a hook of this suite failed' : 'the spec file failed to load';
  const message = `${what}: ${(task.result?.errors ?? []).map((error) => errorText(error)).join('; ')}`;
  return {
    id: uniqueId(ids, where, spec),
    check: 'spec',
    host: spec.display,
    address: null,
    port: null,
    url: null,
    status: 'fail',
    code: 'SPEC_FAILED',
    message,
    remediation: `Fix ${spec.display}: its tests could not run as written.`,
    durationMs: 0,
    evidence: { file: spec.display, test: null, tags: [] },
  };
}

function* tasksWithOwnErrors(task: RunnerTask): Generator<RunnerTask> {
  if (task.type === 'test') return;
  if ((task.result?.errors ?? []).length > 0) yield task;
  for (const child of task.tasks) yield* tasksWithOwnErrors(child);
}

/** Two files may hold tests of the same full name: the later one is told apart by its file. */
function uniqueId(ids: Set<string>, name: string, spec: CompiledSpec): string {
  let id = ids.has(name) ? `${name} [${spec.display}]` : name;
  for (let n = 2; ids.has(id); n++) id = `${name} [${spec.display} #${n}]`;
  ids.add(id);
  return id;
}

/** "AssertionError: expected …" reads as what failed; a plain Error's name adds nothing. */
function errorText(error: { name?: string; message?: string }): string {
  const message = error.message ?? '';
  return error.name && error.name !== 'Error' && error.name !== 'AssertionError' ? `${error.name}: ${message}` : message;
}

/**
 * vitest's `expect` reads the test file's path from the state of a vitest worker, which this process is not: a
 * custom matcher (ours, or one the spec adds with expect.extend) would throw "Vitest failed to access its internal
 * state" instead of judging. The path is given as a plain value instead (matchers only show it).
 */
async function pinExpectTestPath(dir: string): Promise<void> {
  const { expect } = await import('vitest');
  Object.defineProperty(expect.getState(), 'testPath', { value: dir, configurable: true, writable: true, enumerable: true });
}

const RUNNER_CONFIG: VitestRunnerConfig = runnerConfig({
  root: '',
  allowOnly: true,
  maxConcurrency: 5,
  testTimeout: USER_TEST_TIMEOUT_MS,
  hookTimeout: USER_TEST_TIMEOUT_MS,
  tags: [{ name: FAILS_IN_LAB_TAG, description: 'fails in `preflight lab` by design: the lab network simulates the fault this test detects' }],
});
