// Writing the reports at the end of a run. Whether the targets can be written is checked before the run
// (targets.ts); what can still go wrong here (a full disk) does not stop the other reports.
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../config/errors.js';
import { DEFAULT_FAIL_ON, type FailOnKind } from '../model/fail-on.js';
import type { RunDocument } from '../model/result.js';
import { renderJsonPieces } from './json.js';
import { reason, STDOUT, type ReportTargets } from './targets.js';

export { STDOUT, type ReportTargets } from './targets.js';

/** What the renderers may need beyond the document: which statuses count against the run (`--fail-on`). */
export interface ReportOptions {
  failOn: readonly FailOnKind[];
}

/**
 * A report's text: whole, or made piece by piece as it is written (the JSON document, 10 MB at 2,000 endpoints, is
 * never one string: reporters/json.ts renderJsonPieces).
 */
export type ReportText = string | Iterable<string>;

type Render = (doc: RunDocument, options: ReportOptions) => ReportText | Promise<ReportText>;

/** junit-report-builder costs more start-up than the rest of the CLI together: loaded only when asked for. */
async function renderJunit(doc: RunDocument, options: ReportOptions): Promise<string> {
  return (await import('./junit.js')).renderJunit(doc, options);
}

/** Loaded only when asked for, like JUnit: most runs write no HTML. */
async function renderHtml(doc: RunDocument, options: ReportOptions): Promise<string> {
  return (await import('./html/page.js')).renderHtml(doc, options);
}

/** prom-client is loaded only when --prometheus asks for it, as junit-report-builder is. */
async function renderPrometheus(doc: RunDocument): Promise<string> {
  return (await import('./prometheus.js')).renderPrometheusDocument(doc);
}

export interface ReportIo {
  stdout: (text: string) => void;
}

/** Writes every report it can; a report that cannot be written does not stop the others. Throws the first failure after. */
export async function writeReports(doc: RunDocument, targets: ReportTargets, io: ReportIo, options: ReportOptions = { failOn: DEFAULT_FAIL_ON }): Promise<void> {
  const reports: Array<{ target: string | undefined; render: Render; write?: (file: string, text: ReportText) => Promise<void> }> = [
    { target: targets.json, render: renderJsonPieces },
    { target: targets.junit, render: renderJunit },
    { target: targets.html, render: renderHtml },
    // node_exporter's textfile collector may read the directory at any moment: it must never see half a file.
    { target: targets.prometheus, render: renderPrometheus, write: writeReportFileAtomically },
  ];
  const failures: unknown[] = [];
  for (const { target, render, write = writeReportFile } of reports) {
    if (target === undefined) continue;
    const text = await render(doc, options);
    if (target === STDOUT) writePieces(text, io);
    else await write(target, text).catch((error: unknown) => failures.push(error));
  }
  if (failures.length > 0) throw failures[0];
}

/**
 * Piece by piece to stdout: on Linux, process.stdout writes to a file, a pipe or a terminal synchronously, so no
 * piece waits in memory for the reader and the whole document is never one string.
 */
function writePieces(text: ReportText, io: ReportIo): void {
  if (typeof text === 'string') io.stdout(text);
  else for (const piece of text) io.stdout(piece);
}

/** A report that is not a run's (diff's, merge's, watch's pages): to stdout for `-`, else to its file. */
export async function writeReportText(target: string, text: string, io: ReportIo): Promise<void> {
  if (target === STDOUT) io.stdout(text);
  else await writeReportFile(target, text);
}

/**
 * Writes one report's text to a file (parents made as needed); a failure is a one-line UsageError. Text in pieces is
 * written a piece at a time, each piece made only once the one before it is written (writeFile awaits every write
 * of an iterable: that is the backpressure).
 */
export async function writeReportFile(file: string, text: ReportText): Promise<void> {
  try {
    await makeParents(dirname(resolve(file)));
    await writeFile(file, text, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot write ${file}: ${reason(error)}`);
  }
}

/**
 * Written to a temporary name in the same directory, then renamed over the target: a rename within one file system
 * is atomic, so a reader sees the old file or the new one. The temporary name does not end in `.prom`, which the
 * textfile collector would read.
 */
async function writeReportFileAtomically(file: string, text: ReportText): Promise<void> {
  const target = resolve(file);
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  try {
    await makeParents(dirname(target));
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw new UsageError(`cannot write ${file}: ${reason(error)}`);
  }
}

/**
 * mkdir -p one level at a time. Not mkdir({ recursive: true }): on Node 20 it spins forever under /proc
 * (`--junit /proc/x/out.xml` hung the tool), and a report path must never hang a run.
 */
async function makeParents(directory: string): Promise<void> {
  const missing: string[] = [];
  for (let current = directory; !(await exists(current)); current = dirname(current)) {
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const level of missing) await mkdir(level);
}

/** False only when nothing is there; an existing file in the way makes the mkdir or write after it fail, as it should. */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
