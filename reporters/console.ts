import { DEFAULT_FAIL_ON, statusFailsRun, type FailOnKind } from '../model/fail-on.js';
import type { Status } from '../model/codes.js';
import { summarize, type CheckResult, type RunDocument, type RunSummary } from '../model/result.js';
import { relateCauses, sharedDnsFailure, type CauseRelation, type SharedDnsFailure } from './causes.js';
import {
  INDENT, MARKS, consequenceLines, findingLines, painter, remediationLines, shown, textLines, type LineStyle,
} from './console-lines.js';
import { notTestedSection } from './console-skips.js';
import { comparisonLines } from './comparison-console.js';
import { everyCheckSection } from './console-verbose.js';
import { groupByHost } from './text.js';
import { DEFAULT_WIDTH, MIN_WIDTH, visibleLength, wrap } from './wrap.js';

export interface ConsoleOptions {
  /** ANSI colours; the CLI passes stdout.isTTY && !NO_COLOR. */
  color: boolean;
  /** Terminal columns to wrap at; the CLI passes the terminal's, and 80 (the default) when not a terminal. */
  width?: number;
  /** What counts against the run (`--fail-on`); the sections that do say so. */
  failOn?: readonly FailOnKind[];
  /** Sections of other reporters (e.g. service tags), shown after the host table and before the totals line. */
  sections?: readonly string[];
  /** `quiet`: what fails the run and the totals; `verbose`: every check with its evidence first (default `normal`). */
  detail?: 'quiet' | 'normal' | 'verbose';
}

/** Checks about this machine and its own configuration, not about an endpoint: they get their own section. */
const MACHINE_CHECKS: ReadonlySet<CheckResult['check']> = new Set(['clock', 'proxy']);

/** A long list of consequences shows this many, then "and N more …". */
const CONSEQUENCES_SHOWN = 5;
/** A very long host name pushes its own row out instead of widening the whole table. */
const HOST_COLUMN_MAX = 60;

interface Context extends LineStyle {
  relation: CauseRelation;
  shared: SharedDnsFailure | null;
  failOn: readonly FailOnKind[];
}

/**
 * What a network engineer reads at the end of a run: this machine's own checks, then failures and warnings, each
 * cause once with its remediation and what it caused under it, then what was not tested and why, one row of
 * counts per endpoint host, and the totals line last, alone (CI parses it).
 */
export function renderConsole(doc: RunDocument, options: ConsoleOptions): string {
  const endpointResults = doc.results.filter((r) => !MACHINE_CHECKS.has(r.check));
  const context: Context = {
    paint: painter(options.color),
    width: Math.max(MIN_WIDTH, options.width ?? DEFAULT_WIDTH),
    relation: relateCauses(doc.results),
    shared: sharedDnsFailure(endpointResults),
    failOn: options.failOn ?? DEFAULT_FAIL_ON,
  };
  const findings = endpointFindings(endpointResults, context);
  if (options.detail === 'quiet') return `${quietLines(doc, findings, context).join('\n')}\n`;
  const lines = [
    ...(options.detail === 'verbose' ? everyCheckSection(doc, context) : []),
    ...header(doc, endpointResults, context.width),
    ...machineSection(doc.results.filter((r) => MACHINE_CHECKS.has(r.check)), context),
    ...findingSection('Failures', 'fail', findings.filter((f) => f.status === 'fail'), context),
    ...findingSection('Warnings', 'warn', findings.filter((f) => f.status === 'warn'), context),
    ...notTestedSection(endpointResults, context, statusFailsRun('skip', context.failOn)),
    ...hostTable(endpointResults, context),
    ...(doc.comparison === null ? [] : comparisonLines(doc.comparison, doc.results, context)),
    ...(options.sections ?? []).map((section) => section.replace(/\n$/, '')),
    '',
    totalsLine(doc.summary),
  ];
  return `${lines.join('\n')}\n`;
}

/** `--quiet`: only what counts against the run (`--fail-on`), then the totals. */
function quietLines(doc: RunDocument, findings: readonly Finding[], context: Context): string[] {
  const failing = (status: Status) => statusFailsRun(status, context.failOn);
  const machine = doc.results.filter((r) => MACHINE_CHECKS.has(r.check) && failing(r.status));
  const endpointResults = doc.results.filter((r) => !MACHINE_CHECKS.has(r.check));
  return [
    ...machineSection(machine, context),
    ...findingSection('Failures', 'fail', findings.filter((f) => f.status === 'fail'), context),
    ...(failing('warn') ? findingSection('Warnings', 'warn', findings.filter((f) => f.status === 'warn'), context) : []),
    ...(failing('skip') ? notTestedSection(endpointResults, context, true) : []),
    '',
    totalsLine(doc.summary),
  // Every section opens with a blank line; the output does not.
  ].slice(1);
}

/** Tool, profile, counts, duration: broken between its parts, never inside one, when the terminal is narrow. */
function header(doc: RunDocument, endpointResults: readonly CheckResult[], width: number): string[] {
  const hosts = groupByHost(endpointResults).size;
  const parts = [
    `${shown(doc.tool.name)} ${shown(doc.tool.version)}`,
    `profile ${shown(doc.profile)}`,
    `${count(doc.summary.total, 'check')} on ${count(hosts, 'host')}`,
    formatDuration(doc.durationMs),
  ];
  const lines: string[] = [];
  for (const part of parts) {
    const last = lines.at(-1);
    if (last !== undefined && visibleLength(`${last} · ${part}`) <= width) lines[lines.length - 1] = `${last} · ${part}`;
    else lines.push(lines.length === 0 ? part : `  ${part}`);
  }
  return lines;
}

/** The clock and the proxy: one line each whatever their status; a failed proxy with what failed through it. */
function machineSection(results: readonly CheckResult[], context: Context): string[] {
  if (results.length === 0) return [];
  const body = results.flatMap((r) => [
    ...findingLines(r, context, false),
    ...consequenceBlock(context.relation.consequencesOf(r), phraseFor(r), context),
  ]);
  return ['', context.paint('heading', 'This machine'), ...body];
}

/** One entry of Failures or Warnings: a result that stands alone or causes others, or the shared DNS failure. */
interface Finding {
  status: Status;
  /** How many results of the section's status it accounts for, consequences included. */
  counted: (status: Status) => number;
  lines: (context: Context) => string[];
}

function endpointFindings(results: readonly CheckResult[], context: Context): Finding[] {
  const findings: Finding[] = [];
  const { relation, shared } = context;
  for (const result of results) {
    if (result.status === 'pass' || result.status === 'skip' || relation.rootOf(result) !== undefined) continue;
    if (shared && shared.results.includes(result)) {
      if (result === shared.results[0]) findings.push(sharedDnsFinding(shared, relation));
      continue;
    }
    const consequences = relation.consequencesOf(result);
    const members = [result, ...consequences];
    findings.push({
      status: members.some((m) => m.status === 'fail') ? 'fail' : 'warn',
      counted: (status) => members.filter((m) => m.status === status).length,
      lines: (ctx) => [...findingLines(result, ctx), ...consequenceBlock(consequences, phraseFor(result), ctx)],
    });
  }
  return findings;
}

function findingSection(title: string, status: Status, findings: readonly Finding[], context: Context): string[] {
  if (findings.length === 0) return [];
  const total = findings.reduce((sum, f) => sum + f.counted(status), 0);
  const gate = status === 'warn' && statusFailsRun('warn', context.failOn) ? ', failing the run: --fail-on warning' : '';
  return ['', context.paint('heading', `${title} (${total})${gate}`), ...findings.flatMap((f) => f.lines(context))];
}

/** "through this proxy", "for this name": how a consequence relates to its cause, by the cause's kind. */
function phraseFor(cause: CheckResult): string {
  switch (cause.check) {
    case 'proxy': return 'through this proxy';
    case 'dns': return 'for this name';
    case 'tcp': return 'on this connection';
    case 'tls': return 'behind this handshake';
    case 'inspection': return 'behind this inspection';
    default: return 'because of it';
  }
}

/**
 * Under a cause: how many results it accounts for, the ones that failed or warned (the first few when many),
 * and the checks that did not run by kind, since their own lines would only repeat the cause.
 */
function consequenceBlock(consequences: readonly CheckResult[], phrase: string, context: Context): string[] {
  if (consequences.length === 0) return [];
  const listed = consequences.filter((c) => c.status !== 'skip');
  const notRun = consequences.filter((c) => c.status === 'skip');
  const counts = [
    [consequences.filter((c) => c.status === 'fail').length, 'failed'],
    [consequences.filter((c) => c.status === 'warn').length, 'warned'],
    [notRun.length, `not run (${[...new Set(notRun.map((c) => c.check))].join(', ')})`],
  ] as const;
  const tally = counts.filter(([n]) => n > 0).map(([n, label]) => `${n} ${label}`).join(', ');
  const shownNow = listed.length <= CONSEQUENCES_SHOWN + 1 ? listed : listed.slice(0, CONSEQUENCES_SHOWN);
  const more = listed.length - shownNow.length;
  return [
    ...textLines(`${phrase}: ${tally}`, context, INDENT.detail),
    ...shownNow.flatMap((c) => consequenceLines(c, context)),
    ...(more > 0 ? textLines(`and ${more} more ${phrase}`, context, INDENT.consequence) : []),
  ];
}

/** DNS codes for no answer at all, rather than an answer that says no (DNS_UNREACHABLE arrives with its issue). */
const NO_ANSWER_CODES: ReadonlySet<string> = new Set(['DNS_TIMEOUT', 'DNS_UNREACHABLE']);

/** What the summary line's names list shows before "and N more". */
const NAMES_SHOWN = 5;

function sharedDnsFinding(shared: SharedDnsFailure, relation: CauseRelation): Finding {
  const consequences = shared.results.flatMap((r) => relation.consequencesOf(r));
  const members = [...shared.results, ...consequences];
  return {
    status: shared.status === 'fail' ? 'fail' : 'warn',
    counted: (status) => members.filter((m) => m.status === status).length,
    lines: (context) => {
      const code = shown(shared.code);
      const resolver = shared.resolver === null ? 'the resolver' : `the resolver ${shown(shared.resolver)}`;
      const verb = shared.code === 'DNS_SINKHOLE' ? 'blocks every one of the public names'
        : NO_ANSWER_CODES.has(shared.code) ? 'answers for none of the public names'
          : 'resolves none of the public names';
      const byProxy = shared.results.every((r) => r.evidence['resolvedByProxy'] === true) ? '; the proxy resolves them itself' : '';
      const head = `${MARKS[shared.status]} dns  ${resolver} ${verb} (${code} for all ${shared.results.length}${byProxy})`;
      const headLines = wrap(head, context.width, INDENT.result, INDENT.detail)
        .map((line, i) => (i === 0 ? line.replace(MARKS[shared.status], () => context.paint(shared.status, MARKS[shared.status])) : line));
      const names = shared.results.map((r) => shown(r.host));
      const more = names.length > NAMES_SHOWN + 1 ? names.length - NAMES_SHOWN : 0;
      const namesText = `names: ${(more > 0 ? names.slice(0, NAMES_SHOWN) : names).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
      return [
        ...headLines,
        ...remediationLines(sharedDnsRemediation(shared), context),
        ...textLines(namesText, context, INDENT.detail),
        ...consequenceBlock(consequences, 'for these names', context),
      ];
    },
  };
}

/**
 * One remediation for the whole run. The tool saw every name fail at one resolver; it did not check each name
 * publicly, so the advice points at the one thing they share, and claims no more.
 */
function sharedDnsRemediation(shared: SharedDnsFailure): string {
  switch (shared.code) {
    case 'DNS_NXDOMAIN':
    case 'DNS_NODATA':
      return 'When no name resolves, the resolver is more likely the cause than every name: check that it forwards queries for internet names (its forwarders or root hints) and holds no local zone that overrides them, or name a resolver that does with --resolver.';
    case 'DNS_SERVFAIL':
      return 'The resolver completes no lookup: check its forwarders, and that it may reach DNS servers on the internet on UDP and TCP port 53.';
    case 'DNS_SINKHOLE':
      return 'The DNS filtering policy that answers for this machine (DNS security, RPZ or proxy DNS) blocks every name: allow the endpoints\' domains there.';
    default:
      return shared.results[0]?.remediation ?? '';
  }
}

const TABLE_STATUSES = [
  ['pass', 'passed'],
  ['fail', 'failed'],
  ['warn', 'warned'],
  ['skip', 'skipped'],
] as const satisfies ReadonlyArray<readonly [Status, keyof RunSummary]>;

function hostTable(results: readonly CheckResult[], context: Context): string[] {
  const { paint } = context;
  const rows = [...groupByHost(results)].map(([host, hostResults]) => ({ host: shown(host), counts: summarize(hostResults) }));
  if (rows.length === 0) return [];
  const columnWidth = Math.max(...TABLE_STATUSES.map(([, field]) => field.length));
  // The counts always fit the width; the host column gets what is left.
  const room = context.width - INDENT.result.length - TABLE_STATUSES.length * (columnWidth + 2);
  const hostWidth = Math.max('host'.length, Math.min(HOST_COLUMN_MAX, room, Math.max(...rows.map((row) => row.host.length))));
  const heading = ['host'.padEnd(hostWidth), ...TABLE_STATUSES.map(([, field]) => field.padStart(columnWidth))].join('  ');
  const body = rows.flatMap(({ host, counts }) => {
    // Pad before painting: colour codes would count as width.
    const cells = TABLE_STATUSES.map(([status, field]) => paint(counts[field] === 0 ? 'faint' : status, String(counts[field]).padStart(columnWidth)));
    // A host name longer than its column gets a line of its own, its counts below it.
    if (visibleLength(host) > hostWidth) return [host, ['', ...cells].join('  ').replace(/^/, ' '.repeat(hostWidth))];
    return [[host.padEnd(hostWidth), ...cells].join('  ')];
  });
  return ['', paint('heading', 'By host'), `  ${heading}`, ...body.map((row) => `  ${row}`)];
}

/** Alone on its line so a person or a script finds it at the end of any log. */
function totalsLine(summary: RunSummary): string {
  return `${summary.passed} passed, ${summary.failed} failed, ${summary.warned} warned, ${summary.skipped} skipped`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
