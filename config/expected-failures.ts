// `expectedFailures` (config): known, accepted findings. A failed check an entry names becomes a warning with code
// EXPECTED_FAILURE until the entry's date, and fails again after it, saying the exception expired. Nothing is
// hidden: the original code and message stay in the message, and the whole entry in the evidence. An entry that
// no failure needed is reported as a warning result of its own (check `config`), in every report: stale
// exceptions are how allow-lists rot.
import type { CheckResult, Evidence } from '../model/result.js';

export interface ExpectedFailure {
  /** The pattern over check ids as written: `*` any run of characters, `?` one character. */
  pattern: string;
  /** Which key the pattern was written under (`id` or `match`), for messages. */
  key: 'id' | 'match';
  reason: string;
  /** YYYY-MM-DD: the exception holds through this day (this machine's local date), and not after it. */
  until: string;
  /** Where the entry is written, e.g. `corp.yaml expectedFailures[0]`. */
  source: string;
}

/** How many matched ids an unused entry's evidence lists (the message gives the count). */
const MATCHES_LISTED = 20;

/**
 * Ids are not paths (`http:http://a/b`): path globs (minimatch, picomatch) would stop `*` at a slash, so the
 * pattern is read here, where `*` and `?` are the only special characters.
 */
export function idPattern(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/** A YYYY-MM-DD that names a real day (2027-02-30 does not). */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** This machine's local date as YYYY-MM-DD: a team writes "until 2027-01-31" meaning its own 31 January. */
export function localDate(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/**
 * The results with every failure an entry names turned into an expected failure (or marked expired), followed by
 * one `config` warning per entry that no failure needed. `today` is YYYY-MM-DD (localDate).
 */
export function applyExpectedFailures(results: readonly CheckResult[], entries: readonly ExpectedFailure[], today: string, reportUnused = true): CheckResult[] {
  if (entries.length === 0) return [...results];
  const patterns = entries.map((entry) => idPattern(entry.pattern));
  const matchedIds = entries.map(() => [] as string[]);
  const used = entries.map(() => false);
  const applied = results.map((result) => {
    patterns.forEach((pattern, index) => {
      if (pattern.test(result.id)) matchedIds[index]?.push(result.id);
    });
    if (result.status !== 'fail') return result;
    const index = patterns.findIndex((pattern) => pattern.test(result.id));
    const entry = entries[index];
    if (entry === undefined) return result;
    used[index] = true;
    return entry.until < today ? expired(result, entry) : accepted(result, entry);
  });
  const unused = !reportUnused ? [] : entries.flatMap((entry, index) => (used[index] ? [] : [unusedEntry(entry, matchedIds[index] ?? [])]));
  return [...applied, ...unused];
}

function entryEvidence(entry: ExpectedFailure, extra: Evidence): Evidence {
  return { [entry.key]: entry.pattern, reason: entry.reason, until: entry.until, source: entry.source, ...extra };
}

function accepted(result: CheckResult, entry: ExpectedFailure): CheckResult {
  return {
    ...result,
    status: 'warn',
    code: 'EXPECTED_FAILURE',
    message: `expected failure ${result.code}: ${result.message} (accepted until ${entry.until}: ${entry.reason})`,
    evidence: { ...result.evidence, expectedFailure: entryEvidence(entry, { originalCode: result.code, expired: false }) },
  };
}

function expired(result: CheckResult, entry: ExpectedFailure): CheckResult {
  return {
    ...result,
    message: `${result.message} (the expected-failure exception "${entry.reason}" expired on ${entry.until})`,
    evidence: { ...result.evidence, expectedFailure: entryEvidence(entry, { originalCode: result.code, expired: true }) },
  };
}

function unusedEntry(entry: ExpectedFailure, matched: readonly string[]): CheckResult {
  const named = `expectedFailures entry ${entry.key} "${entry.pattern}" (${entry.reason}, until ${entry.until})`;
  const why = matched.length === 0
    ? 'matched no check of this run'
    : `matched ${matched.length === 1 ? 'one check' : `${matched.length} checks`}, none of which failed`;
  return {
    id: `config:expectedFailures:${entry.pattern}`,
    check: 'config',
    host: 'config',
    address: null,
    port: null,
    url: null,
    status: 'warn',
    code: 'EXPECTED_FAILURE_UNUSED',
    message: `${named} ${why}`,
    remediation: matched.length === 0
      ? `Correct the pattern or remove the entry (${entry.source}); under --only, checks it names may not have run.`
      : `What it excused works now: remove the entry (${entry.source}), so that a new failure there is seen.`,
    durationMs: 0,
    evidence: entryEvidence(entry, { matched: matched.slice(0, MATCHES_LISTED), matchedCount: matched.length }),
  };
}
