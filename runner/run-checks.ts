// Runs the spec files of the plan's check kinds in vitest, in this process's control, and collects each
// test's CheckResult. One worker without isolation: the specs share one observation session.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BroadcastChannel } from 'node:worker_threads';
import type { TestCase, TestModule, TestSequencer, TestSpecification } from 'vitest/node';
import type { Reporter } from 'vitest/reporters';
import type { RunPlan } from '../config/plan.js';
import { CHECK_KINDS } from '../model/codes.js';
import type { CertificateTable, CheckResult } from '../model/result.js';
import type { FinishedResult } from '../specs/support.js';

export interface ChecksOutcome {
  results: CheckResult[];
  /** The certificates the results refer to by fingerprint, each described once. */
  certificates: CertificateTable;
  /** Failures of the tool itself (a spec that crashed): the run exits 3, with the results it has. */
  internalErrors: string[];
  /** The run was interrupted: `results` are the checks that had finished; the others did not run. */
  interrupted: boolean;
}

/** The compiled tree (dist/): vitest's root, so that include patterns stay relative. */
const distRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Spec files for the plan's kinds, relative to distRoot. A kind whose spec does not exist yet has no file. */
export function specFilesFor(plan: RunPlan): string[] {
  return plan.checks.map((kind) => `specs/${kind}.spec.js`).filter((file) => existsSync(path.join(distRoot, file)));
}

/** Runs the checks; when `interrupt` fires, returns at once with the checks finished so far. */
export async function runChecks(plan: RunPlan, interrupt?: AbortSignal): Promise<ChecksOutcome> {
  const collector = new ResultCollector(plan);
  const include = specFilesFor(plan);
  if (include.length === 0) return { results: [], certificates: {}, internalErrors: [], interrupted: false };
  // Every check's result as soon as it is judged (specs/support.ts posts them): a check may finish while an earlier
  // spec file still waits on a tarpit, and its own test has not even started when Ctrl-C comes.
  const channel = new BroadcastChannel(`egress-preflight-results-${randomUUID()}`);
  channel.onmessage = (event) => collector.finished((event as { data: FinishedResult }).data);
  const interrupted = new Promise<ChecksOutcome>((resolve) => interrupt?.addEventListener('abort', () => {
    resolve({ results: orderResults(collector.everyFinished(), plan), certificates: collector.certificates, internalErrors: [], interrupted: true });
  }, { once: true }));
  try {
    return await Promise.race([interrupted, runVitest(plan, include, collector, String(channel.name))]);
  } finally {
    channel.close();
  }
}

async function runVitest(plan: RunPlan, include: string[], collector: ResultCollector, resultsChannel: string): Promise<ChecksOutcome> {
  const savedExitCode = process.exitCode;
  // Imported here, not at the top: the CLI's other commands and its argument errors need no vitest.
  const { createVitest } = await import('vitest/node');
  const ownListeners = new Set(process.listeners('SIGINT'));
  const vitest = await createVitest('test', {
    root: distRoot,
    config: false,
    include,
    watch: false,
    pool: 'threads',
    maxWorkers: 1,
    isolate: false,
    fileParallelism: false,
    // Tests only await results already in flight; the concurrency cap lives in the observation session.
    maxConcurrency: 1_000_000,
    // Every network step has its own deadline, so a test cannot hang on the network.
    testTimeout: 0,
    passWithNoTests: true,
    // The specs are compiled JavaScript: Node's own import loads them faster than Vite's module runner.
    experimental: { viteModuleRunner: false, nodeLoader: false },
    // dns first: its spec loads no certificate code, so the first probes start soonest.
    sequence: { sequencer: CheckKindSequencer },
    provide: { plan, resultsChannel },
    reporters: [collector],
  });
  // vitest exits the process on Ctrl-C; the CLI handles it instead, writing what has finished.
  for (const listener of process.listeners('SIGINT')) if (!ownListeners.has(listener)) process.removeListener('SIGINT', listener);
  try {
    await vitest.start();
  } finally {
    await vitest.close();
  }
  process.exitCode = savedExitCode; // vitest sets it on failed tests; the CLI decides the exit code
  return { results: orderResults(collector.results, plan), certificates: collector.certificates, internalErrors: collector.internalErrors, interrupted: false };
}

/** Runs spec files in the order of CHECK_KINDS. */
class CheckKindSequencer implements TestSequencer {
  async shard(files: TestSpecification[]): Promise<TestSpecification[]> {
    return files;
  }

  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => CHECK_KINDS.findIndex((kind) => spec.moduleId.endsWith(`/${kind}.spec.js`));
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}

class ResultCollector implements Reporter {
  readonly results: CheckResult[] = [];
  readonly internalErrors: string[] = [];
  /** The certificates every result collected refers to, merged: a certificate seen in many results is kept once. */
  readonly certificates: CertificateTable = {};
  /** Results judged in the worker, by id, whether or not their test has reported yet. */
  private readonly judged = new Map<string, CheckResult>();

  constructor(private readonly plan: RunPlan) {}

  /** A result judged in the worker; prerequisites of kinds the plan leaves out (tcp under --only tls) have no test. */
  finished({ result, certificates }: FinishedResult): void {
    if (!this.plan.checks.includes(result.check)) return;
    this.judged.set(result.id, result);
    this.keepCertificates(certificates);
  }

  /** What the tests reported, and every other result that was judged before they could. */
  everyFinished(): CheckResult[] {
    const reported = new Set(this.results.map((result) => result.id));
    return [...this.results, ...[...this.judged.values()].filter((result) => !reported.has(result.id))];
  }

  onTestCaseResult(testCase: TestCase): void {
    const { result, certificates } = testCase.meta();
    if (result) {
      this.results.push(result);
      return this.keepCertificates(certificates ?? {});
    }
    const errors = testCase.result().errors ?? [];
    this.internalErrors.push(`${testCase.fullName}: ${errors.map((e) => e.message).join('; ') || 'no result recorded'}`);
  }

  private keepCertificates(certificates: CertificateTable): void {
    for (const [fingerprint, description] of Object.entries(certificates)) this.certificates[fingerprint] ??= description;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<{ message?: string }>): void {
    for (const module of modules) {
      for (const error of module.errors()) this.internalErrors.push(`${path.basename(module.moduleId)}: ${error.message}`);
    }
    for (const error of unhandledErrors) this.internalErrors.push(error.message ?? String(error));
  }
}

/** Reports read best host by host in plan order, checks in their natural order within a host. */
function orderResults(results: CheckResult[], plan: RunPlan): CheckResult[] {
  const hostOrder = new Map(plan.endpoints.map((e, i) => [e.host, i] as const).reverse());
  const kindOrder = new Map(CHECK_KINDS.map((kind, i) => [kind, i] as const));
  const rank = (r: CheckResult) => hostOrder.get(r.host) ?? Number.MAX_SAFE_INTEGER;
  return [...results].sort((a, b) => rank(a) - rank(b) || a.host.localeCompare(b.host)
    || (kindOrder.get(a.check) ?? 0) - (kindOrder.get(b.check) ?? 0) || a.id.localeCompare(b.id));
}
