// The console of `preflight merge`: which runner cannot reach what, at a glance. The runners (R1, R2, …, named in a
// legend) and the endpoint hosts make a matrix whose cells hold the worst status of that runner's checks of that
// host; then each runner's failures, one line each. Runner and host names come from files that may come from
// anywhere: shown escaped.
//
// Fitting 80 columns: runners are the columns while they fit beside the host names; with more runners than fit, the
// matrix is turned (hosts become the columns, H1, H2, … in a legend) when that fits better, and what still does not
// fit is cut into blocks of columns, each with its own heading.
import type { Status } from '../model/codes.js';
import { statusFailsRun, type FailOnKind } from '../model/fail-on.js';
import type { MergedDocument } from '../model/merge.js';
import type { CheckResult } from '../model/result.js';
import { terminalSafe } from './text.js';

export interface MatrixOptions {
  width?: number;
  failOn: readonly FailOnKind[];
  /** Sections of other reporters (service tags), shown before the totals. */
  sections?: readonly string[];
}

/** Checks about the machine itself, not an endpoint: one column of their own. */
const MACHINE_CHECKS: ReadonlySet<string> = new Set(['clock', 'proxy']);
export const MACHINE = '(this machine)';
/** Worst first: a failure hides the rest, and a check that did not run is worse than one that passed. */
export const SEVERITY: Readonly<Record<Status, number>> = { fail: 3, warn: 2, skip: 1, pass: 0 };
const CELL: Readonly<Record<Status, string>> = { fail: 'FAIL', warn: 'warn', skip: 'skip', pass: 'pass' };
const CELL_WIDTH = 5;
const LABEL_MAX = 36;
/** Failures listed per runner before "and N more". */
const FAILURES_SHOWN = 10;

export function renderMatrixConsole(doc: MergedDocument, options: MatrixOptions): string {
  const width = Math.max(40, options.width ?? 80);
  const runners = doc.runners.map((r) => r.name);
  const hosts = [...new Set(doc.results.map(endpointOf))];
  const worst = worstByCell(doc.results);
  const failedRunners = doc.runners.filter((r) => doc.results.some((x) => x.runner === r.name && statusFailsRun(x.status, options.failOn)));
  const lines = [
    `${terminalSafe(doc.tool.name)} ${terminalSafe(doc.tool.version)} · merge of ${count(runners.length, 'runner')} · ${count(doc.summary.total, 'check')} on ${count(hosts.length, 'host')}`,
    '',
    'Runners',
    ...doc.runners.map((r, i) => cut(`  R${i + 1}  ${r.name}  ${summaryText(r.summary)} · ${r.profile} · ${r.startedAt}`, width)),
    '',
    'Worst status per runner and endpoint host',
    ...matrix(runners, hosts, (runner, host) => worst.get(cellKey(runner, host)), width),
    ...failureSection(doc, options.failOn, width),
    ...(options.sections ?? []).map((section) => section.replace(/\n$/, '')),
    '',
    `${failedRunners.length} of ${count(runners.length, 'runner')} with failures`,
    `${doc.summary.passed} passed, ${doc.summary.failed} failed, ${doc.summary.warned} warned, ${doc.summary.skipped} skipped`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The endpoint host a result belongs to in the matrix; the machine's own checks share one column. */
export function endpointOf(result: CheckResult): string {
  return MACHINE_CHECKS.has(result.check) ? MACHINE : result.host;
}

export function cellKey(runner: string, host: string): string {
  return `${runner}\n${host}`;
}

export function worstByCell(results: readonly CheckResult[]): Map<string, Status> {
  const worst = new Map<string, Status>();
  for (const result of results) {
    const key = cellKey(result.runner ?? '', endpointOf(result));
    const before = worst.get(key);
    if (before === undefined || SEVERITY[result.status] > SEVERITY[before]) worst.set(key, result.status);
  }
  return worst;
}

/**
 * Rows × columns, runners as columns when they fit, else whichever way needs fewer blocks; columns are numbered
 * (R1…, H1…) and a long row label is shortened in the middle, where names differ least.
 */
function matrix(runners: readonly string[], hosts: readonly string[], cell: (runner: string, host: string) => Status | undefined, width: number): string[] {
  const fits = (labels: readonly string[]) => Math.max(1, Math.floor((width - 2 - labelWidth(labels, width)) / CELL_WIDTH));
  const runnersAsColumns = runners.length <= fits(hosts) || Math.ceil(runners.length / fits(hosts)) <= Math.ceil(hosts.length / fits(runners));
  const rows = runnersAsColumns ? hosts : runners;
  const columns = runnersAsColumns ? runners : hosts;
  const prefix = runnersAsColumns ? 'R' : 'H';
  const perBlock = fits(rows);
  // The labels get whatever the columns of a block leave, so that few columns leave names whole.
  const rowWidth = Math.max(labelWidth(rows, width), Math.min(longestLabel(rows) + 1, width - 2 - Math.min(perBlock, columns.length) * CELL_WIDTH));
  const lines: string[] = [];
  if (!runnersAsColumns) lines.push(...hosts.map((host, i) => cut(`  H${i + 1}  ${terminalSafe(host)}`, width)));
  for (let start = 0; start < columns.length; start += perBlock) {
    const block = columns.slice(start, start + perBlock);
    const heading = block.map((_, i) => `${prefix}${start + i + 1}`.padStart(CELL_WIDTH)).join('');
    lines.push(`  ${''.padEnd(rowWidth)}${heading}`.trimEnd());
    for (const row of rows) {
      const cells = block.map((column) => {
        const status = runnersAsColumns ? cell(column, row) : cell(row, column);
        return (status === undefined ? '-' : CELL[status]).padStart(CELL_WIDTH);
      });
      lines.push(`  ${abbreviate(terminalSafe(row), rowWidth).padEnd(rowWidth)}${cells.join('')}`.trimEnd());
    }
  }
  return lines;
}

/** The row label column, one space after the label included, as wide as the labels but at most LABEL_MAX. */
function labelWidth(labels: readonly string[], width: number): number {
  return Math.min(longestLabel(labels), LABEL_MAX, Math.max(8, width - 2 - CELL_WIDTH * 2)) + 1;
}

function longestLabel(labels: readonly string[]): number {
  return Math.max(4, ...labels.map((label) => Array.from(terminalSafe(label)).length));
}

/**
 * A name too long for its column, shortened where names of one fleet differ least: most of the start is kept
 * (connector-server-08…) and the end (….contoso.example), the middle goes.
 */
function abbreviate(text: string, room: number): string {
  const max = room - 1;
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const head = Math.ceil(((max - 1) * 2) / 3);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (max - 1 - head)).join('')}`;
}

function failureSection(doc: MergedDocument, failOn: readonly FailOnKind[], width: number): string[] {
  const lines: string[] = [];
  for (const runner of doc.runners) {
    const failing = doc.results.filter((r) => r.runner === runner.name && statusFailsRun(r.status, failOn));
    if (failing.length === 0) continue;
    lines.push('', `Failures on ${terminalSafe(runner.name)} (${failing.length})`);
    for (const result of failing.slice(0, FAILURES_SHOWN)) {
      const id = result.id.startsWith(`${runner.name}/`) ? result.id.slice(runner.name.length + 1) : result.id;
      lines.push(cut(`  ${CELL[result.status]} ${id}  ${result.code}`, width), cut(`      ${result.message}`, width));
    }
    if (failing.length > FAILURES_SHOWN) lines.push(`  … and ${failing.length - FAILURES_SHOWN} more (see the JSON or JUnit report)`);
  }
  return lines;
}

function summaryText(summary: MergedDocument['summary']): string {
  return `${summary.passed} passed, ${summary.failed} failed, ${summary.warned} warned, ${summary.skipped} skipped`;
}

/** One terminal-safe line of at most `width` columns: line breaks in server text become spaces, then escapes. */
function cut(text: string, width: number): string {
  const chars = Array.from(terminalSafe(text.replace(/[\r\n\t\u2028\u2029]+/g, ' ')));
  return chars.length <= width ? chars.join('') : `${chars.slice(0, width - 1).join('')}…`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
