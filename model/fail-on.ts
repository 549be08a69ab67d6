// What makes a run exit 1 (`--fail-on`, shared/interface.md): which statuses count against the run.
import type { Status } from './codes.js';

export const FAIL_ON_KINDS = ['failure', 'warning', 'skip', 'regression'] as const;
export type FailOnKind = (typeof FAIL_ON_KINDS)[number];

export const DEFAULT_FAIL_ON: readonly FailOnKind[] = ['failure'];

/**
 * Whether one result's status counts against the run. `regression` is judged against a baseline, not from a
 * status alone, so it adds nothing here: `--fail-on regression` by itself lets plain failures through.
 */
export function statusFailsRun(status: Status, failOn: readonly FailOnKind[]): boolean {
  switch (status) {
    case 'fail': return failOn.includes('failure');
    case 'warn': return failOn.includes('warning');
    case 'skip': return failOn.includes('skip');
    case 'pass': return false;
  }
}
