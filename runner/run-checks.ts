// Runs a plan's checks in this thread: the observation session and every check start the moment the plan exists,
// before any spec code or vitest loads; then the spec (specs/checks.spec.ts, a real vitest spec) is collected and
// run by vitest's own test runner (@vitest/runner) here too, reading the same CheckRun, and each endpoint
// test's CheckResults are collected from its task.meta. No worker thread, no RPC per test: vitest's node side
// (Vite, the pools, `vitest/node`) is not loaded at all.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { File as RunnerTestFile, Task as RunnerTask, Test as RunnerTest, VitestRunner, VitestRunnerConfig } from '@vitest/runner';
import type { RunPlan } from '../config/plan.js';
import { CHECK_KINDS } from '../model/codes.js';
import type { CertificateTable, CheckResult } from '../model/result.js';
import { startAllChecks } from '../specs/all-checks.js';
import { CheckRun } from '../specs/check-run.js';
import { provideCheckRun } from '../specs/current-run.js';
import type { RunListener } from './run-events.js';
import { ObservationSession } from './session.js';
import { runnerConfig, vitestTestRunner } from './vitest-runner.js';
import { runUserSpecs } from './user-spec-run.js';
import type { UserSpecs } from './user-specs.js';

/** What a run may add to the plan's checks: the user's spec files (--specs), an observer of its progress. */
export interface RunExtras {
  specs?: UserSpecs | undefined;
  listener?: RunListener | undefined;
}

export interface ChecksOutcome {
  results: CheckResult[];
  /** The certificates the results refer to by fingerprint, each described once. */
  certificates: CertificateTable;
  /** Failures of the tool itself (a check that crashed): the run exits 3, with the results it has. */
  internalErrors: string[];
  /** The run was interrupted: `results` are the checks that had finished; the others did not run. */
  interrupted: boolean;
}

/** The compiled tree (dist/), where the spec lives. */
const distRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SPEC_FILE = path.join(distRoot, 'specs', 'checks.spec.js');

/** Runs the checks; when `interrupt` fires, returns at once with the checks finished so far. */
export async function runChecks(plan: RunPlan, interrupt?: AbortSignal, extras: RunExtras = {}): Promise<ChecksOutcome> {
  if (plan.checks.length === 0 && !extras.specs) return { results: [], certificates: {}, internalErrors: [], interrupted: false };
  const internalErrors: string[] = [];
  // In this thread a crash no test catches would end the process with a stack; it is the tool's failure instead.
  const onUnhandled = (error: unknown) => void internalErrors.push(error instanceof Error ? error.message : String(error));
  process.on('unhandledRejection', onUnhandled);
  const session = new ObservationSession(plan);
  const run = new CheckRun(plan, session);
  // Every check's result as soon as it is judged: a check may finish long before its test reports, and Ctrl-C
  // must not lose it. Prerequisites of kinds the plan leaves out (tcp under --only tls) are not reported.
  const judged = new Map<string, CheckResult>();
  const { listener } = extras;
  const reported = (check: CheckResult['check']) => (plan.checks as readonly string[]).includes(check);
  run.onFinished((result) => {
    if (!reported(result.check)) return;
    judged.set(result.id, result);
    listener?.finished?.(result);
  });
  if (listener?.started) run.onStarted((subject) => reported(subject.check) && listener.started?.(subject));
  // The user's tests, as they finish: kept for Ctrl-C like the built-in results.
  const specResults: CheckResult[] = [];
  const specListener: RunListener = {
    started: (check) => listener?.started?.(check),
    finished: (result) => {
      specResults.push(result);
      listener?.finished?.(result);
    },
  };
  // A kind whose targets cannot be found fails a test of its own in the spec, which reports it.
  void startAllChecks(run).catch(() => {});
  const interrupted = new Promise<ChecksOutcome>((resolve) => interrupt?.addEventListener('abort', () => {
    const results = [...orderResults([...judged.values()], plan), ...specResults];
    resolve({ results, certificates: certificatesOf(run, results), internalErrors: [], interrupted: true });
  }, { once: true }));
  try {
    const all = async (): Promise<ChecksOutcome> => {
      const builtIn = await runSpec(run, internalErrors);
      if (!extras.specs) return builtIn;
      // After the built-in spec (vitest's runner runs one set of files at a time), on the same observations.
      await runUserSpecs(extras.specs, run, specListener);
      return { ...builtIn, results: [...builtIn.results, ...specResults] };
    };
    return await Promise.race([interrupted, all()]);
  } finally {
    process.removeListener('unhandledRejection', onUnhandled);
    await session.close();
  }
}

let specRuns = 0;

async function runSpec(run: CheckRun, internalErrors: string[]): Promise<ChecksOutcome> {
  if (run.plan.checks.length === 0) return { results: [], certificates: {}, internalErrors, interrupted: false };
  const { startTests } = await vitestTestRunner();
  const results: CheckResult[] = [];
  const runner: VitestRunner = {
    config: RUNNER_CONFIG,
    // A fresh instance of the spec per run (one process may run several plans); its imports stay shared.
    importFile: (file) => import(`${pathToFileURL(file).href}?run=${++specRuns}`),
  };
  provideCheckRun(run);
  let files: RunnerTestFile[];
  try {
    files = await startTests([SPEC_FILE], runner);
  } finally {
    provideCheckRun(undefined);
  }
  for (const file of files) {
    for (const error of file.result?.errors ?? []) internalErrors.push(`${path.basename(file.filepath)}: ${error.message}`);
    for (const test of testsOf(file)) {
      const { results: judged, crashed } = test.meta;
      if (judged && crashed) {
        results.push(...judged);
        internalErrors.push(...crashed);
      } else {
        internalErrors.push(`${test.name}: ${test.result?.errors?.map((e) => e.message).join('; ') || 'no result recorded'}`);
      }
    }
  }
  const ordered = orderResults(results, run.plan);
  return { results: ordered, certificates: certificatesOf(run, ordered), internalErrors, interrupted: false };
}

/** The run's certificate table, cut to what these results refer to (evidence names certificates by fingerprint). */
function certificatesOf(run: CheckRun, results: readonly CheckResult[]): CertificateTable {
  const table: CertificateTable = {};
  for (const result of results) Object.assign(table, run.certificates.referencedBy(result));
  return table;
}

const RUNNER_CONFIG: VitestRunnerConfig = runnerConfig({
  root: distRoot,
  allowOnly: false,
  // Tests only await results already in flight; the concurrency cap lives in the observation session.
  maxConcurrency: 1_000_000,
  // Every network step has its own deadline, so a test cannot hang on the network.
  testTimeout: 0,
  hookTimeout: 0,
  tags: [],
});

function* testsOf(task: RunnerTask): Generator<RunnerTest> {
  if (task.type === 'test') yield task;
  else if ('tasks' in task) for (const child of task.tasks) yield* testsOf(child);
}

/** Reports read best host by host in plan order, checks in their natural order within a host. */
function orderResults(results: CheckResult[], plan: RunPlan): CheckResult[] {
  const hostOrder = new Map(plan.endpoints.map((e, i) => [e.host, i] as const).reverse());
  const kindOrder = new Map<string, number>(CHECK_KINDS.map((kind, i) => [kind, i] as const));
  const rank = (r: CheckResult) => hostOrder.get(r.host) ?? Number.MAX_SAFE_INTEGER;
  return [...results].sort((a, b) => rank(a) - rank(b) || a.host.localeCompare(b.host)
    || (kindOrder.get(a.check) ?? 0) - (kindOrder.get(b.check) ?? 0) || a.id.localeCompare(b.id));
}
