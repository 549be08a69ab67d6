// Vitest glue of the spec: the run it reads (the CLI's, already under way, or one built from the plan vitest
// provides), and one test per check that carries its CheckResult in task.meta for the reporters: a failed
// check fails its test, a skipped one is skipped.
import { inject, test } from 'vitest';
import type { RunPlan } from '../config/plan.js';
import type { CheckResult } from '../model/result.js';
import { ObservationSession } from '../runner/session.js';
import { startAllChecks } from './all-checks.js';
import { CheckRun } from './check-run.js';
import { providedCheckRun } from './current-run.js';

declare module 'vitest' {
  export interface ProvidedContext {
    plan: RunPlan;
  }
  export interface TaskMeta {
    result?: CheckResult;
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
    if (result.status === 'fail') throw new CheckFailed(result);
    if (result.status === 'skip') context.skip(result.message);
  });
}
