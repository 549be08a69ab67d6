// The GitHub Actions job summary (GITHUB_STEP_SUMMARY): a Markdown verdict, the counts, and a table of what
// failed the run with its code, message and remediation. Every cell is server-influenced text and is made inert:
// one line, `|` and every other Markdown punctuation backslash-escaped, and HTML's `<`, `>`, `&`, `"` as entities,
// so a certificate name or a block page can neither break the table nor inject markup or links.
import { appendFile } from 'node:fs/promises';
import { statusFailsRun, type FailOnKind } from '../model/fail-on.js';
import type { RunDocument } from '../model/result.js';
import { oneLine } from './text.js';

/** GitHub caps a step's summary at 1 MiB: a long run lists this many findings, then says how many more. */
const ROWS_SHOWN = 200;
/** A cell longer than this is cut: a block page's text must not crowd out the other findings. */
const CELL_MAX = 500;

export interface StepSummaryOptions {
  failOn: readonly FailOnKind[];
  /** Why the run fails besides its results (e.g. nothing was tested); null when it does not. */
  nothingTested: string | null;
}

/** ASCII punctuation CommonMark lets a backslash escape, minus the four that become entities below. */
const MARKDOWN_PUNCTUATION = /[\\`*_{}[\]()#+\-.!|~:@$%^=';?/,]/g;
const HTML_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Text as one inert table cell. */
export function markdownCell(text: string): string {
  return oneLine(text, CELL_MAX)
    .replace(MARKDOWN_PUNCTUATION, (char) => `\\${char}`)
    .replace(/[&<>"]/g, (char) => HTML_ENTITIES[char] ?? char)
    // Control characters render as nothing useful and some break the table row.
    .replace(/[\0-\x1F\x7F-\x9F]/g, '');
}

export function renderStepSummary(doc: RunDocument, options: StepSummaryOptions): string {
  const counting = doc.results.filter((r) => statusFailsRun(r.status, options.failOn));
  const failed = counting.length > 0 || options.nothingTested !== null;
  const { summary } = doc;
  const lines = [
    `### ${failed ? '❌' : '✅'} egress-preflight: ${failed ? 'failed' : 'passed'}`,
    '',
    `Profile ${markdownCell(doc.profile)} on ${markdownCell(doc.host.hostname)}: ${summary.total} checks, ${summary.passed} passed, ${summary.failed} failed, ${summary.warned} warned, ${summary.skipped} skipped${doc.interrupted ? ' (interrupted: only the checks that finished)' : ''}.`,
  ];
  if (options.nothingTested !== null) lines.push('', `Nothing was tested: ${markdownCell(options.nothingTested)}`);
  if (counting.length > 0) {
    lines.push('', '| check | id | code | message | remediation |', '|---|---|---|---|---|');
    for (const r of counting.slice(0, ROWS_SHOWN)) {
      lines.push(`| ${[r.check, r.id, r.code, r.message, r.remediation].map(markdownCell).join(' | ')} |`);
    }
    if (counting.length > ROWS_SHOWN) lines.push('', `… and ${counting.length - ROWS_SHOWN} more in the JSON or JUnit report.`);
  }
  return `${lines.join('\n')}\n\n`;
}

/** Appends (never overwrites: other steps write there too). A failure to write is the caller's to report. */
export async function appendStepSummary(file: string, doc: RunDocument, options: StepSummaryOptions): Promise<void> {
  await appendFile(file, renderStepSummary(doc, options), 'utf8');
}
