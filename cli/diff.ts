// `preflight diff OLD.json NEW.json`: what changed between two runs, paired by check id (model/comparison.ts).
// Both files are read before anything is written (an unreadable one is exit 2, one line). The reports are NEW's
// result document with the comparison block filled in: --json writes it (schema version 2 whatever the inputs'),
// --junit renders it as `--fail-on regression` would (regressions fail, other failures stay visible), and the
// console shows the comparison alone; --html writes the comparison as a page (reporters/html/diff-page.ts). Exit 1
// when a regression fails now.
import { compareRuns, failingRegressions } from '../model/comparison.js';
import { readResultDocument, type ReadDocument } from '../model/read-document.js';
import { SCHEMA_VERSION, type RunDocument } from '../model/result.js';
import { comparisonLines } from '../reporters/comparison-console.js';
import { painter, shown } from '../reporters/console-lines.js';
import { validateReportTargets } from '../reporters/targets.js';
import { writeReports, writeReportText } from '../reporters/write.js';
import { DEFAULT_WIDTH } from '../reporters/wrap.js';
import { consoleStream, EXIT_CHECK_FAILED, EXIT_OK } from './execute.js';

export interface DiffOptions {
  old: string;
  new: string;
  json?: string | undefined;
  junit?: string | undefined;
  html?: string | undefined;
}

export async function executeDiff(options: DiffOptions): Promise<number> {
  await validateReportTargets(options);
  const before = readResultDocument(options.old);
  const after = readResultDocument(options.new);
  const document = diffDocument(before, after);
  const io = { stdout: (text: string) => void process.stdout.write(text) };
  // Every report that can be written is, and the console shown, before a report that could not be is named.
  const failures: unknown[] = [];
  await writeReports(document, { json: options.json, junit: options.junit }, io, { failOn: ['regression'] }).catch((error: unknown) => failures.push(error));
  if (options.html !== undefined && document.comparison !== null) {
    const { renderDiffHtml } = await import('../reporters/html/diff-page.js');
    await writeReportText(options.html, renderDiffHtml(before, after, document.comparison, document.results), io).catch((error: unknown) => failures.push(error));
  }
  const say = consoleStream(options);
  say.write(renderDiffConsole(before, after, document, { color: Boolean(say.isTTY) && !process.env['NO_COLOR'], width: say.isTTY ? say.columns : undefined }));
  if (failures.length > 0) throw failures[0];
  return document.comparison !== null && failingRegressions(document.comparison).length > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
}

/** NEW's document, as this version writes documents, with the comparison against OLD. */
export function diffDocument(before: ReadDocument, after: ReadDocument): RunDocument {
  return { ...after, schemaVersion: SCHEMA_VERSION, comparison: compareRuns(before, after.results) };
}

export function renderDiffConsole(before: ReadDocument, after: ReadDocument, document: RunDocument, options: { color: boolean; width?: number | undefined }): string {
  const style = { paint: painter(options.color), width: options.width ?? DEFAULT_WIDTH };
  const describe = (doc: ReadDocument) =>
    `${shown(doc.host.hostname || 'unknown host')} ${shown(doc.startedAt || 'unknown time')}, ${doc.summary.total} checks (schema version ${doc.schemaVersion})`;
  const lines = [`diff: ${describe(before)} → ${describe(after)}`];
  if (before.host.hostname !== after.host.hostname) lines.push('note: the two runs are from different hosts; a difference may be the host, not the network');
  if (before.profile !== after.profile) lines.push(`note: different profiles (${shown(before.profile)} → ${shown(after.profile)}): checks of one only show as new or gone`);
  if (before.interrupted) lines.push('note: the old run was interrupted: checks it did not finish show as new');
  if (after.interrupted) lines.push('note: the new run was interrupted: checks it did not finish show as gone');
  const comparison = document.comparison;
  if (comparison === null) return `${lines.join('\n')}\n`;
  // comparisonLines ends on its counts line: diff's last line, as run ends on its totals (CI greps it).
  return `${[...lines, ...comparisonLines(comparison, document.results, style)].join('\n')}\n`;
}
