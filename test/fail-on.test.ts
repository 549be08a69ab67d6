// --fail-on: which statuses count against the run. The stricter gates include failures; regression stands alone.
import { describe, expect, it } from 'vitest';
import { DEFAULT_FAIL_ON, statusFailsRun } from '../model/fail-on.js';

describe('statusFailsRun', () => {
  it('by default only a failure counts', () => {
    expect(['pass', 'fail', 'warn', 'skip'].map((s) => statusFailsRun(s as never, DEFAULT_FAIL_ON))).toEqual([false, true, false, false]);
  });

  it('warning and skip add to failures, never replace them', () => {
    expect(statusFailsRun('fail', ['warning'])).toBe(true);
    expect(statusFailsRun('warn', ['warning'])).toBe(true);
    expect(statusFailsRun('skip', ['warning'])).toBe(false);
    expect(statusFailsRun('fail', ['skip'])).toBe(true);
    expect(statusFailsRun('skip', ['skip'])).toBe(true);
    expect(statusFailsRun('warn', ['skip'])).toBe(false);
  });

  it('regression alone lets a failure that is not a regression through (judged against the baseline elsewhere)', () => {
    expect(statusFailsRun('fail', ['regression'])).toBe(false);
    expect(statusFailsRun('fail', ['regression', 'failure'])).toBe(true);
  });
});
