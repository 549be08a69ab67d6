import type { CheckKind, Code, Status } from './codes.js';

/** Evidence is what a probe observed; plain JSON so it crosses the worker boundary and lands in reports as is. */
export type Evidence = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One result per check (shared/interface.md, "JSON result document"). */
export interface CheckResult {
  /** Stable across runs for the same check: diff and --baseline pair results by it. */
  id: string;
  check: CheckKind;
  host: string;
  /** IP literal as text, IPv6 without brackets; null where the check is not tied to one address. */
  address: string | null;
  port: number | null;
  url: string | null;
  status: Status;
  code: Code;
  /** One line a person can act on. */
  message: string;
  /** What to change, and where; empty when nothing needs changing. */
  remediation: string;
  durationMs: number;
  evidence: Evidence;
}

export interface RunSummary {
  total: number;
  passed: number;
  failed: number;
  warned: number;
  skipped: number;
}

export interface RunDocument {
  schemaVersion: 1;
  tool: { name: 'egress-preflight'; version: string };
  host: { hostname: string; platform: string };
  profile: string;
  startedAt: string;
  durationMs: number;
  summary: RunSummary;
  /** Present, and true, when the run was interrupted: results then hold only the checks that had finished. */
  interrupted?: true;
  results: CheckResult[];
}

export function summarize(results: readonly CheckResult[]): RunSummary {
  const summary: RunSummary = { total: results.length, passed: 0, failed: 0, warned: 0, skipped: 0 };
  for (const r of results) {
    if (r.status === 'pass') summary.passed++;
    else if (r.status === 'fail') summary.failed++;
    else if (r.status === 'warn') summary.warned++;
    else summary.skipped++;
  }
  return summary;
}
