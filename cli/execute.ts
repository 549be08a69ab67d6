// One run, from options to exit code: plan, checks, reports. Shared by `run` and `lab`.
import { UsageError } from '../config/errors.js';
import { loadPlan, type PlanOptions } from '../config/load.js';
import type { RunPlan } from '../config/plan.js';
import { applyExpectedFailures, localDate } from '../config/expected-failures.js';
import { compareRuns, resultFailsRun } from '../model/comparison.js';
import { readResultDocument, type ReadDocument } from '../model/read-document.js';
import type { FailOnKind } from '../model/fail-on.js';
import type { CheckResult, RunDocument } from '../model/result.js';
import { annotateServiceTags } from '../model/annotate-service-tags.js';
import { loadServiceTags } from '../model/service-tags.js';
import { renderConsole } from '../reporters/console.js';
import { renderServiceTagsSection } from '../reporters/service-tags-console.js';
import { STDOUT, validateReportTargets } from '../reporters/targets.js';
import { oneLine, terminalSafe } from '../reporters/text.js';
import { writeReports } from '../reporters/write.js';
import { buildDocument } from '../runner/document.js';
import { runChecks } from '../runner/run-checks.js';

export interface RunOptions extends PlanOptions {
  json?: string | undefined;
  junit?: string | undefined;
  html?: string | undefined;
  /** `--prometheus`: the text exposition format for node_exporter's textfile collector. */
  prometheus?: string | undefined;
  /** `--service-tags`: Microsoft's ServiceTags_*.json, to annotate every resolved address with its tags. */
  serviceTags?: string | undefined;
  /** `--fail-on`: which statuses make the exit code 1 (default: failure). */
  failOn: readonly FailOnKind[];
  /** `--baseline`: an earlier --json result to compare this run with. */
  baseline?: string | undefined;
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
  const baseline = readBaseline(options);
  return (await executePlan(await loadPlan(options), options, baseline)).exitCode;
}

/** The --baseline document, read before any probe: an unreadable one is a usage error (exit 2). */
export function readBaseline(options: Pick<RunOptions, 'baseline'>): ReadDocument | null {
  if (options.baseline === undefined) return null;
  if (options.baseline.trim() === '') throw new UsageError('--baseline needs a file name (an earlier --json result)');
  return readResultDocument(options.baseline);
}

/**
 * Where the run's own text goes (summary, banners): stdout, unless a report is written there, which must then be
 * the only thing on stdout so that a pipe (`--json - | jq`) reads a whole, valid document.
 */
export function consoleStream(options: Pick<RunOptions, 'json' | 'junit' | 'html' | 'prometheus'>): NodeJS.WriteStream {
  return [options.json, options.junit, options.html, options.prometheus].includes(STDOUT) ? process.stderr : process.stdout;
}

export async function executePlan(plan: RunPlan, options: RunOptions, baseline: ReadDocument | null = null): Promise<RunOutcome> {
  // A tags file that cannot be read is a usage error, found before any probe is sent.
  const serviceTags = options.serviceTags === undefined ? null : loadServiceTags(options.serviceTags);
  const startedAt = new Date();
  // Ctrl-C: what has finished is written and shown, the rest is left out (never shown as passed).
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  const run = await runChecks(plan, interrupt.signal).finally(() => process.removeListener('SIGINT', onInterrupt));
  const { certificates, internalErrors, interrupted } = run;
  const tagged = serviceTags === null ? run.results : annotateServiceTags(run.results, serviceTags);
  // An interrupted run cannot tell an unused expectedFailures entry from one whose check did not run.
  const results = applyExpectedFailures(tagged, plan.expectedFailures ?? [], localDate(startedAt), !interrupted);
  const document: RunDocument = {
    ...buildDocument(plan.profile, startedAt, results, certificates),
    comparison: baseline === null ? null : compareRuns(baseline, results),
    ...(interrupted ? { interrupted } : {}),
    ...(serviceTags === null ? {} : { serviceTags: serviceTags.source }),
  };
  // Every report that can be written is, and the summary is shown, before a report that could not be is named.
  const say = consoleStream(options);
  const targets = { json: options.json, junit: options.junit, html: options.html, prometheus: options.prometheus };
  const unwritten = await writeReports(document, targets, { stdout: (text) => process.stdout.write(text) }, { failOn: options.failOn })
    .then(() => null, (error: unknown) => error);
  const color = Boolean(say.isTTY) && !process.env['NO_COLOR'];
  // Wrapped at the terminal's width; 80 in CI logs and pipes, which have none.
  const width = say.isTTY ? say.columns : undefined;
  const sections = serviceTags === null ? [] : [renderServiceTagsSection(results, serviceTags.source, width)];
  say.write(renderConsole(document, { color, width, failOn: options.failOn, sections }));
  if (unwritten !== null) throw unwritten;
  if (interrupted) {
    process.stderr.write(`preflight: interrupted: ${results.length} finished checks reported; the others did not run\n`);
    return { exitCode: EXIT_INTERRUPTED, document, nothingTested: false };
  }
  for (const error of internalErrors) process.stderr.write(`preflight: internal error: ${error.split('\n')[0]}\n`);
  const untested = nothingTested(results, options.only);
  if (untested !== null) process.stderr.write(`preflight: nothing was tested: ${untested}\n`);
  const failed = results.some((r) => resultFailsRun(r, options.failOn, document.comparison)) || untested !== null;
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
