// What `watch` observes over a change window, pure: each round compared with the one before it (the first with
// the baseline), the changes as timed events, and at the end how the last round stands against the baseline.
// Events, from compareRuns of the previous round with this one:
// - regression: did not fail in the previous round, fails now (or: a regression against the baseline that was not
//   open in the previous round, e.g. the check was untested then); - fixed: failed in the previous round, not now;
// - changed: fails in both, with another code;                   - new: a check the previous round did not have,
//   failing (new passing checks, e.g. a CDN's rotating addresses, are counted in the round, not announced);
// - flapping: once per check, when its regressions and fixes reach FLAPPING_FLIPS: it comes and goes.
import { compareRuns, failingRegressions, type BaselineRun, type Comparison, type ComparisonItem, type StatusAndCode } from './comparison.js';
import type { CheckResult, RunSummary } from './result.js';
import { summarize } from './result.js';

/** fail, fix, fail: a check that changed three times in one window is flapping, not being fixed. */
export const FLAPPING_FLIPS = 3;

export type WatchEventKind = 'regression' | 'fixed' | 'changed' | 'new' | 'flapping';

export interface WatchEvent {
  /** ISO 8601: when the round that saw it started. */
  at: string;
  round: number;
  kind: WatchEventKind;
  id: string;
  check: CheckResult['check'];
  host: string;
  /** In the previous round (the baseline for round 1); null for `new`. */
  before: StatusAndCode | null;
  after: StatusAndCode | null;
  /** How the check stood in the baseline; null when the baseline did not have it. */
  baseline: StatusAndCode | null;
  /** The current result's message and remediation (server text: reporters make it inert). */
  message: string;
  remediation: string;
  /** For `flapping`: how many regressions and fixes so far. */
  flips?: number;
}

export interface WatchRound {
  round: number;
  startedAt: string;
  durationMs: number;
  summary: RunSummary;
}

export interface OpenRegression {
  id: string;
  check: CheckResult['check'];
  host: string;
  /** When the latest regression event of this check was seen. */
  since: string | null;
  baseline: StatusAndCode | null;
  now: StatusAndCode | null;
}

export class WatchTimeline {
  readonly rounds: WatchRound[] = [];
  readonly events: WatchEvent[] = [];
  /** The last round against the baseline; null until a round completes. */
  comparison: Comparison | null = null;
  private previous: BaselineRun;
  private readonly baselineById: ReadonlyMap<string, CheckResult>;
  private readonly flips = new Map<string, number>();
  private readonly flapping = new Set<string>();
  private readonly lastRegression = new Map<string, string>();

  constructor(private readonly baseline: BaselineRun) {
    this.previous = baseline;
    this.baselineById = new Map(baseline.results.map((r) => [r.id, r]));
  }

  /** Records one completed round; returns the events it brought, in the order to show them. */
  observe(startedAt: Date, durationMs: number, results: readonly CheckResult[]): WatchEvent[] {
    const round = this.rounds.length + 1;
    const at = startedAt.toISOString();
    this.rounds.push({ round, startedAt: at, durationMs, summary: summarize(results) });
    const since = compareRuns(this.previous, results);
    const byId = new Map(results.map((r) => [r.id, r]));
    const event = (kind: WatchEventKind, item: ComparisonItem): WatchEvent => {
      const current = byId.get(item.id);
      const base = this.baselineById.get(item.id);
      return {
        at, round, kind, id: item.id, check: item.check, host: item.host, before: item.before, after: item.after,
        baseline: base === undefined ? null : { status: base.status, code: base.code },
        message: current?.message ?? '', remediation: current?.remediation ?? '',
      };
    };
    const againstBaseline = compareRuns(this.baseline, results);
    // A check untested in the previous round (its prerequisite failed) that fails now is no regression of that
    // round, but it is one against the baseline that was not open before: announced too.
    const announced = new Set([...since.regressions.map((r) => r.id), ...(this.comparison?.regressions.map((r) => r.id) ?? [])]);
    const previousById = new Map(this.previous.results.map((r) => [r.id, r]));
    const surfaced = againstBaseline.regressions.filter((item) => !announced.has(item.id)).map((item): ComparisonItem => {
      const prior = previousById.get(item.id);
      return { ...item, before: prior === undefined ? null : { status: prior.status, code: prior.code } };
    });
    const fresh: WatchEvent[] = [
      ...[...since.regressions, ...surfaced].map((item) => event('regression', item)),
      ...since.new.filter((item) => item.after?.status === 'fail').map((item) => event('new', item)),
      ...since.stillFailing.filter((item) => item.before?.code !== item.after?.code).map((item) => event('changed', item)),
      ...since.fixed.map((item) => event('fixed', item)),
    ];
    for (const change of fresh.filter((e) => e.kind === 'regression' || e.kind === 'fixed')) {
      if (change.kind === 'regression') this.lastRegression.set(change.id, at);
      const flips = (this.flips.get(change.id) ?? 0) + 1;
      this.flips.set(change.id, flips);
      if (flips >= FLAPPING_FLIPS && !this.flapping.has(change.id)) {
        this.flapping.add(change.id);
        fresh.push({ ...change, kind: 'flapping', flips });
      }
    }
    this.events.push(...fresh);
    this.comparison = againstBaseline;
    this.previous = { startedAt: at, host: this.baseline.host, results };
    return fresh;
  }

  /** Regressions against the baseline that fail in the last round: what makes `watch` exit 1. */
  openRegressions(): OpenRegression[] {
    if (this.comparison === null) return [];
    return failingRegressions(this.comparison).map((item) => ({
      id: item.id, check: item.check, host: item.host,
      since: this.lastRegression.get(item.id) ?? null,
      baseline: item.before,
      now: item.after,
    }));
  }
}
