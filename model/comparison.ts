// Two runs side by side (`diff`, `--baseline`, `watch`): results paired by `id`, which is stable across runs for
// the same check. Pure: no files, no clock. What counts as what:
// - failing: status `fail`, or an accepted failure (code EXPECTED_FAILURE, status `warn`): the network fails it
//   either way, so an exception coming or going is not a fix or a regression of the network.
// - regression: reached a verdict before (pass or warn) without failing, and fails now. pass → warn is not one:
//   a warning does not fail a run by default, and a change window is judged by what breaks.
// - fixed: failing before, a verdict now that does not fail.
// - stillFailing: failing before and now (the code may differ).
// - new / gone: an id in only one of the two runs (`before` or `after` is then null).
// - untested (an extension of the contract's block): a verdict before, skipped now. A skip always sits behind a
//   prerequisite that stopped passing, which is itself listed; this keeps what lost its test from looking fine.
import type { Comparison, ComparisonItem } from './comparison-types.js';
import type { FailOnKind } from './fail-on.js';
import { statusFailsRun } from './fail-on.js';
import type { CheckResult } from './result.js';

export type { Comparison, ComparisonItem, StatusAndCode } from './comparison-types.js';

export const EXPECTED_FAILURE_CODE = 'EXPECTED_FAILURE';

/** What the comparison needs of the earlier run (a document as read, of either schema version). */
export interface BaselineRun {
  startedAt: string;
  host: { hostname: string };
  results: readonly CheckResult[];
}

export function isFailing(result: Pick<CheckResult, 'status' | 'code'>): boolean {
  return result.status === 'fail' || result.code === EXPECTED_FAILURE_CODE;
}

export function compareRuns(baseline: BaselineRun, current: readonly CheckResult[]): Comparison {
  const comparison: Comparison = {
    baseline: { startedAt: baseline.startedAt, hostname: baseline.host.hostname },
    regressions: [], fixed: [], stillFailing: [], new: [], gone: [], untested: [],
  };
  const before = new Map(baseline.results.map((r) => [r.id, r]));
  const seen = new Set<string>();
  for (const after of current) {
    seen.add(after.id);
    const earlier = before.get(after.id);
    if (earlier === undefined) {
      comparison.new.push(item(after, null, after));
      continue;
    }
    const list = listFor(earlier, after);
    if (list !== null) comparison[list].push(item(after, earlier, after));
  }
  for (const earlier of baseline.results) {
    if (!seen.has(earlier.id)) comparison.gone.push(item(earlier, earlier, null));
  }
  return comparison;
}

type PairList = 'regressions' | 'fixed' | 'stillFailing' | 'untested';

/** The list a pair belongs to; null when nothing changed that a change window cares about. */
function listFor(before: CheckResult, after: CheckResult): PairList | null {
  const verdictBefore = before.status !== 'skip';
  if (isFailing(before) && isFailing(after)) return 'stillFailing';
  if (isFailing(before)) return after.status === 'skip' ? null : 'fixed';
  if (!verdictBefore) return null;
  if (isFailing(after)) return 'regressions';
  return after.status === 'skip' ? 'untested' : null;
}

function item(subject: CheckResult, before: CheckResult | null, after: CheckResult | null): ComparisonItem {
  return {
    id: subject.id,
    check: subject.check,
    host: subject.host,
    before: before === null ? null : { status: before.status, code: before.code },
    after: after === null ? null : { status: after.status, code: after.code },
  };
}

/**
 * The regressions that fail a run (`--fail-on regression`, and `diff`'s exit code): those whose result fails now.
 * A regression an expectedFailures entry accepts (warn, EXPECTED_FAILURE) is listed, and does not fail it.
 */
export function failingRegressions(comparison: Comparison): ComparisonItem[] {
  return comparison.regressions.filter((r) => r.after?.status === 'fail');
}

/** Whether one result counts against the run, `--fail-on regression` judged against the comparison. */
export function resultFailsRun(result: CheckResult, failOn: readonly FailOnKind[], comparison: Comparison | null): boolean {
  if (statusFailsRun(result.status, failOn)) return true;
  if (!failOn.includes('regression') || comparison === null || result.status !== 'fail') return false;
  return comparison.regressions.some((r) => r.id === result.id);
}
