import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../config/errors.js';
import type { RunDocument } from '../model/result.js';
import { renderJson } from './json.js';

type Render = (doc: RunDocument) => string;

/** junit-report-builder costs more start-up than the rest of the CLI together: loaded only when asked for. */
async function renderJunit(doc: RunDocument): Promise<string> {
  return (await import('./junit.js')).renderJunit(doc);
}

/** Files to write each report to (`--json`, `--junit`); `-` means stdout. */
export interface ReportTargets {
  json?: string;
  junit?: string;
}

export interface ReportIo {
  stdout: (text: string) => void;
}

export const STDOUT = '-';

/** Checked before the run, so that a command line that cannot be honoured fails before any probe. */
export function validateReportTargets(targets: ReportTargets): void {
  // Two documents one after the other on stdout would be neither valid JSON nor valid XML.
  if (targets.json === STDOUT && targets.junit === STDOUT) {
    throw new UsageError('only one of --json and --junit can write to stdout (-)');
  }
}

/** Writes every report it can; a report that cannot be written does not stop the others. Throws the first failure after. */
export async function writeReports(doc: RunDocument, targets: ReportTargets, io: ReportIo): Promise<void> {
  validateReportTargets(targets);
  const reports = [
    { target: targets.json, render: renderJson },
    { target: targets.junit, render: renderJunit },
  ].flatMap(({ target, render }) => (target === undefined ? [] : [{ target, render: render as Render | typeof renderJunit }]));
  const failures: unknown[] = [];
  for (const { target, render } of reports) {
    const text = await render(doc);
    if (target === STDOUT) io.stdout(text);
    else await writeReportFile(target, text).catch((error: unknown) => failures.push(error));
  }
  if (failures.length > 0) throw failures[0];
}

async function writeReportFile(file: string, text: string): Promise<void> {
  try {
    await makeParents(dirname(resolve(file)));
    await writeFile(file, text, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot write ${file}: ${reason(error)}`);
  }
}

/** Node's "EACCES: permission denied, open '/x/report.xml'" names the file again: keep "permission denied (EACCES)". */
function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const errno = /^([A-Z]+): ([^,]+),/.exec(error.message);
  return errno ? `${errno[2]} (${errno[1]})` : error.message;
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
