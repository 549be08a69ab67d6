// Vitest glue shared by every spec file: the run plan arrives through provide/inject, each test carries its
// CheckResult in task.meta for the reporters, and a failed check fails its test.
import { BroadcastChannel } from 'node:worker_threads';
import { inject, test } from 'vitest';
import type { RunPlan } from '../config/plan.js';
import type { CertificateTable, CheckResult } from '../model/result.js';
import { ObservationSession } from '../runner/session.js';
import { CheckRun } from './check-run.js';
import { startAllChecks } from './all-checks.js';

declare module 'vitest' {
  export interface ProvidedContext {
    plan: RunPlan;
    /** Where each check's result is posted once judged (runner/run-checks.ts listens); absent outside the CLI. */
    resultsChannel?: string;
  }
  export interface TaskMeta {
    result?: CheckResult;
    /** The certificates `result` refers to by fingerprint, described: the document's table is made of these. */
    certificates?: CertificateTable;
  }
}

let current: CheckRun | undefined;

/**
 * The run shared by all spec files of this worker (the runner uses one worker without isolation). Every check
 * starts at once, so a slow endpoint delays only its own results, whatever order the spec files run in.
 */
export function checkRun(): CheckRun {
  if (!current) {
    const plan = inject('plan');
    current = new CheckRun(plan, new ObservationSession(plan));
    postFinishedResults(current, inject('resultsChannel'));
    startAllChecks(current);
  }
  return current;
}

/** Posts every judged result to the runner, which keeps them when the run is interrupted before their tests report. */
function postFinishedResults(run: CheckRun, channelName: string | undefined): void {
  if (!channelName) return;
  const channel = new BroadcastChannel(channelName);
  // The channel must never keep the worker alive.
  channel.unref();
  run.onFinished((result) => {
    try {
      channel.postMessage({ result, certificates: run.certificates.referencedBy(result) } satisfies FinishedResult);
    } catch {
      // A result that cannot be cloned still reaches the runner through its test.
    }
  });
}

/** What a check's test, or the results channel, hands to the runner: the result and the certificates it names. */
export interface FinishedResult {
  result: CheckResult;
  certificates: CertificateTable;
}

export class CheckFailed extends Error {
  constructor(result: CheckResult) {
    super(`${result.code}: ${result.message}`);
    this.name = 'CheckFailed';
  }
}

/** One vitest test per check: it passes, fails or is skipped as the check's result says. */
export function checkTest(id: string, produce: () => Promise<CheckResult>): void {
  test(id, async (context) => {
    const result = await produce();
    context.task.meta.result = result;
    // Beside the result, not in its evidence: each run's table is made once, in the runner, from these.
    context.task.meta.certificates = checkRun().certificates.referencedBy(result);
    if (result.status === 'fail') throw new CheckFailed(result);
    if (result.status === 'skip') context.skip(result.message);
  });
}
