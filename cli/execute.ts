// One run, from options to exit code: plan, checks, reports. Shared by `run` and `lab`.
import { loadPlan, type PlanOptions } from '../config/load.js';
import type { RunPlan } from '../config/plan.js';
import { statusFailsRun, type FailOnKind } from '../model/fail-on.js';
import type { CheckResult, RunDocument } from '../model/result.js';
import { renderConsole } from '../reporters/console.js';
import { STDOUT, validateReportTargets } from '../reporters/targets.js';
import { oneLine, terminalSafe } from '../reporters/text.js';
import { writeReports } from '../reporters/write.js';
import { buildDocument } from '../runner/document.js';
import { runChecks } from '../runner/run-checks.js';
import { withProxyRouting } from '../proxy/discover.js';

export interface RunOptions extends PlanOptions {
  json?: string | undefined;
  junit?: string | undefined;
  /** `--fail-on`: which statuses make the exit code 1 (default: failure). */
  failOn: readonly FailOnKind[];
}

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_INTERNAL = 3;
/** As shells report a process ended by SIGINT. */
export const EXIT_INTERRUPTED = 130;

export interface RunOutcome {
  exitCode: number;
  document: RunDocument;
  /** No check reached a verdict (all skipped, or none applied): the run exits 1, whatever --fail-on says. */
  nothingTested: boolean;
}

export async function executeRun(options: RunOptions): Promise<number> {
  await validateReportTargets(options);
  return (await executePlan(await loadPlan(options), options)).exitCode;
}

/**
 * Where the run's own text goes (summary, banners): stdout, unless a report is written there, which must then be
 * the only thing on stdout so that a pipe (`--json - | jq`) reads a whole, valid document.
 */
export function consoleStream(options: Pick<RunOptions, 'json' | 'junit'>): NodeJS.WriteStream {
  return options.json === STDOUT || options.junit === STDOUT ? process.stderr : process.stdout;
}

export async function executePlan(loaded: RunPlan, options: RunOptions): Promise<RunOutcome> {
  const startedAt = new Date();
  // Ctrl-C: what has finished is written and shown, the rest is left out (never shown as passed).
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  // --pac / --wpad: each endpoint's route is fixed before the first probe.
  const plan = await withProxyRouting(loaded, interrupt.signal);
  const { results, certificates, internalErrors, interrupted } = await runChecks(plan, interrupt.signal).finally(() => process.removeListener('SIGINT', onInterrupt));
  const document = { ...buildDocument(plan.profile, startedAt, results, certificates), ...(interrupted ? { interrupted } : {}) };
  // Every report that can be written is, and the summary is shown, before a report that could not be is named.
  const say = consoleStream(options);
  const unwritten = await writeReports(document, { json: options.json, junit: options.junit }, { stdout: (text) => process.stdout.write(text) }, { failOn: options.failOn })
    .then(() => null, (error: unknown) => error);
  const color = Boolean(say.isTTY) && !process.env['NO_COLOR'];
  // Wrapped at the terminal's width; 80 in CI logs and pipes, which have none.
  const width = say.isTTY ? say.columns : undefined;
  say.write(renderConsole(document, { color, width, failOn: options.failOn }));
  if (unwritten !== null) throw unwritten;
  if (interrupted) {
    process.stderr.write(`preflight: interrupted: ${results.length} finished checks reported; the others did not run\n`);
    return { exitCode: EXIT_INTERRUPTED, document, nothingTested: false };
  }
  for (const error of internalErrors) process.stderr.write(`preflight: internal error: ${error.split('\n')[0]}\n`);
  const untested = nothingTested(results, options.only);
  if (untested !== null) process.stderr.write(`preflight: nothing was tested: ${untested}\n`);
  const failed = results.some((r) => statusFailsRun(r.status, options.failOn)) || untested !== null;
  const exitCode = internalErrors.length > 0 ? EXIT_INTERNAL : failed ? EXIT_CHECK_FAILED : EXIT_OK;
  return { exitCode, document, nothingTested: untested !== null };
}

/**
 * Why no check reached a verdict, or null when one did. A run that tested nothing must not look like a run that
 * found nothing wrong (`--only tcp` with every name failing to resolve is all skips).
 */
export function nothingTested(results: readonly CheckResult[], only: string | undefined): string | null {
  if (results.length === 0) return `no check applied to this plan${only === undefined ? '' : ` (--only ${only})`}`;
  const firstSkip = results.find((r) => r.status === 'skip');
  if (firstSkip === undefined || results.some((r) => r.status !== 'skip')) return null;
  const all = results.length === 1 ? 'the only check was skipped' : `all ${results.length} checks were skipped`;
  return `${all} (${terminalSafe(oneLine(`${firstSkip.id}: ${firstSkip.message}`))})`;
}
