import type { Status } from '../model/codes.js';
import { summarize, type CheckResult, type RunDocument, type RunSummary } from '../model/result.js';
import { groupByHost, oneLine, terminalSafe } from './text.js';

export interface ConsoleOptions {
  /** ANSI colours; the CLI passes stdout.isTTY && !NO_COLOR. */
  color: boolean;
}

/** A block page can make a message arbitrarily long; one screen line is what a reader needs. */
const MESSAGE_MAX = 300;
/** A very long host name pushes its own row out instead of widening the whole table. */
const HOST_COLUMN_MAX = 60;

const MARKS: Readonly<Record<Status, string>> = { pass: '✔', fail: '✖', warn: '!', skip: '-' };

type Style = Status | 'heading' | 'faint';
type Paint = (style: Style, text: string) => string;

/** ANSI SGR parameters: green, red, yellow, grey, bold, dim. */
const SGR: Readonly<Record<Style, number>> = { pass: 32, fail: 31, warn: 33, skip: 90, heading: 1, faint: 2 };

/**
 * What a network engineer reads at the end of a run: failures first, each with its remediation, then warnings,
 * then one row of counts per host (2,000 passing endpoints stay readable), then the totals line.
 */
export function renderConsole(doc: RunDocument, options: ConsoleOptions): string {
  const paint = painter(options.color);
  const lines = [
    header(doc),
    ...resultSection('Failures', doc.results.filter((r) => r.status === 'fail'), paint),
    ...resultSection('Warnings', doc.results.filter((r) => r.status === 'warn'), paint),
    ...hostTable(doc.results, paint),
    '',
    totalsLine(doc.summary),
  ];
  return `${lines.join('\n')}\n`;
}

function painter(color: boolean): Paint {
  return color ? (style, text) => `\x1b[${SGR[style]}m${text}\x1b[0m` : (_style, text) => text;
}

/** Every string of a result may hold server text: printed only once it is one line and inert. */
function shown(text: string, max?: number): string {
  return terminalSafe(oneLine(text, max));
}

function header(doc: RunDocument): string {
  const hosts = groupByHost(doc.results).size;
  return [
    `${shown(doc.tool.name)} ${shown(doc.tool.version)}`,
    `profile ${shown(doc.profile)}`,
    `${count(doc.summary.total, 'check')} on ${count(hosts, 'host')}`,
    formatDuration(doc.durationMs),
  ].join(' · ');
}

function resultSection(title: string, results: readonly CheckResult[], paint: Paint): string[] {
  if (results.length === 0) return [];
  return ['', paint('heading', `${title} (${results.length})`), ...results.flatMap((r) => resultLines(r, paint))];
}

function resultLines(result: CheckResult, paint: Paint): string[] {
  const { status } = result;
  const where = [result.check, result.host, target(result)].map((field) => shown(field)).filter((field) => field !== '');
  const what = `${paint(status, shown(result.code))}  ${shown(result.message, MESSAGE_MAX)}`;
  const line = `  ${paint(status, MARKS[status])} ${where.join('  ')}  ${what}`;
  return result.remediation === '' ? [line] : [line, `      → ${shown(result.remediation)}`];
}

/** Where the check went: its URL, else address:port (IPv6 in brackets), else the port alone. */
function target(result: CheckResult): string {
  if (result.url !== null) return result.url;
  if (result.address === null) return result.port === null ? '' : `port ${result.port}`;
  const address = result.address.includes(':') ? `[${result.address}]` : result.address;
  return result.port === null ? result.address : `${address}:${result.port}`;
}

const TABLE_STATUSES = [
  ['pass', 'passed'],
  ['fail', 'failed'],
  ['warn', 'warned'],
  ['skip', 'skipped'],
] as const satisfies ReadonlyArray<readonly [Status, keyof RunSummary]>;

function hostTable(results: readonly CheckResult[], paint: Paint): string[] {
  const rows = [...groupByHost(results)].map(([host, hostResults]) => ({ host: shown(host), counts: summarize(hostResults) }));
  if (rows.length === 0) return [];
  const hostWidth = Math.min(HOST_COLUMN_MAX, Math.max('host'.length, ...rows.map((row) => row.host.length)));
  const columnWidth = Math.max(...TABLE_STATUSES.map(([, field]) => field.length));
  const heading = ['host'.padEnd(hostWidth), ...TABLE_STATUSES.map(([, field]) => field.padStart(columnWidth))].join('  ');
  const body = rows.map(({ host, counts }) =>
    [
      host.padEnd(hostWidth),
      // Pad before painting: colour codes would count as width.
      ...TABLE_STATUSES.map(([status, field]) => {
        const cell = String(counts[field]).padStart(columnWidth);
        return paint(counts[field] === 0 ? 'faint' : status, cell);
      }),
    ].join('  '),
  );
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
