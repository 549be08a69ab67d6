// Vitest glue of the spec: the run it reads (the CLI's, already under way, or one built from the plan vitest
// provides), and the test of one endpoint, which carries its CheckResults in task.meta for the reporters.
import { inject, test } from 'vitest';
import type { RunPlan } from '../config/plan.js';
import type { CheckResult } from '../model/result.js';
import { ObservationSession } from '../runner/session.js';
import { startAllChecks } from './all-checks.js';
import { CheckRun } from './check-run.js';
import { providedCheckRun } from './current-run.js';
import type { PlannedCheck } from './registry.js';

declare module 'vitest' {
  export interface ProvidedContext {
    plan: RunPlan;
  }
  export interface TaskMeta {
    /** The endpoint's results, in the order of its checks. */
    results?: CheckResult[];
    /** Checks that threw instead of giving a result: "<id>: <message>", failures of the tool itself. */
    crashed?: string[];
  }
}

let own: CheckRun | undefined;

/**
 * The run the spec's tests read: the CLI's, whose checks all started before the spec was loaded; under
 * `vitest run`, one built from the provided plan, every check started at once so that a slow endpoint delays
 * only its own results.
 */
export function checkRun(): CheckRun {
  const provided = providedCheckRun();
  if (provided) return provided;
  if (!own) {
    const plan = inject('plan');
    own = new CheckRun(plan, new ObservationSession(plan));
    void startAllChecks(own).catch(() => {});
  }
  return own;
}

export class ChecksFailed extends Error {
  constructor(failed: readonly CheckResult[], crashed: readonly string[]) {
    // One line per failed check: its id, code and message; then each check that crashed.
    super([...failed.map((result) => `${result.id} ${result.code}: ${result.message}`), ...crashed.map((line) => `${line} (internal error)`)].join('\n'));
    this.name = 'ChecksFailed';
  }
}

/**
 * One vitest test for an endpoint's checks. Each result goes in task.meta as soon as the test ends; the test
 * fails if a check failed or crashed, is skipped if every check was, and passes otherwise (warnings pass).
 */
export function endpointTest(endpoint: string, checks: readonly PlannedCheck[]): void {
  test(endpoint, async (context) => {
    // async: a check that throws at once is caught like one that rejects.
    const settled = await Promise.allSettled(checks.map(async (check) => check.result()));
    const results = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const crashed = settled.flatMap((outcome, i) => (outcome.status === 'rejected' ? [`${checks[i]?.id}: ${messageOf(outcome.reason)}`] : []));
    context.task.meta.results = results;
    context.task.meta.crashed = crashed;
    const failed = results.filter((result) => result.status === 'fail');
    if (failed.length > 0 || crashed.length > 0) throw new ChecksFailed(failed, crashed);
    if (results.every((result) => result.status === 'skip')) context.skip(results[0]?.message);
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
