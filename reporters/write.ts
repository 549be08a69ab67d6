import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
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

export async function writeReports(doc: RunDocument, targets: ReportTargets, io: ReportIo): Promise<void> {
  const reports = [
    { target: targets.json, render: renderJson },
    { target: targets.junit, render: renderJunit },
  ].flatMap(({ target, render }) => (target === undefined ? [] : [{ target, render: render as Render | typeof renderJunit }]));
  // Two documents one after the other on stdout would be neither valid JSON nor valid XML.
  if (reports.filter((report) => report.target === STDOUT).length > 1) {
    throw new UsageError('only one of --json and --junit can write to stdout (-)');
  }
  for (const { target, render } of reports) {
    const text = await render(doc);
    if (target === STDOUT) io.stdout(text);
    else await writeReportFile(target, text);
  }
}

async function writeReportFile(file: string, text: string): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
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
