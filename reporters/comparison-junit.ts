// What JUnit says about a result when there is a baseline (`run --baseline`, `diff`): a regression's failure
// names the change, and a failure that does not fail the run (`--fail-on regression`: it failed in the baseline
// too, or it is new) stays visible in the test's name and its standard error instead of passing quietly.
import type { Comparison } from '../model/comparison.js';
import type { CheckResult } from '../model/result.js';
import { change } from './comparison-console.js';

/** "regression since the baseline: TCP_OK (pass) → TCP_REFUSED (fail)", or '' when the result is none. */
export function regressionNote(result: CheckResult, comparison: Comparison | null): string {
  const item = comparison?.regressions.find((r) => r.id === result.id);
  return item === undefined ? '' : `regression since the baseline: ${change(item)}`;
}

/** Why a failed result does not fail the run: how it stood in the baseline. */
export function standingNote(result: CheckResult, comparison: Comparison | null): string {
  if (comparison === null) return 'not counted by --fail-on';
  if (comparison.stillFailing.some((r) => r.id === result.id)) return 'still failing, as in the baseline; not a regression';
  if (comparison.new.some((r) => r.id === result.id)) return 'new since the baseline, failing; not a regression';
  return 'failing; not a regression';
}
