// The shape of the JSON `comparison` block (shared/interface.md): apart from model/comparison.ts, which fills it,
// so that model/result.ts can name it without importing the pairing (and the pairing imports the results).
import type { Code, ResultKind, Status } from './codes.js';

export interface StatusAndCode {
  status: Status;
  code: Code;
}

export interface ComparisonItem {
  id: string;
  check: ResultKind;
  host: string;
  before: StatusAndCode | null;
  after: StatusAndCode | null;
}

/** The JSON `comparison` block (shared/interface.md). */
export interface Comparison {
  baseline: { startedAt: string; hostname: string };
  regressions: ComparisonItem[];
  fixed: ComparisonItem[];
  stillFailing: ComparisonItem[];
  new: ComparisonItem[];
  gone: ComparisonItem[];
  untested: ComparisonItem[];
}
