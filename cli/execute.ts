// One run, from options to exit code: plan, checks, reports. Shared by `run` and `lab`.
import { loadPlan, type PlanOptions } from '../config/load.js';
import type { RunPlan } from '../config/plan.js';
import type { RunDocument } from '../model/result.js';
import { renderConsole } from '../reporters/console.js';
import { validateReportTargets, writeReports } from '../reporters/write.js';
import { buildDocument } from '../runner/document.js';
import { runChecks } from '../runner/run-checks.js';

export interface RunOptions extends PlanOptions {
  json?: string | undefined;
  junit?: string | undefined;
}

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_INTERNAL = 3;
/** As shells report a process ended by SIGINT. */
export const EXIT_INTERRUPTED = 130;

export async function executeRun(options: RunOptions): Promise<number> {
  validateReportTargets(options);
  return (await executePlan(await loadPlan(options), options)).exitCode;
}

export async function executePlan(plan: RunPlan, options: RunOptions): Promise<{ exitCode: number; document: RunDocument }> {
  const startedAt = new Date();
  // Ctrl-C: what has finished is written and shown, the rest is left out (never shown as passed).
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  const { results, internalErrors, interrupted } = await runChecks(plan, interrupt.signal).finally(() => process.removeListener('SIGINT', onInterrupt));
  const document = { ...buildDocument(plan.profile, startedAt, results), ...(interrupted ? { interrupted } : {}) };
  // Every report that can be written is, and the summary is shown, before a report that could not be is named.
  const toStdout = options.json === '-' || options.junit === '-';
  const unwritten = await writeReports(document, { json: options.json, junit: options.junit }, { stdout: (text) => process.stdout.write(text) })
    .then(() => null, (error: unknown) => error);
  const color = Boolean(process.stdout.isTTY) && !toStdout && !process.env['NO_COLOR'];
  const consoleStream = toStdout ? process.stderr : process.stdout;
  // Wrapped at the terminal's width; 80 in CI logs and pipes, which have none.
  const width = consoleStream.isTTY ? consoleStream.columns : undefined;
  consoleStream.write(renderConsole(document, { color, width }));
  if (unwritten !== null) throw unwritten;
  if (interrupted) {
    process.stderr.write(`preflight: interrupted: ${results.length} finished checks reported; the others did not run\n`);
    return { exitCode: EXIT_INTERRUPTED, document };
  }
  for (const error of internalErrors) process.stderr.write(`preflight: internal error: ${error.split('\n')[0]}\n`);
  const exitCode = internalErrors.length > 0 ? EXIT_INTERNAL : document.summary.failed > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
  return { exitCode, document };
}
