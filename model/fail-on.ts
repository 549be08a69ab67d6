// What makes a run exit 1 (`--fail-on`, shared/interface.md): which statuses count against the run.
import type { Status } from './codes.js';

export const FAIL_ON_KINDS = ['failure', 'warning', 'skip', 'regression'] as const;
export type FailOnKind = (typeof FAIL_ON_KINDS)[number];

export const DEFAULT_FAIL_ON: readonly FailOnKind[] = ['failure'];

/**
 * Whether one result's status counts against the run. `warning` and `skip` are stricter gates, not other ones: a
 * pipeline that fails on warnings fails on failures too (nobody means "a warning fails the run, a failure does
 * not"). Only `regression` stands alone, as the contract says: judged against a baseline, not from a status, so
 * `--fail-on regression` by itself lets failures that were already there through.
 */
export function statusFailsRun(status: Status, failOn: readonly FailOnKind[]): boolean {
  switch (status) {
    case 'fail': return failOn.some((kind) => kind !== 'regression');
    case 'warn': return failOn.includes('warning');
    case 'skip': return failOn.includes('skip');
    case 'pass': return false;
  }
}
