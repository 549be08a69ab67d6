// What a run tells an observer while it runs (live progress on a terminal): each check as it starts and as it
// is judged. Optional: a run without a listener behaves exactly as before.
import type { ResultKind } from '../model/codes.js';
import type { CheckResult } from '../model/result.js';

export interface StartedCheck {
  id: string;
  check: ResultKind;
  host: string;
}

export interface RunListener {
  started?(check: StartedCheck): void;
  finished?(result: CheckResult): void;
}
